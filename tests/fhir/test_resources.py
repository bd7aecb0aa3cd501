"""Hand-written minimal R4 resources, one mapped fact (or one refusal) at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.parsing import InputError
from lss_pathway.domain.vocabulary import Modality, ProcedureType, Sex
from lss_pathway.fhir.codes import ANTITHROMBOTIC_AGENT as AGENT
from lss_pathway.fhir.codes import ATC, FINDINGS, ICD10CM, RXNORM, SNOMED, SPINAL_LEVEL, UCUM
from lss_pathway.fhir.mapping import (
    IgnoredInput,
    MappingResult,
    bundle_from_record,
    record_from_bundle,
    record_from_resources,
)

PATIENT: dict[str, Any] = {"resourceType": "Patient", "id": "p"}
SUBJECT = {"reference": "Patient/p"}
LEFT = {"system": SNOMED, "code": "7771000", "display": "Left"}
RIGHT = {"system": SNOMED, "code": "24028007", "display": "Right"}
CONFIRMED = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]
}
REFUTED = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]
}


def level(code: str) -> dict[str, str]:
    return {"system": SPINAL_LEVEL, "code": code}


def obs(
    code: str, rid: str | None = None, *, site: list[dict[str, str]] | None = None, **value: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": FINDINGS, "code": code}]},
        "subject": SUBJECT,
        **value,
    }
    if rid:
        resource["id"] = rid
    if site:
        resource["bodySite"] = {"coding": site}
    return resource


def condition(system: str, code: str, rid: str = "c1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": SUBJECT,
        **extra,
    }


def medication(kind: str, codings: list[dict[str, str]], rid: str = "m1", **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": kind,
        "id": rid,
        "status": "active",
        "medicationCodeableConcept": {"coding": codings},
        "subject": SUBJECT,
        **extra,
    }
    if kind == "MedicationRequest":
        resource.setdefault("intent", "order")
    return resource


def mm(value: float, unit: str = "mm") -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}


def read(*resources: dict[str, Any], **kwargs: Any) -> MappingResult:
    return record_from_resources([PATIENT, *resources], **kwargs)


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


# --- Patient ------------------------------------------------------------------------------------------


def test_patient_birth_date_and_gender_but_never_names_or_identifiers() -> None:
    patient = {
        **PATIENT,
        "birthDate": "1950-04-03",
        "gender": "female",
        "name": [{"family": "Doe", "given": ["Jane"]}],
        "identifier": [{"system": "urn:mrn", "value": "MRN-123"}],
    }
    result = record_from_resources([patient])
    assert result.record.patient.birth_date == dt.date(1950, 4, 3)
    assert result.record.patient.sex is Sex.FEMALE
    dumped = result.record.model_dump_json()
    assert "Doe" not in dumped and "MRN-123" not in dumped
    assert result.record.id is None
    assert result.ignored == ()


def test_partial_birth_date_is_reported_and_unknown_gender_is_unknown() -> None:
    result = record_from_resources([{**PATIENT, "birthDate": "1950", "gender": "unknown"}])
    assert result.record.patient.birth_date is None and result.record.patient.sex is None
    assert [i.path for i in result.ignored] == ["resources[0].birthDate"]


def test_age_observation() -> None:
    age = obs("age", valueQuantity={"value": 72, "unit": "years", "system": UCUM, "code": "a"})
    assert read(age).record.patient.age_years == 72


def test_two_patients_are_refused() -> None:
    with pytest.raises(InputError, match="more than one Patient"):
        record_from_resources([PATIENT, {**PATIENT, "id": "q"}])


def test_resource_about_another_patient_is_refused() -> None:
    other = {**obs("leg-symptoms", valueBoolean=True), "subject": {"reference": "Patient/someone-else"}}
    with pytest.raises(InputError, match="not to the patient of this input"):
        read(other)


# --- Conditions ---------------------------------------------------------------------------------------


def test_lss_diagnosis_is_recognised_but_not_an_input() -> None:
    result = read(condition(ICD10CM, "M48.062", verificationStatus=CONFIRMED))
    (ignored,) = result.ignored
    assert ignored.code == "M48.062" and ignored.system == ICD10CM
    assert "recognised" in ignored.reason and "neurogenic claudication" in ignored.reason
    assert result.record.model_dump() == read().record.model_dump()


def test_lss_snomed_code_is_recognised() -> None:
    (ignored,) = read(condition(SNOMED, "18347007")).ignored
    assert "recognised" in ignored.reason


def test_bleeding_disorder_from_icd10() -> None:
    result = read(condition(ICD10CM, "D66", verificationStatus=CONFIRMED))
    assert result.record.safety.bleeding_disorder is True
    assert read(condition(ICD10CM, "D68.01")).record.safety.bleeding_disorder is True  # below D68.0


def test_bleeding_disorder_refuted_with_the_project_code() -> None:
    result = read(condition(FINDINGS, "bleeding-disorder", verificationStatus=REFUTED))
    assert result.record.safety.bleeding_disorder is False


def test_refuting_one_specific_bleeding_disorder_leaves_the_fact_unknown() -> None:
    result = read(condition(ICD10CM, "D66", verificationStatus=REFUTED))
    assert result.record.safety.bleeding_disorder is None
    assert "says nothing" in result.ignored[0].reason


def test_thrombophilia_is_not_a_bleeding_disorder() -> None:
    result = read(condition(ICD10CM, "D68.51"))
    assert result.record.safety.bleeding_disorder is None
    assert result.ignored[0].code == "D68.51"


def test_infections() -> None:
    record = read(
        condition(ICD10CM, "A41.9", "sepsis"),
        condition(FINDINGS, "access-site-infection", "skin"),
    ).record
    assert record.safety.systemic_infection is True
    assert record.safety.local_infection is True


def test_no_injection_beside_an_injection_date_is_refused_naming_both_resources() -> None:
    """Issue 10 item 10 through FHIR: the record's contradiction names the resources it came from."""
    with pytest.raises(InputError) as err:
        read(
            obs("esi-count", "count", valueInteger=0),
            obs("last-esi-date", "date", valueDateTime="2026-11-10"),
        )
    (error,) = err.value.errors
    assert error.field == "conservative_care" and "contradicts last_esi_date 2026-11-10" in error.message
    assert "Observation/count" in error.message and "Observation/date" in error.message


