"""`lss instruments list` and `lss score`: sourced listings, settings stated, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lss_pathway.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_instruments_list_shows_sources_and_what_is_withheld() -> None:
    code, out, _ = run("instruments", "list")
    assert code == 0
    for name in ("Cook 2011", "SSHQ", "Oswestry", "Zurich", "N-CLASS", "Konno 2007 physician"):
        assert name in out
    assert "NOT shipped" in out


def test_score_cook_json_with_reading(tmp_path: Path) -> None:
    answers = tmp_path / "cook.yaml"
    answers.write_text(
        "answers:\n  bilateral: true\n  leg_pain_exceeds_back_pain: true\n  pain_walking_or_standing: true\n"
        "  relief_sitting: true\n  age_over_48: true\n"
    )
    code, out, _ = run("score", "cook", str(answers), "--format", "json")
    assert code == 0
    assert json.loads(out)["lr"] == 4.6  # 5 of 5 under the default 'at least four' reading
    code, out, _ = run("score", "cook", str(answers), "--format", "json", "--four-of-five", "exactly")
    assert json.loads(out)["lr"] is None


def test_score_sshq_text_and_comparator(tmp_path: Path) -> None:
    answers = tmp_path / "sshq.json"
    answers.write_text(json.dumps({f"q{i}": i in (1, 5, 6) for i in range(1, 11)}))
    code, out, _ = run("score", "sshq", str(answers))
    assert code == 0 and "negative" in out
    code, out, _ = run("score", "sshq", str(answers), "--sshq-comparator", "or_more")
    assert code == 0 and "positive" in out


def test_score_errors_name_the_item(tmp_path: Path) -> None:
    answers = tmp_path / "sshq.yaml"
    answers.write_text("q1: maybe\n")
    code, out, err = run("score", "sshq", str(answers))
    assert code == 2 and out == ""
    assert "answers.q1" in err


def test_baseline_only_for_outcome_instruments(tmp_path: Path) -> None:
    answers = tmp_path / "cook.yaml"
    answers.write_text("bilateral: true\n")
    code, _, err = run("score", "cook", str(answers), "--baseline", str(answers))
    assert code == 2 and "outcome instruments" in err


def test_assess_with_pretest_adds_post_test(candidate_file: Path) -> None:
    code, out, _ = run("assess", str(candidate_file), "--format", "json", "--pretest", "0.3")
    assert code == 0
    dx = json.loads(out)["diagnosis_support"]
    assert dx["pretest_probability"] == 0.3
    assert 0.3 < dx["post_test_probability"]["strongest_finding"] < 1
    assert run("assess", str(candidate_file), "--pretest", "1.5")[0] == 2


def test_score_odi_with_baseline_reports_responders(examples_dir: Path) -> None:
    scores = examples_dir / "scores"
    code, out, _ = run(
        "score",
        "odi",
        str(scores / "odi-followup.yaml"),
        "--baseline",
        str(scores / "odi-baseline.yaml"),
        "-f",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    # Baseline 25/45 (sex life unanswered; travelling ticked twice counts 3) and follow-up 10/45.
    assert data["baseline"]["value"] == 55.6
    assert data["value"] == 22.2
    met = {r["id"]: r["met"] for r in data["change"]["responders"]}
    assert met == {"odi_10_points": True, "odi_30_percent": True}


def test_score_zcq_published_vector(examples_dir: Path) -> None:
    code, out, _ = run("score", "zcq", str(examples_dir / "scores" / "zcq.yaml"), "-f", "json")
    assert code == 0
    components = json.loads(out)["components"]
    assert components["symptom_severity"] == 2.714  # [3,2,3,4,2,2,3] -> 19/7
    assert components["physical_function"] == 1.4  # [2,2,1,1,1] -> 7/5


def test_out_of_range_answers_exit_2_naming_the_item(tmp_path: Path) -> None:
    odi = tmp_path / "odi.yaml"
    odi.write_text("walking: 6\n")
    code, out, err = run("score", "odi", str(odi))
    assert code == 2 and out == "" and "walking" in err
    zcq = tmp_path / "zcq.yaml"
    zcq.write_text("ss7: 2\n")
    code, _, err = run("score", "zcq", str(zcq))
    assert code == 2 and "ss7" in err


def test_text_rendering_of_change(examples_dir: Path) -> None:
    scores = examples_dir / "scores"
    code, out, _ = run(
        "score", "odi", str(scores / "odi-followup.yaml"), "--baseline", str(scores / "odi-baseline.yaml")
    )
    assert code == 0
    assert "Change from baseline" in out and "ODI improved by at least 10" in out
