"""`lss rulesets diff` and `show`: what changed between two rule sets, for a clinician to review."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lss_pathway.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_diff_textbook_to_trial_as_markdown() -> None:
    code, out, _ = run("rulesets", "diff", "textbook@1.0.0", "mild-trial@1.0.0", "--format", "markdown")
    assert code == 0
    assert out.startswith("# Rule set changes: `textbook@1.0.0` → `mild-trial@1.0.0`")
    assert "- **removed** `lf_hypertrophy_on_side`:" in out
    assert "- **added** `age_at_least_minimum`: Age 65 or older" in out


def test_diff_json_and_default_output() -> None:
    code, out, _ = run("rulesets", "diff", "textbook@1.0.0", "mild-trial@1.0.0", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["old"], data["new"]) == ("textbook@1.0.0", "mild-trial@1.0.0")
    removed = [c["key"] for c in data["changes"] if c["action"] == "removed" and c["section"] == "criteria"]
    assert removed == ["lf_hypertrophy_on_side"]
    code, out, _ = run("rulesets", "diff", "textbook", "mild-trial", "-f", "text")
    assert code == 0
    assert "lf_hypertrophy_on_side" in out and "**" not in out
    code, out, _ = run("rulesets", "diff", "textbook", "textbook")
    assert code == 0
    assert "No differences." in out


def test_diff_unknown_version_exits_2_naming_what_exists() -> None:
    code, out, err = run("rulesets", "diff", "textbook@1.0.0", "textbook@9.9.9")
    assert code == 2
    assert out == ""
    assert "unknown rule set 'textbook@9.9.9'" in err
    assert "textbook@1.0.0" in err


def test_show_ends_with_what_changed_since_the_previous_version() -> None:
    code, out, _ = run("rulesets", "show", "textbook", "--markdown")
    assert code == 0
    tail = out.split("## What changed since `textbook@1.1.0`")[1]
    assert "changed (criteria) `no_severe_foraminal_or_lateral_stenosis`: confirmation" in tail
    assert "changed (criteria) `no_new_sexual_dysfunction`: statement, test, note" in tail
    code, out, _ = run("rulesets", "show", "textbook@1.1.0", "--markdown")
    assert code == 0
    tail = out.split("## What changed since `textbook@1.0.0`")[1]
    assert "removed (criteria) `no_cauda_equina_signs`" in tail
    assert "added (criteria) `no_cauda_equina_emergency`" in tail
    code, out, _ = run("rulesets", "show", "textbook@1.0.0", "--markdown")
    assert code == 0 and "What changed since" not in out
