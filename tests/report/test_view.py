"""The template view: the grid, counts, to-do and pending lists agree with the assessment they show."""

from __future__ import annotations

from pathlib import Path

import pytest

from lss_pathway.assess import Assessment, assess
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.domain.parsing import parse_record
from lss_pathway.report.view import report_view

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _assessment(name: str, ruleset: str = "textbook") -> Assessment:
    return assess(parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml"), ruleset)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_grid_shows_every_cell_with_its_verdict(path: Path) -> None:
    a = _assessment(path.stem)
    v = report_view(a)
    shown = {(c.level, c.side): c.css for row in v.grid for c in row.cells}
    assert len(shown) == len(a.candidacy.cells) == 10
    expected_css = {Verdict.CANDIDATE: "candidate", Verdict.NOT_CANDIDATE: "not-candidate"}
    for cell in a.candidacy.cells:
        assert shown[(cell.level.value, cell.side.value)] == expected_css.get(cell.verdict, "undetermined")
    assert sum(v.counts.values()) == 10
    covered = [path for section in v.todo for item in section.items for path in item.paths]
    assert sorted(covered) == sorted(a.missing_facts()), "every missing fact is listed once, in words"


def test_red_flags_are_counted_and_carry_their_action() -> None:
    v = report_view(_assessment("09-cauda-equina-red-flags"))
    present = [f for f in v.flags if f.css == "present"]
    assert v.flags_present == len(present) >= 2
    assert all(f.action for f in present)
    assert all(f.action is None for f in v.flags if f.css != "present")


def test_pending_lists_only_imaged_levels_that_may_still_be_candidates() -> None:
    v = report_view(_assessment("01-bilateral-l45-candidate"))
    assert v.pending, "the epidurogram is confirmed during the procedure"
    assert all(p.startswith(("L4-L5 left", "L4-L5 right")) for p in v.pending)


def test_reasons_put_what_stands_in_the_way_first() -> None:
    v = report_view(_assessment("08-clopidogrel-cannot-be-held"))
    blocked = [c for row in v.grid for c in row.cells if c.css == "not-candidate"]
    assert blocked
    for cell in blocked:
        assert cell.blocking
        assert cell.criteria[0].value == "not met"


def test_sources_are_those_the_rule_set_cites() -> None:
    a = _assessment("01-bilateral-l45-candidate", "mild-trial")
    v = report_view(a)
    ids = {s.id for s in v.sources}
    cited = {c.source for c in a.rules.criteria} | {p.source for p in a.rules.parameters.values()}
    assert ids == cited & set(a.rules.sources)
    assert all(s.url.startswith("http") for s in v.sources)