def test_resolved_or_provisional_condition_is_not_read() -> None:
    resolved = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]
    }
    provisional = {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "provisional"}
        ]
    }
    result = read(
        condition(FINDINGS, "systemic-infection", "a", clinicalStatus=resolved),
        condition(FINDINGS, "bleeding-disorder", "b", verificationStatus=provisional),
    )
    assert result.record.safety.systemic_infection is None
    assert result.record.safety.bleeding_disorder is None
    assert len(result.ignored) == 2


def test_cauda_equina_syndrome_is_reported_with_what_to_record() -> None:
    result = read(condition(ICD10CM, "G83.4", "ces"))
    (ignored,) = result.ignored
    assert ignored.resource_id == "ces" and ignored.code == "G83.4"
    assert "saddle anaesthesia" in ignored.reason
    assert result.record.red_flags.saddle_anaesthesia is None


# --- Observations -------------------------------------------------------------------------------------


def test_abi_left_and_right() -> None:
    record = read(
        obs("abi", site=[LEFT], valueQuantity={"value": 0.62, "unit": "ratio", "system": UCUM, "code": "1"}),
        obs("abi", site=[RIGHT], valueQuantity={"value": 0.71}),
    ).record
    assert (record.exam.abi.left, record.exam.abi.right) == (0.62, 0.71)


def test_lf_thickness_at_l4_l5_left() -> None:
    record = read(obs("lf-thickness", site=[level("L4-L5"), LEFT], **mm(6.1))).record
    found = record.imaging.level(Level.L4_L5)
    assert found is not None
    side = found.side(Side.LEFT)
    assert side is not None and side.lf_thickness_mm == 6.1
    assert found.side(Side.RIGHT) is None


def test_lf_thickness_in_centimetres_is_converted() -> None:
    record = read(obs("lf-thickness", site=[level("L4-L5"), RIGHT], **mm(0.61, "cm"))).record
    assert record.imaging.levels[0].sides[0].lf_thickness_mm == pytest.approx(6.1)


