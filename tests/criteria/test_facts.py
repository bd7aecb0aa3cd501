"""The fact catalogue, built afresh: every fact the packaged rule sets read, and the verdicts they give.

The catalogue is cached for the process, so other tests mostly read one built long before; these build it
again so that a fault in how a fact is defined (its reader, its scope, where to document it) shows here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lss_pathway.criteria.candidacy import Verdict, assess_candidacy
from lss_pathway.criteria.expressions import Compare, walk
from lss_pathway.criteria.facts import Scope, fact_catalogue
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import load_ruleset

EXAMPLE_01 = Path(__file__).resolve().parents[2] / "examples" / "01-bilateral-l45-candidate.yaml"
REFS = ["textbook@1.0.0", "textbook@1.1.0", "mild-trial@1.1.0", "cms-ncd-150.13@1.1.0"]


@pytest.fixture
def fresh_catalogue() -> Iterator[None]:
    fact_catalogue.cache_clear()
    yield
    fact_catalogue.cache_clear()


@pytest.mark.usefixtures("fresh_catalogue")
@pytest.mark.parametrize("ref", REFS)
def test_every_fact_a_rule_set_reads_is_described_with_its_scope(ref: str) -> None:
    rules = load_ruleset(ref)
    catalogue = fact_catalogue()
    for criterion in rules.criteria:
        for node in walk(criterion.test):
            if isinstance(node, Compare):
                spec = catalogue[node.fact]
                assert spec.description, node.fact
                assert isinstance(spec.scope, Scope)


@pytest.mark.usefixtures("fresh_catalogue")
@pytest.mark.parametrize("ref", REFS)
def test_example_01_verdicts_with_a_freshly_built_catalogue(ref: str) -> None:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_01.read_text(encoding="utf-8"))
    candidacy = assess_candidacy(PatientRecord.model_validate(data), load_ruleset(ref))
    assert candidacy.cell(Level.L4_L5, Side.LEFT).verdict is Verdict.CANDIDATE
    assert candidacy.cell(Level.L4_L5, Side.RIGHT).verdict is Verdict.CANDIDATE
    assert candidacy.cell(Level.L3_L4, Side.LEFT).verdict is Verdict.NOT_CANDIDATE


@pytest.mark.usefixtures("fresh_catalogue")
@pytest.mark.parametrize("ref", ["textbook@1.1.0", "mild-trial@1.1.0"])
def test_prior_open_surgery_at_the_level_blocks_with_a_fresh_catalogue(ref: str) -> None:
    """Textbook 1.1.0 allows it only with a documented laminar shelf; the trial set never does."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_01.read_text(encoding="utf-8"))
    data["prior_procedures"] = [{"type": "laminectomy", "levels": ["L4-L5"], "date": "2020-01-01"}]
    for side in data["imaging"]["levels"][1]["sides"]:
        side["laminar_shelf"] = False
    candidacy = assess_candidacy(PatientRecord.model_validate(data), load_ruleset(ref))
    assert candidacy.cell(Level.L4_L5, Side.LEFT).verdict is Verdict.NOT_CANDIDATE
    assert candidacy.cell(Level.L4_L5, Side.RIGHT).verdict is Verdict.NOT_CANDIDATE
