"""Terminal renderings: the single-patient view and the one-screen summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from lss_pathway.assess import assess
from lss_pathway.domain.parsing import parse_record
from lss_pathway.report.terminal import render_assessment, render_summary


def _plain(renderable: object) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_assessment_view_has_grid_and_conditions(examples_dir: Path) -> None:
    a = assess(parse_record((examples_dir / "07-apixaban-can-be-held.yaml").read_text(), "yaml"))
    text = _plain(render_assessment(a))
    assert "mild candidacy by level and side" in text
    assert "condition: apixaban" in text
    assert text.index("Red flags") < text.index("Claudication pattern")


def test_summary_marks_sides_and_next_step(examples_dir: Path) -> None:
    items = [
        (p.stem, assess(parse_record(p.read_text(), "yaml")))
        for p in (
            examples_dir / "02-unilateral-left-l45-candidate.yaml",
            examples_dir / "10-imaging-missing.yaml",
        )
    ]
    text = _plain(render_summary(items))
    assert "L4-L5 L✔ R✘" in text
    assert "no imaging" in text


def test_facts_to_document_keep_square_brackets(examples_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line such as "[left]" is text, not Rich markup: nothing in brackets is swallowed (issue 10)."""
    from dataclasses import replace

    from lss_pathway.report import terminal

    a = assess(parse_record((examples_dir / "10-imaging-missing.yaml").read_text(), "yaml"))
    real = terminal.document_sections(a)
    line = "Ligamentum flavum thickness at L4-L5 [left] and [right] [bold]as measured[/bold]"
    changed = [replace(real[0], lines=((line, ()),))]
    monkeypatch.setattr(terminal, "document_sections", lambda _: changed)
    assert line in _plain(render_assessment(a))