def test_laminar_shelf() -> None:
    record = read(obs("laminar-shelf", site=[level("L3-L4"), RIGHT], valueBoolean=False)).record
    assert record.imaging.levels[0].level is Level.L3_L4
    assert record.imaging.levels[0].sides[0].laminar_shelf is False


def test_grade_and_level_fact() -> None:
    grade = {"coding": [{"system": "urn:lss-pathway:fhir:CodeSystem:grade", "code": "severe"}]}
    record = read(
        obs("central-stenosis-grade", site=[level("L4-L5")], valueCodeableConcept=grade),
        obs("canal-area", site=[level("L4-L5")], **mm(68, "mm2")),
    ).record
    assert record.imaging.levels[0].central_stenosis == "severe"
    assert record.imaging.levels[0].canal_area_mm2 == 68


def test_questionnaire_scores() -> None:
    record = read(
        obs("odi", valueQuantity={"value": 44, "unit": "%", "system": UCUM, "code": "%"}),
        obs("nprs", valueQuantity={"value": 7}),
    ).record
    assert (record.baseline.odi_percent, record.baseline.nprs) == (44, 7)


def test_wrong_scope_unit_or_status_is_ignored_not_guessed() -> None:
    result = read(
        obs("lf-thickness", "no-side", site=[level("L4-L5")], **mm(6)),
        obs("canal-area", "with-side", site=[level("L4-L5"), LEFT], **mm(60, "mm2")),
        obs("lf-thickness", "inches", site=[level("L4-L5"), LEFT], **mm(0.2, "[in_i]")),
        {**obs("leg-symptoms", "draft", valueBoolean=True), "status": "preliminary"},
        obs("leg-symptoms", "wrong-type", valueString="yes"),
        obs(
            "laminar-shelf",
            "odd-site",
            site=[level("L4-L5"), {"system": SNOMED, "code": "51440002"}],
            valueBoolean=True,
        ),
    )
    assert result.record.imaging.levels == []
    assert result.record.symptoms.leg_symptoms is None
    assert [i.resource_id for i in result.ignored] == [
        "no-side",
        "with-side",
        "inches",
        "draft",
        "wrong-type",
        "odd-site",
    ]


def test_data_absent_reason_is_unknown_without_being_reported() -> None:
    absent = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "unknown"}]
    }
    result = read(obs("epidurogram-appreciated", site=[level("L4-L5"), LEFT], dataAbsentReason=absent))
    assert result.ignored == ()
    (cell,) = result.record.procedure.epidurogram
    assert cell.appreciated is None and cell.level is Level.L4_L5


# --- Medications --------------------------------------------------------------------------------------


def test_medication_request_with_rxnorm_clopidogrel() -> None:
    request = medication("MedicationRequest", [{"system": RXNORM, "code": "32968", "display": "clopidogrel"}])
    result = read(request)
    assert [a.agent for a in result.record.safety.antithrombotics or []] == ["clopidogrel"]
    assert result.ignored == ()


def test_medication_statement_with_project_code_and_holding_facts() -> None:
    statement = medication(
        "MedicationStatement",
        [
            {"system": "urn:lss-pathway:fhir:CodeSystem:antithrombotic-agent", "code": "aspirin_secondary"},
            {"system": RXNORM, "code": "1191"},
            {"system": ATC, "code": "B01AC06"},
        ],
        "asa",
    )
    held = obs(
        "antithrombotic-can-be-held", valueBoolean=False, focus=[{"reference": "MedicationStatement/asa"}]
    )
    days = obs(
        "antithrombotic-days-held",
        valueQuantity={"value": 1, "unit": "d", "system": UCUM, "code": "d"},
        focus=[{"reference": "MedicationStatement/asa"}],
    )
    (item,) = read(held, days, statement).record.safety.antithrombotics or []
    assert (item.agent, item.can_be_held, item.days_held) == ("aspirin_secondary", False, 1)


