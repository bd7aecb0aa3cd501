"""The `lss` command: formats, exit codes and error messages a clinician can act on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from lss_pathway.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_assess_json_is_complete_and_parseable(candidate_file: Path) -> None:
    code, out, _ = run("assess", str(candidate_file), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["ruleset"]["id"] == "textbook"
    assert {(c["level"], c["side"]) for c in data["candidacy"]} == {
        (lv, sd) for lv in ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1") for sd in ("left", "right")
    }
    cell = next(c for c in data["candidacy"] if c["level"] == "L4-L5" and c["side"] == "left")
    assert cell["verdict"] == "candidate"
    assert "epidurogram_appreciated@L4-L5 left" in cell["pending_confirmations"]


def test_assess_text_shows_grid_and_red_flags_first(candidate_file: Path) -> None:
    code, out, _ = run("assess", str(candidate_file))
    assert code == 0
    assert out.index("Red flags") < out.index("mild candidacy by level and side") < out.index("Next steps")
    assert "candidate" in out


def test_assess_markdown_lists_missing_facts_as_todo(examples_dir: Path) -> None:
    code, out, _ = run("assess", str(examples_dir / "10-imaging-missing.yaml"), "--format", "markdown")
    assert code == 0
    assert "## Facts to document" in out
    assert "**Imaging report**" in out
    assert "- [ ] No lumbar level described in the imaging report" in out
    assert "imaging.levels[" not in out


def test_ruleset_option_changes_the_rules(candidate_file: Path) -> None:
    code, out, _ = run("assess", str(candidate_file), "--format", "json", "--ruleset", "mild-trial@1.0.0")
    assert code == 0
    assert json.loads(out)["ruleset"] == {
        "id": "mild-trial",
        "version": "1.0.0",
        "title": json.loads(out)["ruleset"]["title"],
        "verified_as_of": None,
    }


def test_invalid_record_names_field_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"exam": {"abi": {"left": 3.5}}, "imaging": {"levels": [{"level": "L5-L6"}]}}')
    code, out, err = run("assess", str(bad), "--format", "json")
    assert code == 2
    assert out == ""  # nothing partially written
    assert "exam.abi.left" in err and "less than or equal to 3" in err
    assert "imaging.levels[0].level" in err and "transitional anatomy" in err


def test_unknown_field_gets_a_hint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("symptoms:\n  leg_symtoms: true\n")
    code, _, err = run("assess", str(bad))
    assert code == 2
    assert "Did you mean 'leg_symptoms'" in err


def test_malformed_yaml_missing_file_and_wrong_suffix(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("symptoms: [unclosed\n")
    assert run("assess", str(broken))[0] == 2
    assert "malformed YAML" in run("assess", str(broken))[2]
    code, _, err = run("assess", str(tmp_path / "absent.json"))
    assert code == 2 and "no such file" in err
    text = tmp_path / "notes.txt"
    text.write_text("{}")
    code, _, err = run("assess", str(text))
    assert code == 2 and "unsupported file type" in err


def test_unknown_ruleset_lists_available(candidate_file: Path) -> None:
    code, _, err = run("assess", str(candidate_file), "--ruleset", "nope")
    assert code == 2
    assert "textbook@1.0.0" in err


def test_summary_of_examples_shows_every_patient(examples_dir: Path) -> None:
    code, out, _ = run("summary", str(examples_dir))
    assert code == 0
    names = sorted(p.stem for p in examples_dir.glob("*.yaml"))
    for name in names:
        assert name[:20] in out
    assert f"{len(names)} patients assessed" in out


def test_schema_is_json_schema() -> None:
    code, out, _ = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "PatientRecord"
    assert "imaging" in schema["properties"]


def test_rulesets_list_and_show() -> None:
    code, out, _ = run("rulesets", "list")
    assert code == 0
    for ref in ("textbook@1.0.0", "mild-trial@1.0.0", "cms-ncd-150.13@1.0.0"):
        assert ref in out
    code, out, _ = run("rulesets", "show", "mild-trial", "--markdown")
    assert code == 0
    assert "Ligamentum flavum at least 2.5 mm thick" in out
    assert run("rulesets", "show", "nope")[0] == 2


def test_rulesets_check_flags_errors(tmp_path: Path) -> None:
    bad = tmp_path / "variant.yaml"
    bad.write_text(
        "id: variant\nversion: 1.0.0\ntitle: t\ndescription: d\nextends: textbook@1.0.0\n"
        "criteria:\n  - id: odd\n    kind: indication\n    scope: patient\n    statement: s\n"
        "    source: chapter\n    verification: V\n"
        "    test: {fact: symptoms.leg_symtoms, op: eq, value: true}\n"
    )
    code, out, _ = run("rulesets", "check", str(bad))
    assert code == 1
    assert "unknown fact 'symptoms.leg_symtoms'" in out
    good = tmp_path / "good.yaml"
    good.write_text(
        "id: variant\nversion: 1.0.0\ntitle: t\ndescription: d\nextends: textbook@1.1.0\n"
        "parameters:\n  lf_hypertrophy_mm: {value: 3.0, unit: mm, source: lf_convention, verification: P}\n"
    )
    code, out, _ = run("rulesets", "check", str(good))
    assert code == 0
    assert "0 error(s), 0 warning(s)" in out


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    proc = subprocess.run(
        [sys.executable, "-c", "from lss_pathway.cli import main; main()", "assess", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "expected a mapping" in proc.stderr
