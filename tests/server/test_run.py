"""``lss serve``: the banner comes once the socket is bound and listening, and names the address bound."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from lss_pathway.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_is_a_clear_error_and_no_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--insecure-demo"]
        )
    assert result.exit_code == 2
    assert f"cannot serve on 127.0.0.1:{port}" in result.output
    assert "serving on" not in result.output


def test_the_banner_names_the_bound_port_and_the_server_answers_at_once(tmp_path: Path) -> None:
    """``--port 0``: the system picks the port and the banner shows it (it could not before binding); the
    served process logs refusals with their reason (the ``lss_pathway`` loggers are configured)."""
    code = "from lss_pathway.cli import main; main()"
    args = ["serve", "--host", "127.0.0.1", "--port", "0", "--workers", "1", "--insecure-demo"]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    errors = (tmp_path / "stderr.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"serving on (http://127\.0\.0\.1:(\d+))", first)
        assert found is not None and found[2] != "0", first
        # Bound and listening before the banner: a request made now waits in the backlog, never refused.
        health = httpx.get(found[1] + "/health", timeout=60)
        assert health.json()["status"] == "ok"
        refused = httpx.post(found[1] + "/v1/assessments", json={"patient": {"age_years": "70"}}, timeout=60)
        assert refused.status_code == 422
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors.close()
    logged = (tmp_path / "stderr.log").read_text()
    assert "refused 422 POST /v1/assessments: patient.age_years: expected integer" in logged