def test_medication_reference_to_a_medication_resource() -> None:
    med = {
        "resourceType": "Medication",
        "id": "warf",
        "code": {"coding": [{"system": ATC, "code": "B01AA03"}]},
    }
    statement = medication("MedicationStatement", [], "s")
    del statement["medicationCodeableConcept"]
    statement["medicationReference"] = {"reference": "Medication/warf"}
    assert [a.agent for a in read(med, statement).record.safety.antithrombotics or []] == ["warfarin"]


def test_rxnorm_aspirin_alone_is_aspirin_of_unrecorded_indication() -> None:
    result = read(
        medication("MedicationStatement", [{"system": RXNORM, "code": "32968"}], "clop"),
        medication("MedicationStatement", [{"system": RXNORM, "code": "1191"}], "asa"),
    )
    assert [a.agent for a in result.record.safety.antithrombotics or []] == ["clopidogrel", "aspirin"]
    assert result.ignored == ()


def test_project_code_narrows_rxnorm_aspirin_to_its_indication() -> None:
    codings = [{"system": RXNORM, "code": "243670"}, {"system": AGENT, "code": "aspirin_primary"}]
    result = read(medication("MedicationStatement", codings, "asa"))
    assert [a.agent for a in result.record.safety.antithrombotics or []] == ["aspirin_primary"]


def test_heparin_without_route_is_an_other_antithrombotic_to_agree_with_the_prescriber() -> None:
    result = read(medication("MedicationStatement", [{"system": RXNORM, "code": "5224"}], "hep"))
    (agent,) = result.record.safety.antithrombotics or []
    assert agent.agent == "other_antithrombotic" and agent.can_be_held is None
    assert agent.name is not None and "heparin" in agent.name
    (ignored,) = result.ignored
    assert ignored.resource_id == "hep" and "heparin_iv" in ignored.reason
    assert ignored.bears_on == "antithrombotics"


def test_atc_class_alone_never_names_an_agent() -> None:
    result = read(medication("MedicationStatement", [{"system": ATC, "code": "B01AE"}]))
    (agent,) = result.record.safety.antithrombotics or []
    assert agent.agent == "other_antithrombotic"  # an antithrombotic, which one the prescriber says
    assert result.ignored[0].code == "B01AE"


def test_atc_class_contradicting_the_agent_is_an_error() -> None:
    codings = [{"system": RXNORM, "code": "32968"}, {"system": ATC, "code": "B01AA"}]
    with pytest.raises(InputError, match="contradicts"):
        read(medication("MedicationStatement", codings))


def test_exact_text_names_an_agent() -> None:
    statement = medication("MedicationStatement", [])
    statement["medicationCodeableConcept"] = {"text": "Apixaban"}
    assert [a.agent for a in read(statement).record.safety.antithrombotics or []] == ["apixaban"]


def test_unknown_medication_code_is_ignored() -> None:
    result = read(medication("MedicationRequest", [{"system": RXNORM, "code": "6809"}]))  # metformin
    assert result.record.safety.antithrombotics is None
    assert (result.ignored[0].code, result.ignored[0].system) == ("6809", RXNORM)


def test_stopped_medication_is_not_current() -> None:
    result = read(medication("MedicationStatement", [{"system": RXNORM, "code": "11289"}], status="stopped"))
    assert result.record.safety.antithrombotics is None
    assert result.ignored[0].path == "resources[1].status"


def test_none_listed_contradicted_by_a_medication() -> None:
    with pytest.raises(InputError, match="says there is none"):
        read(
            obs("on-antithrombotics", "none", valueBoolean=False),
            medication("MedicationStatement", [{"system": RXNORM, "code": "11289"}]),
        )


# --- Procedure, imaging -------------------------------------------------------------------------------


def test_prior_fusion_at_l4_l5() -> None:
    procedure = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {"coding": [{"system": "urn:lss-pathway:fhir:CodeSystem:procedure-type", "code": "fusion"}]},
        "subject": SUBJECT,
        "bodySite": [{"coding": [level("L4-L5")]}],
        "performedDateTime": "2019-05-14T09:30:00Z",
    }
    (prior,) = read(procedure).record.prior_procedures or []
    assert prior.type is ProcedureType.FUSION
    assert prior.levels == [Level.L4_L5]
    assert prior.date == dt.date(2019, 5, 14)


