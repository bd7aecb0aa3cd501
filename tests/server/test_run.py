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


def test_the_banner_names_the_bound_port_and_the_server_answers_at_once() -> None:
    """``--port 0``: the system picks the port and the banner shows it (it could not before binding)."""
    code = "from lss_pathway.cli import main; main()"
    args = ["serve", "--host", "127.0.0.1", "--port", "0", "--workers", "1", "--insecure-demo"]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
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
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
