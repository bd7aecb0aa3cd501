"""What cannot be mapped is never safe by omission (issue 10, item 2).

The reported defect: an active clopidogrel order coded with an RxNorm clinical-drug (SCD) code, as EHRs
send it, was dropped as an unknown code; with the record's "no antithrombotics" fact present, L4-L5 came
out *candidate* with no hold condition. Each test here fails on the main branch before the fix.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lss_pathway.assess import assess
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.domain.parsing import InputError, parse_record
from lss_pathway.fhir.codes import ATC, CPT, ICD10CM, RXNORM, SNOMED
from lss_pathway.fhir.mapping import MappingResult, bundle_from_record, record_from_bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def candidate_bundle() -> dict[str, Any]:
    """Example 01 (bilateral L4-L5 candidate, no antithrombotics, no prior procedures) as a Bundle."""
    record = parse_record((EXAMPLES / "01-bilateral-l45-candidate.yaml").read_text(), "yaml")
    return bundle_from_record(record)


def without_none_listed(bundle: dict[str, Any], code: str) -> dict[str, Any]:
    """The Bundle without the Observation saying the list (antithrombotics / procedures) is empty."""
    out = copy.deepcopy(bundle)
    out["entry"] = [
        e for e in out["entry"] if not any(c.get("code") == code for c in _codings(e["resource"].get("code")))
    ]
    return out


def _codings(concept: Any) -> list[dict[str, Any]]:
    return concept.get("coding", []) if isinstance(concept, dict) else []


def patient_ref(bundle: dict[str, Any]) -> str:
    return next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")


def add(bundle: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(bundle)
    resource = {**resource, "subject": {"reference": patient_ref(out)}}
    out["entry"].append(
        {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{len(out['entry']):012d}", "resource": resource}
    )
    return out


def order(coding: dict[str, str], text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [coding]}
    if text is not None:
        concept["text"] = text
    return {
        "resourceType": "MedicationRequest",
        "id": "med-1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept,
    }


CLOPIDOGREL_SCD = {"system": RXNORM, "code": "309362", "display": "Clopidogrel 75 MG Oral Tablet"}


def antithrombotics_settled(result: MappingResult) -> bool:
    """Whether the cell L4-L5 left counts the antithrombotic criterion as met (not pending, not unknown)."""
    a = assess(result.record)
    (found,) = [
        r
        for c in a.candidacy.cells
        if c.level.value == "L4-L5" and c.side.value == "left"
        for r in c.results
        if r.criterion.id == "antithrombotics_can_be_held"
    ]
    return found.node.value.value == "met"


def cell(result: MappingResult, level: str = "L4-L5", side: str = "left") -> Verdict:
    a = assess(result.record)
    return next(c.verdict for c in a.candidacy.cells if c.level.value == level and c.side.value == side)


def test_the_example_is_a_candidate_to_start_with() -> None:
    result = record_from_bundle(candidate_bundle())
    assert cell(result) is Verdict.CANDIDATE and antithrombotics_settled(result)


def test_clopidogrel_scd_with_none_listed_is_a_contradiction_not_a_candidate() -> None:
    bundle = add(candidate_bundle(), order(CLOPIDOGREL_SCD))
    with pytest.raises(InputError) as exc:
        record_from_bundle(bundle)
    assert "contradiction" in str(exc.value) and "safety.antithrombotics" in str(exc.value)


def test_clopidogrel_scd_is_read_as_clopidogrel() -> None:
    bundle = add(without_none_listed(candidate_bundle(), "on-antithrombotics"), order(CLOPIDOGREL_SCD))
    result = record_from_bundle(bundle)
    assert [a.agent for a in result.record.safety.antithrombotics or []] == ["clopidogrel"]
    assert (
        cell(result) is not Verdict.CANDIDATE or assess(result.record).candidacy.cell(*_l45_left()).conditions
    )


def _l45_left() -> tuple[Any, Any]:
    from lss_pathway.domain.anatomy import Level, Side

    return Level.L4_L5, Side.LEFT


@pytest.mark.parametrize(
    "coding",
    [
        {"system": RXNORM, "code": "999999999", "display": "clopidogrel 75 MG Oral Tablet [Plavix]"},
        {"system": RXNORM, "code": "855318", "display": "Warfarin Sodium 2 MG Oral Tablet"},
        {"system": "urn:oid:2.16.840.1.113883.6.69", "code": "0093-7540", "display": "ELIQUIS 5 mg tablet"},
        {"system": ATC, "code": "B01AC30", "display": "combinations"},
    ],
    ids=["unknown-scd-clopidogrel", "other-warfarin-strength", "ndc-eliquis", "atc-b01a-class"],
)
def test_an_unmapped_medication_naming_an_antithrombotic_is_an_other_antithrombotic(
    coding: dict[str, str],
) -> None:
    """Never "none", and not merely pending: an antithrombotic whose hold is not agreed holds the cell."""
    bundle = add(without_none_listed(candidate_bundle(), "on-antithrombotics"), order(coding))
    result = record_from_bundle(bundle)
    (agent,) = result.record.safety.antithrombotics or []
    assert agent.agent == "other_antithrombotic" and agent.name and agent.can_be_held is None
    (item,) = result.relevant_ignored
    assert item.bears_on == "antithrombotics" and item.resource_id == "med-1"
    assert not antithrombotics_settled(result)
    assert cell(result) is Verdict.UNDETERMINED
    with pytest.raises(InputError):  # and it contradicts a recorded "none"
        record_from_bundle(add(candidate_bundle(), order(coding)))


def test_free_text_alone_naming_an_anticoagulant_is_not_none() -> None:
    bundle = add(
        without_none_listed(candidate_bundle(), "on-antithrombotics"),
        order({"system": "urn:example:local", "code": "X1"}, text="Xarelto 20mg daily with evening meal"),
    )
    (agent,) = record_from_bundle(bundle).record.safety.antithrombotics or []
    assert agent.agent == "other_antithrombotic" and agent.name == "Xarelto 20mg daily with evening meal"


def test_an_unrelated_unknown_medication_changes_nothing() -> None:
    metformin = {"system": RXNORM, "code": "860975", "display": "24 HR Metformin hydrochloride 500 MG"}
    result = record_from_bundle(add(candidate_bundle(), order(metformin)))
    assert result.record.safety.antithrombotics == []
    assert result.relevant_ignored == ()


def procedure(coding: dict[str, str], status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "proc-1", "status": status, "code": {"coding": [coding]}}


@pytest.mark.parametrize(
    "coding",
    [
        {"system": CPT, "code": "63047", "display": "Lumbar laminectomy with decompression, single segment"},
        {"system": SNOMED, "code": "0", "display": "Posterior lumbar interbody fusion"},
        {"system": "urn:example:local", "code": "DISC", "display": "L4-5 microdiscectomy"},
    ],
    ids=["cpt-laminectomy", "fusion-text", "microdiscectomy"],
)
def test_a_procedure_naming_a_spine_operation_makes_prior_procedures_unknown(coding: dict[str, str]) -> None:
    bundle = add(without_none_listed(candidate_bundle(), "prior-spine-procedures"), procedure(coding))
    result = record_from_bundle(bundle)
    assert result.record.prior_procedures is None
    assert [i.bears_on for i in result.relevant_ignored] == ["prior spine procedures"]
    with pytest.raises(InputError):
        record_from_bundle(add(candidate_bundle(), procedure(coding)))


def test_mild_cpt_code_is_a_prior_mild() -> None:
    bundle = add(
        without_none_listed(candidate_bundle(), "prior-spine-procedures"),
        procedure({"system": CPT, "code": "0275T"}),
    )
    (prior,) = record_from_bundle(bundle).record.prior_procedures or []
    assert prior.type.value == "mild"


def test_post_laminectomy_syndrome_means_prior_surgery_is_not_none() -> None:
    condition = {
        "resourceType": "Condition",
        "id": "plss",
        "code": {"coding": [{"system": ICD10CM, "code": "M96.1"}]},
    }
    with pytest.raises(InputError):
        record_from_bundle(add(candidate_bundle(), condition))
    result = record_from_bundle(
        add(without_none_listed(candidate_bundle(), "prior-spine-procedures"), condition)
    )
    assert result.record.prior_procedures is None


# --- property: an added resource never makes an undetermined cell a candidate unless it maps ------------

_CODES = st.sampled_from(
    [
        (RXNORM, "309362", "Clopidogrel 75 MG Oral Tablet"),
        (RXNORM, "860975", "Metformin"),
        (RXNORM, "123", "aspirin 81 MG chewable"),
        (RXNORM, "243670", "Aspirin 81 MG Oral Tablet"),
        (ATC, "B01AF", "Direct factor Xa inhibitors"),
        (SNOMED, "278860009", "Chronic low back pain (finding)"),
        (SNOMED, "18347007", "Spinal stenosis of lumbar region"),
        (ICD10CM, "D68.0", "Von Willebrand disease"),
        (ICD10CM, "M96.1", "Postlaminectomy syndrome"),
        (ICD10CM, "A41.9", "Sepsis, unspecified organism"),
        (CPT, "0275T", "mild"),
        (CPT, "99999", "Lumbar spinal fusion"),
        ("http://loinc.org", "72514-3", "Pain severity"),
        ("urn:example", "x", "nothing at all"),
    ]
)
_STATUS = st.sampled_from(["active", "completed", "stopped", "final", "entered-in-error"])


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    system, code, display = draw(_CODES)
    concept = {"coding": [{"system": system, "code": code, "display": display}]}
    kind = draw(
        st.sampled_from(["MedicationRequest", "MedicationStatement", "Condition", "Procedure", "Observation"])
    )
    status = draw(_STATUS)
    resource: dict[str, Any] = {"resourceType": kind, "id": "added"}
    if kind.startswith("Medication"):
        resource |= {
            "status": status
            if status in ("active", "completed", "stopped", "entered-in-error")
            else "active",
            "medicationCodeableConcept": concept,
        }
        if kind == "MedicationRequest":
            resource["intent"] = "order"
    elif kind == "Condition":
        resource["code"] = concept
        onset = draw(st.none() | st.sampled_from(["1971-09-03", "2026-10-15"]))  # stale / current
        if onset is not None:
            resource["onsetDateTime"] = onset
    elif kind == "Procedure":
        resource |= {
            "status": "completed" if status == "final" else status if status != "active" else "completed",
            "code": concept,
        }
    else:
        resource |= {"status": "final", "code": concept, "valueQuantity": {"value": draw(st.integers(0, 10))}}
    return resource


BASES = ["10-imaging-missing", "02-unilateral-left-l45-candidate", "07-apixaban-can-be-held"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(base=st.sampled_from(BASES), drop=st.booleans(), added=resources())
def test_adding_a_resource_never_makes_undetermined_candidate_unless_it_maps(
    base: str, drop: bool, added: dict[str, Any]
) -> None:
    record = parse_record((EXAMPLES / f"{base}.yaml").read_text(), "yaml")
    bundle = bundle_from_record(record)
    if drop:  # the lists unknown to start with
        bundle = without_none_listed(
            without_none_listed(bundle, "on-antithrombotics"), "prior-spine-procedures"
        )
    before = record_from_bundle(bundle)
    try:
        after = record_from_bundle(add(bundle, added))
    except InputError:
        return  # refused (a contradiction): never a verdict
    old = {(c.level, c.side): c.verdict for c in assess(before.record).candidacy.cells}
    new = {(c.level, c.side): c.verdict for c in assess(after.record).candidacy.cells}
    mapped = not any(i.resource_id == "added" for i in after.ignored)
    for key, verdict in new.items():
        if old[key] is Verdict.UNDETERMINED and verdict is Verdict.CANDIDATE:
            assert mapped, (key, added)