def test_imaging_study_modality_and_date() -> None:
    study = {
        "resourceType": "ImagingStudy",
        "status": "available",
        "subject": SUBJECT,
        "started": "2026-08-14",
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"}],
    }
    record = read(study).record
    assert (record.imaging.modality, record.imaging.date) == (Modality.MRI, dt.date(2026, 8, 14))


def test_imaging_study_of_another_modality_is_ignored() -> None:
    xray = {
        "resourceType": "ImagingStudy",
        "status": "available",
        "subject": SUBJECT,
        "started": "2026-08-14",
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CR"}],
    }
    result = read(xray)
    assert result.record.imaging.date is None
    assert result.ignored[0].code == "CR"


def test_diagnostic_report_modality_and_date() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "code": {
            "coding": [{"system": "urn:lss-pathway:fhir:CodeSystem:imaging-modality", "code": "CT_myelogram"}]
        },
        "subject": SUBJECT,
        "effectiveDateTime": "2026-07-01T10:00:00+02:00",
    }
    record = read(report).record
    assert (record.imaging.modality, record.imaging.date) == (Modality.CT_MYELOGRAM, dt.date(2026, 7, 1))


# --- Unknown input, invalid input, contradictions -----------------------------------------------------


def test_unknown_code_is_ignored_and_listed() -> None:
    loinc = {
        "resourceType": "Observation",
        "id": "bp",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": SUBJECT,
        "valueQuantity": {"value": 120, "unit": "mm[Hg]"},
    }
    result = record_from_bundle(bundle(PATIENT, loinc))
    assert result.ignored == (
        IgnoredInput(
            "Observation",
            "bp",
            "entry[1].resource.code",
            "unknown Observation code '8480-6' (http://loinc.org); not mapped, never guessed",
            "8480-6",
            "http://loinc.org",
        ),
    )
    assert result.ignored[0].to_dict()["code"] == "8480-6"


def test_unknown_resource_types_are_ignored() -> None:
    allergy = {"resourceType": "AllergyIntolerance", "id": "a", "patient": SUBJECT}
    result = record_from_bundle(bundle(PATIENT, allergy, {"resourceType": "FooBar", "id": "x"}))
    assert [(i.resource_type, i.path) for i in result.ignored] == [
        ("AllergyIntolerance", "entry[1].resource"),
        ("FooBar", "entry[2].resource"),
    ]


def test_invalid_resource_names_its_path() -> None:
    bad = obs("lf-thickness", site=[level("L4-L5"), LEFT], valueQuantity={"value": "thick"})
    with pytest.raises(InputError) as raised:
        record_from_bundle(
            bundle(PATIENT, obs("leg-symptoms", valueBoolean=True), PATIENT | {"id": "q"}, bad)
        )
    (error,) = raised.value.errors
    assert error.field == "entry[3].resource (Observation).valueQuantity.value"


def test_invalid_bundle_envelope() -> None:
    with pytest.raises(InputError, match=r"Bundle\.type"):
        record_from_bundle({"resourceType": "Bundle", "entry": []})
    with pytest.raises(InputError, match="expected a FHIR Bundle"):
        record_from_bundle({"resourceType": "Patient"})


def test_r4_field_is_kept_and_r5_field_refused() -> None:
    """MedicationRequest.medicationCodeableConcept is R4 only (R5 has medication.concept)."""
    r4 = medication("MedicationRequest", [{"system": RXNORM, "code": "1364430"}])
    assert [a.agent for a in read(r4).record.safety.antithrombotics or []] == ["apixaban"]
    r5 = {k: v for k, v in r4.items() if k != "medicationCodeableConcept"}
    r5["medication"] = {"concept": r4["medicationCodeableConcept"]}
    with pytest.raises(InputError) as raised:
        read(r5)
    (error,) = raised.value.errors
    assert error.field == "resources[1] (MedicationRequest).medication"
    assert "not an element of this resource in FHIR R4" in error.message


