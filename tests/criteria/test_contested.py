"""What "something recorded speaks against a confirmation" means: a met part never does.

Found by the screening parity work: a left ABI of 1.0 with the right leg not measured held the patient
undetermined, because the left leg's unused alternative (a non-compressible ABI above 1.40 with a TBI)
was "not met" inside a part that was met.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lss_pathway.assess import assess
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.criteria.evaluate import Node
from lss_pathway.criteria.logic import Tri
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import load_ruleset

TYPICAL = Path(__file__).parents[2] / "examples" / "14-clinic-typical-l45-candidate.yaml"


def _with_abi(**abi: float) -> PatientRecord:
    data: dict[str, Any] = yaml.safe_load(TYPICAL.read_text())
    data["exam"]["abi"] = abi
    return PatientRecord.model_validate(data)


def test_a_met_node_is_not_contested_by_an_alternative_it_did_not_need() -> None:
    unused = Node("ABI above 1.40 with a TBI", Tri.NOT_MET)
    taken = Node("ABI in the normal band", Tri.MET)
    assert not Node("left leg", Tri.MET, children=(taken, unused)).contested()
    assert Node("left leg", Tri.UNKNOWN, children=(unused,)).contested()
    assert Node(
        "both legs", Tri.UNKNOWN, children=(Node("right", Tri.UNKNOWN, children=(unused,)),)
    ).contested()


@pytest.mark.parametrize("ref", ["textbook@1.1.0", "textbook@1.2.0"])
def test_one_normal_abi_with_the_other_leg_unmeasured_leaves_the_index_pending(ref: str) -> None:
    a = assess(_with_abi(left=1.0), load_ruleset(ref))
    cell = a.candidacy.cell(Level.L4_L5, Side.LEFT)
    assert cell.verdict is Verdict.CANDIDATE
    assert "no_abnormal_vascular_index" in {r.criterion.id for r in cell.pending}


@pytest.mark.parametrize("ref", ["textbook@1.1.0", "textbook@1.2.0"])
def test_a_low_abi_on_one_leg_still_holds_the_patient(ref: str) -> None:
    a = assess(_with_abi(left=0.85), load_ruleset(ref))
    assert a.candidacy.cell(Level.L4_L5, Side.LEFT).verdict is Verdict.UNDETERMINED
