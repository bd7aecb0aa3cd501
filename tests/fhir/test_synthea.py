"""Real EHR output: the Synthea bulk export, per patient, and copies with LSS facts in standard codes.

Issue 10: on real data the service read nothing but gender and birth date. Here every patient is read
(or refused for scope), the real clinical-drug codes are recognised, and copies with injected standard
codes (ICD-10-CM, RxNorm SCD, CPT, LOINC) reach decided verdicts from standard codes alone.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest
from tests.fhir.synthea import CLOPIDOGREL_ORDER, active_condition, patient_bundle, patients

from lss_pathway.assess import assess
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.domain.parsing import InputError
from lss_pathway.fhir.codes import CPT, ICD10CM, LOINC, SPINAL_LEVEL, UCUM
from lss_pathway.fhir.mapping import MappingResult, record_from_bundle

ON = dt.date(2026, 12, 1)


def adult_id() -> str:
    return next(p["id"] for p in patients() if p["id"].startswith("a4a401d1"))


def read(bundle: dict[str, Any]) -> MappingResult:
    return record_from_bundle(bundle, assessment_date=ON)


@cache
def read_all() -> dict[str, MappingResult | InputError]:
    """Every Synthea patient read once (the tests below share it)."""
    out: dict[str, MappingResult | InputError] = {}
    for patient in patients():
        try:
            out[patient["id"]] = read(patient_bundle(patient["id"]))
        except InputError as exc:
            out[patient["id"]] = exc
    return out


def test_every_synthea_patient_is_read_or_refused_for_scope() -> None:
    outcomes = {}
    for pid, result in read_all().items():
        if isinstance(result, InputError):
            text = str(result)
            assert "deceased" in text or "outside the tool's scope" in text, text
            outcomes[pid] = "deceased" if "deceased" in text else "minor"
            continue
        assert result.record.patient.birth_date is not None
        assert result.record.patient.sex is not None
        outcomes[pid] = "read"
    assert sorted(outcomes.values()).count("deceased") == sum(
        1 for p in patients() if "deceasedDateTime" in p
    )
    assert "minor" in outcomes.values() and "read" in outcomes.values()


def test_real_clinical_drug_codes_are_read() -> None:
    """Active naproxen sodium (SCD 849574) and Ibu (SBD 206905) orders as Synthea exports them."""
    agents = {
        pid[:8]: [a.agent for a in result.record.safety.antithrombotics or []]
        for pid, result in read_all().items()
        if isinstance(result, MappingResult)
    }
    assert agents["6a4160eb"] == ["naproxen"]
    assert agents["ca15b832"] == ["ibuprofen"]


def test_real_chronic_low_back_pain_finding_is_read() -> None:
    result = read_all()[next(p["id"] for p in patients() if p["id"].startswith("ca15b832"))]
    assert isinstance(result, MappingResult) and result.record.symptoms.low_back_pain is True


def test_resource_types_the_mapping_does_not_read_are_reported_not_errors() -> None:
    types = ("Patient", "Encounter", "Immunization", "AllergyIntolerance", "Device")
    result = read(patient_bundle(adult_id(), types))
    assert result.ignored and all(i.resource_type != "Patient" for i in result.ignored)


# --- copies with LSS facts injected in standard codes ----------------------------------------------------


def inject(bundle: dict[str, Any], *resources: dict[str, Any]) -> dict[str, Any]:
    pid = bundle["entry"][0]["resource"]["id"]
    for i, resource in enumerate(resources):
        resource = {"id": f"injected-{i}", "subject": {"reference": f"Patient/{pid}"}, **resource}
        bundle["entry"].append({"fullUrl": f"urn:uuid:injected-{i}", "resource": resource})
    return bundle


def verdicts(result: MappingResult) -> set[Verdict]:
    return {cell.verdict for cell in assess(result.record).candidacy.cells}


def test_the_plain_patient_is_entirely_undetermined() -> None:
    assert verdicts(read(patient_bundle(adult_id()))) == {Verdict.UNDETERMINED}


@pytest.mark.parametrize(
    ("system", "code"),
    [(ICD10CM, "D68.01"), (ICD10CM, "A41.9")],
    ids=["von-willebrand-type-1", "sepsis"],
)
def test_an_injected_contraindication_makes_every_cell_not_a_candidate(system: str, code: str) -> None:
    result = read(inject(patient_bundle(adult_id()), active_condition(system, code)))
    assert verdicts(result) == {Verdict.NOT_CANDIDATE}


def test_injected_clopidogrel_scd_is_on_the_record_with_the_real_orders() -> None:
    result = read(inject(patient_bundle(adult_id()), CLOPIDOGREL_ORDER))
    assert [a.agent for a in result.record.safety.antithrombotics or []] == ["clopidogrel"]


def test_injected_prior_spacer_and_scores_by_cpt_and_loinc() -> None:
    spacer = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {"coding": [{"system": CPT, "code": "22869"}]},
        "bodySite": [{"coding": [{"system": SPINAL_LEVEL, "code": "L4-L5"}]}],
        "performedDateTime": "2024-02-01",
    }
    nprs = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "72514-3"}]},
        "valueQuantity": {"value": 7, "system": UCUM, "code": "{score}"},
    }
    odi = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "97909-6"}]},
        "valueQuantity": {"value": 44, "system": UCUM, "code": "%"},
    }
    result = read(inject(patient_bundle(adult_id()), spacer, nprs, odi))
    (prior,) = result.record.prior_procedures or []
    assert prior.type.value == "interspinous_spacer" and [lv.value for lv in prior.levels or []] == ["L4-L5"]
    assert (result.record.baseline.nprs, result.record.baseline.odi_percent) == (7, 44)
    prior_rule = {
        (c.level.value, c.side.value): r.node.value.value
        for c in assess(result.record).candidacy.cells
        for r in c.results
        if r.criterion.id == "no_prior_surgery_at_level"
    }
    assert prior_rule[("L3-L4", "left")] == "met"  # nothing at L3-L4
    assert prior_rule[("L4-L5", "left")] != "met"  # the spacer: open surgery needs the shelf documented


# --- stale "active" infections (issue 10 follow-up) ------------------------------------------------------

OLD_SEPSIS = "a5cb8ce9"  # a living patient with Sepsis (SNOMED 91302008) active since 1971, never abated


def test_a_decades_old_active_sepsis_is_a_confirm_item_not_a_block() -> None:
    result = read_all()[next(p["id"] for p in patients() if p["id"].startswith(OLD_SEPSIS))]
    assert isinstance(result, MappingResult)
    assert result.record.safety.systemic_infection is None  # neither present nor absent
    (item,) = [i for i in result.relevant_ignored if i.bears_on == "infection"]
    assert item.code == "91302008" and item.reason.startswith("confirm: is this infection current?")
    assert "1971-09-03" in item.reason
    cells = assess(result.record).candidacy.cells
    assert Verdict.NOT_CANDIDATE not in {cell.verdict for cell in cells}
    infection = {
        r.node.value.value for cell in cells for r in cell.results if r.criterion.id == "no_infection"
    }
    assert infection == {"unknown"}


def test_the_same_sepsis_recorded_recently_still_blocks() -> None:
    sepsis = active_condition("http://snomed.info/sct", "91302008")
    sepsis["onsetDateTime"] = "1971-09-03"
    sepsis["recordedDate"] = (ON - dt.timedelta(days=10)).isoformat()
    result = read(inject(patient_bundle(adult_id()), sepsis))
    assert result.record.safety.systemic_infection is True
    assert verdicts(result) == {Verdict.NOT_CANDIDATE}