def test_contradiction_names_both_resources() -> None:
    with pytest.raises(InputError) as raised:
        record_from_bundle(
            bundle(
                PATIENT,
                obs("lf-thickness", "first", site=[level("L4-L5"), LEFT], **mm(6.1)),
                obs("lf-thickness", "second", site=[level("L4-L5"), LEFT], **mm(4.0)),
            )
        )
    (error,) = raised.value.errors
    assert error.field == "imaging.levels[L4-L5].sides[left].lf_thickness_mm"
    assert "entry[1].resource (Observation/first)" in error.message
    assert "entry[2].resource (Observation/second)" in error.message


def test_same_fact_twice_with_the_same_value_is_fine() -> None:
    record = read(
        obs("leg-symptoms", "a", valueBoolean=True), obs("leg-symptoms", "b", valueBoolean=True)
    ).record
    assert record.symptoms.leg_symptoms is True


def test_record_validation_errors_name_the_resource() -> None:
    with pytest.raises(InputError) as raised:
        read(obs("lf-thickness", "thick", site=[level("L4-L5"), LEFT], **mm(20)))
    (error,) = raised.value.errors
    assert error.field == "imaging.levels[0].sides[0].lf_thickness_mm"
    assert "resources[1] (Observation/thick)" in error.message


def test_assessment_date_argument() -> None:
    record = read(assessment_date=dt.date(2026, 1, 2)).record
    assert record.assessment_date == dt.date(2026, 1, 2)
    stated = obs("assessment-date", "when", valueDateTime="2025-12-31")
    with pytest.raises(InputError, match="assessment_date argument"):
        read(stated, assessment_date=dt.date(2026, 1, 2))


def test_bundle_record_id_round_trip_only_from_our_identifier() -> None:
    theirs = bundle(PATIENT) | {"identifier": {"system": "urn:hospital:doc", "value": "DOC-1"}}
    assert record_from_bundle(theirs).record.id is None
    ours = bundle_from_record(record_from_bundle(bundle(PATIENT)).record.model_copy(update={"id": "r-1"}))
    assert record_from_bundle(ours).record.id == "r-1"


# --- More edges ---------------------------------------------------------------------------------------


def test_list_said_to_be_non_empty_but_naming_nothing_stays_unknown() -> None:
    result = read(obs("on-antithrombotics", "yes", valueBoolean=True))
    assert result.record.safety.antithrombotics is None
    assert result.ignored[0].resource_id == "yes"


def test_same_agent_from_request_and_statement_is_listed_once() -> None:
    result = read(
        medication("MedicationRequest", [{"system": RXNORM, "code": "11289"}], "rq", status="on-hold"),
        medication("MedicationStatement", [{"system": ATC, "code": "B01AA03"}], "st"),
    )
    assert [a.agent for a in result.record.safety.antithrombotics or []] == ["warfarin"]


def test_entry_without_resource_and_group_subject_are_reported() -> None:
    group = {**obs("leg-symptoms", "g", valueBoolean=True), "subject": {"reference": "Group/1"}}
    result = record_from_bundle(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"fullUrl": "urn:uuid:x"}, {"resource": group}],
        }
    )
    assert [i.path for i in result.ignored] == ["entry[0].resource", "entry[1].resource.subject"]
    assert result.record.symptoms.leg_symptoms is None


def test_imaging_study_and_report_disagreeing_on_the_date() -> None:
    study = {
        "resourceType": "ImagingStudy",
        "id": "s",
        "status": "available",
        "subject": SUBJECT,
        "started": "2026-08-14",
    }
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r",
        "status": "final",
        "code": {"coding": [{"system": "urn:lss-pathway:fhir:CodeSystem:imaging-modality", "code": "MRI"}]},
        "effectiveDateTime": "2026-08-15",
    }
    with pytest.raises(InputError, match=r"ImagingStudy/s\) says 2026-08-14 but .*DiagnosticReport/r\) says"):
        read(study, report)


def test_decimal_given_as_string_and_whole_number_check() -> None:
    record = read(
        obs("lf-thickness", site=[level("L5-S1"), LEFT], valueQuantity={"value": "3.5", "code": "mm"})
    ).record
    assert record.imaging.levels[0].sides[0].lf_thickness_mm == 3.5
    half = obs("age", valueQuantity={"value": 70.5, "system": UCUM, "code": "a"})
    assert read(half).record.patient.age_years is None
