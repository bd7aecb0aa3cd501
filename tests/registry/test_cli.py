"""`lss registry ...` end to end on both engines: exit codes, messages, and files written."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from tests.registry.helpers import answers
from typer.testing import CliRunner

from lss_pathway.cli import app
from lss_pathway.registry.demo import synthetic_lines

runner = CliRunner()


def lss(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["registry", *args])
    return result.exit_code, result.output


def test_commands_and_exit_codes(db_url: str, tmp_path: Path) -> None:
    code, text = lss("report", "--db", db_url)
    assert code == 2 and "registry init" in text
    code, text = lss("init", "--db", db_url)
    assert code == 0 and "admin token" in text and "lssr_" in text
    code, text = lss("init", "--db", db_url)
    assert code == 0 and "lssr_" not in text  # the admin token is shown once

    code, sid = lss("enrol", "--db", db_url, "--age", "72", "--link", "urn:mrn:x|123")
    sid = sid.strip()
    assert code == 0 and sid.startswith("S")
    baseline, follow = tmp_path / "b.json", tmp_path / "f.json"
    baseline.write_text(json.dumps(answers(25, 8)))
    follow.write_text(json.dumps(answers(10, 3)))
    assert (
        lss(
            "add-followup",
            sid,
            "baseline",
            "--date",
            "2025-01-02",
            "--answers",
            str(baseline),
            "--db",
            db_url,
        )[0]
        == 0
    )
    code, text = lss(
        "add-procedure",
        sid,
        "--date",
        "2025-01-10",
        "--level",
        "L4-L5 left",
        "--level",
        "L4-L5:right",
        "--db",
        db_url,
    )
    assert code == 0, text
    code, text = lss(
        "add-followup", sid, "3m", "--date", "2025-04-12", "--answers", str(follow), "--db", db_url
    )
    assert code == 0 and "odi 20.0" in text and "in window" in text
    code, text = lss(
        "add-followup", sid, "3m", "--date", "2025-04-12", "--answers", str(follow), "--db", db_url
    )
    assert code == 3 and "already has a '3m'" in text
    code, text = lss(
        "add-followup", sid, "6m", "--date", "2024-04-12", "--answers", str(follow), "--db", db_url
    )
    assert code == 2 and "before the procedure" in text
    code, text = lss(
        "add-followup", "SNOPE", "6m", "--date", "2025-07-12", "--answers", str(follow), "--db", db_url
    )
    assert code == 4 and "no subject" in text
    code, text = lss("add-procedure", sid, "--date", "2025-09-10", "--level", "L4-L5", "--db", db_url)
    assert code == 2 and "level and a side" in text
    code, text = lss("demo", "--subjects", "12", "--db", db_url)
    assert code == 0 and "loaded 12 SYNTHETIC" in text


def test_import_export_and_report(db_url: str, tmp_path: Path) -> None:
    lss("init", "--db", db_url)
    good = tmp_path / "cohort.jsonl"
    good.write_text("\n".join(synthetic_lines(30, seed=9)))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*synthetic_lines(2, seed=10), '{"age": 300}']))
    code, text = lss("import", str(bad), "--db", db_url)
    assert code == 2 and "line 3" in text and "nothing imported" in text
    code, text = lss("import", str(good), "--db", db_url)
    assert code == 0 and text.startswith("imported 30 subjects")

    code, text = lss("export", "--out", str(tmp_path / "csv"), "--db", db_url)
    assert code == 0
    header = (tmp_path / "csv" / "follow_ups.csv").read_text().splitlines()[0]
    assert header.startswith("study_id,time_point,day,source,odi,nprs")
    code, _ = lss("export", "--out", str(tmp_path / "pq"), "--format", "parquet", "--db", db_url)
    assert code == 0 and pq.read_table(tmp_path / "pq" / "subjects.parquet").num_rows == 30
    code, _ = lss("export", "--out", str(tmp_path / "rc"), "--format", "redcap", "--db", db_url)
    assert code == 0 and (tmp_path / "rc" / "redcap_dictionary.csv").exists()

    code, text = lss("report", "--as-of", "2026-06-30", "--floor", "5", "--db", db_url)
    assert code == 0
    report = json.loads(text)
    assert report["subjects"] == 30 and report["small_cell_floor"] == 5
    assert lss("report", "--floor", "0", "--db", db_url)[0] == 2
    assert "already loaded (30 subjects)" in lss("demo", "--db", db_url)[1]  # the imported cohort is DEMO-


def test_cli_and_service_load_no_database_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, lss_pathway.cli, lss_pathway.server.app\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'psycopg')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_demo_is_loaded_once_and_can_print_a_read_only_sign_in_token(db_url: str) -> None:
    from lss_pathway.registry.db import make_engine
    from lss_pathway.registry.tokens import credential

    lss("init", "--db", db_url)
    code, text = lss("demo", "--subjects", "11", "--sign-in-token", "--db", db_url)
    assert code == 0 and "loaded 11 SYNTHETIC" in text
    token = text.strip().splitlines()[-1]
    engine = make_engine(db_url)
    try:
        name, role = credential(engine, token) or ("", "")
        assert name.startswith("demo-sign-in-") and role == "read"
        code, again = lss("demo", "--sign-in-token", "--db", db_url)  # a second `make run`
        assert code == 0 and "already loaded (11 subjects)" in again
        assert credential(engine, again.strip().splitlines()[-1]) is not None
    finally:
        engine.dispose()
