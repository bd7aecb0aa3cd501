"""`lss summary` on the batch stream: the same screen with one or two processes, long lists in several
tables, and a refused record anywhere in the list leaves no partial output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lss_pathway import cli
from lss_pathway.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_two_processes_print_the_same_screen_as_one() -> None:
    one = _run("summary", "--processes", "1", str(EXAMPLES))
    two = _run("summary", "--processes", "2", str(EXAMPLES))
    assert one[0] == two[0] == 0
    assert one[1] == two[1]


def test_a_long_list_is_printed_as_several_tables_with_every_patient(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    for copy in range(3):
        for f in files:
            shutil.copy(f, tmp_path / f"{copy}-{f.name}")
    monkeypatch.setattr(cli, "SUMMARY_ROWS_PER_TABLE", 5)
    code, out, _ = _run("summary", "--processes", "2", str(tmp_path))
    assert code == 0
    assert out.count("lss-pathway: examples") == 1
    assert out.count("┏") == -(-3 * len(files) // 5)  # one table (top-left corner) per five rows
    for copy in range(3):
        for f in files:
            assert f"{copy}-{f.stem}"[:20] in out
    assert f"{3 * len(files)} patients assessed" in out


def test_a_refused_record_among_many_leaves_no_output(tmp_path: Path) -> None:
    for f in sorted(EXAMPLES.glob("*.yaml")):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "05-zz-broken.json").write_text('{"patient": {"age": "old"}}')
    code, out, err = _run("summary", "--processes", "2", str(tmp_path))
    assert code == 2
    assert out == ""
    assert "05-zz-broken.json: invalid patient record" in err
    assert "age" in err
