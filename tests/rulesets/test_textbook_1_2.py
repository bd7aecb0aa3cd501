"""Textbook 1.2.0 against 1.1.0 on clinic records: what the blind clinical review changed, and nothing else.

The review (tests/clinical_review) found typical candidates held undetermined because a clinic summary of
the MRI left unremarkable foramina out (D1), and a long-standing sexual dysfunction held for a specialist
review (D3). 1.1.0 stays loadable and unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lss_pathway.assess import assess
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import load_ruleset

TYPICAL = Path(__file__).parents[2] / "examples" / "14-clinic-typical-l45-candidate.yaml"
L45 = Level.L4_L5


def typical(**red_flags: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(TYPICAL.read_text())
    data["red_flags"] = {**data.get("red_flags", {}), **red_flags}
    return data


def without_foraminal_grades(data: dict[str, Any]) -> dict[str, Any]:
    for level in data["imaging"]["levels"]:
        for side in level.get("sides", []):
            side.pop("foraminal_stenosis", None)
    return data


def verdicts(data: dict[str, Any], ref: str) -> dict[Side, Verdict]:
    a = assess(PatientRecord.model_validate(data), load_ruleset(ref))
    return {side: a.candidacy.cell(L45, side).verdict for side in Side}


def pending(data: dict[str, Any], ref: str, side: Side) -> list[str]:
    a = assess(PatientRecord.model_validate(data), load_ruleset(ref))
    return [r.criterion.id for r in a.candidacy.cell(L45, side).pending]


def test_the_default_textbook_is_1_2_0_and_1_1_0_stays_loadable() -> None:
    assert load_ruleset("textbook").version == "1.2.0"
    assert load_ruleset("textbook@1.1.0").version == "1.1.0"


def test_foramina_left_out_of_the_summary_no_longer_hold_a_typical_candidate() -> None:
    data = without_foraminal_grades(typical())
    assert set(verdicts(data, "textbook@1.1.0").values()) == {Verdict.UNDETERMINED}
    assert set(verdicts(data, "textbook@1.2.0").values()) == {Verdict.CANDIDATE}
    assert "no_severe_foraminal_or_lateral_stenosis" in pending(data, "textbook@1.2.0", Side.LEFT)


def test_a_severe_foramen_still_blocks_its_side() -> None:
    data = typical()
    data["imaging"]["levels"][1]["sides"][1]["foraminal_stenosis"] = "severe"
    assert data["imaging"]["levels"][1]["level"] == "L4-L5"
    got = verdicts(data, "textbook@1.2.0")
    assert got == {Side.LEFT: Verdict.CANDIDATE, Side.RIGHT: Verdict.NOT_CANDIDATE}


def test_long_standing_sexual_dysfunction_no_longer_holds_the_patient() -> None:
    long_standing = typical(sexual_dysfunction=True, sexual_dysfunction_onset_days=6 * 365)
    assert set(verdicts(long_standing, "textbook@1.1.0").values()) == {Verdict.UNDETERMINED}
    assert set(verdicts(long_standing, "textbook@1.2.0").values()) == {Verdict.CANDIDATE}
    new = typical(sexual_dysfunction=True, sexual_dysfunction_onset_days=5)
    assert set(verdicts(new, "textbook@1.2.0").values()) == {Verdict.NOT_CANDIDATE}
    onset_unknown = typical(sexual_dysfunction=True)
    assert set(verdicts(onset_unknown, "textbook@1.2.0").values()) == {Verdict.UNDETERMINED}
