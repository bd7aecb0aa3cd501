"""The Markdown report carries every section, red flags first, and the disclaimer."""

from __future__ import annotations

from pathlib import Path

from lss_pathway.assess import assess
from lss_pathway.domain.parsing import parse_record
from lss_pathway.report.markdown import render_markdown


def _report(path: Path, ruleset: str = "textbook") -> str:
    return render_markdown(assess(parse_record(path.read_text(), "yaml"), ruleset))


def test_sections_in_clinical_order(candidate_file: Path) -> None:
    text = _report(candidate_file)
    order = [
        "## Red flags",
        "## Claudication",
        "## Central stenosis by level",
        "## mild candidacy by level and side",
        "## Recommended next steps",
        "## Coding suggestion",
    ]
    positions = [text.index(h) for h in order]
    assert positions == sorted(positions)
    assert "| L4-L5 | candidate | candidate |" in text
    assert "the decision rests with the treating clinician" in text


def test_red_flags_shown_as_present_with_action(examples_dir: Path) -> None:
    text = _report(examples_dir / "09-cauda-equina-red-flags.yaml")
    assert "Saddle anaesthesia (new or worsening): **PRESENT**" in text
    assert "emergency MRI" in text
    first_step = text.split("## Recommended next steps")[1].strip().splitlines()[0]
    assert "Urgent surgical evaluation" in first_step


def test_not_candidate_cell_explains_why(examples_dir: Path) -> None:
    text = _report(examples_dir / "13-no-laminar-shelf-left-l45.yaml")
    section = text.split("### L4-L5 left: not a candidate")[1].split("###")[0]
    assert "contraindication present: A laminar shelf is present on this side" in section
