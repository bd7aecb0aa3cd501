"""Radiology reports inside FHIR input: read by the report reader in /v1/fhir/assessments and CDS Hooks.

The report texts are written for these tests in the styles radiologists use (headers, per-level lines);
the DiagnosticReport / DocumentReference JSON follows FHIR R4 as EHRs send it (LOINC-coded, radiology
category, base64 text/plain ``presentedForm``).
"""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.fhir_test_server import fhir_app
from tests.api.test_cds_hooks import REPORT_URL, check_response, load, mild_order, orders_for
from tests.live_server import serving

from lss_pathway.api.app import create_app
from lss_pathway.api.cds_hooks import PREFETCH
from lss_pathway.api.prefetch import prefetch_from_bundle
from lss_pathway.api.report_reading import lumbar_imaging
from lss_pathway.api.settings import AuthSettings, ServiceSettings
from lss_pathway.domain.record import PatientRecord
from lss_pathway.fhir.mapping import bundle_from_record

TOKEN = "report-test-token-0123456789"
EXT = "org.lss-pathway"
REPORT = """EXAM: MRI LUMBAR SPINE WITHOUT CONTRAST
CLINICAL HISTORY: Bilateral leg pain on walking. Evaluate for stenosis.
TECHNIQUE: Sagittal T1 and T2, axial T2.

FINDINGS:
L1-2 through L3-4: No significant canal or foraminal stenosis.
L4-5: Ligamentum flavum thickening and a broad disc bulge result in severe central canal stenosis. \
Moderate left and mild right neural foraminal narrowing.
L5-S1: Unremarkable.

IMPRESSION:
Severe central canal stenosis at L4-5.
"""
CENTRAL = "imaging.levels[L4-L5].central_stenosis"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def mri_report(
    rid: str = "mr-ls-1", *, status: str = "final", day: str = "2026-10-12", **extra: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": status,
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                        "code": "RAD",
                        "display": "Radiology",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "24968-0", "display": "MR Lumbar spine"}],
            "text": "MRI lumbar spine without contrast",
        },
        "effectiveDateTime": f"{day}T09:30:00Z",
        "issued": f"{day}T14:02:00Z",
        "presentedForm": [
            {"contentType": "text/plain; charset=utf-8", "data": b64(REPORT), "title": "MRI L-spine"}
        ],
    }
    resource.update(extra)
    return resource


def with_report(record: PatientRecord, *reports: dict[str, Any]) -> dict[str, Any]:
    """The record's FHIR Bundle with the reports added, each about the record's patient."""
    bundle = bundle_from_record(record)
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    for report in reports:
        report = copy.deepcopy(report)
        report["subject"] = {"reference": patient["fullUrl"]}
        bundle["entry"].append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": report})
    return bundle


def coded_moderate() -> PatientRecord:
    """No imaging but a coded L4-L5 central stenosis of 'moderate' (as a coded Observation would say)."""
    record = load("10-imaging-missing")
    data = record.model_dump(mode="json", exclude_none=True)
    data["imaging"] = {"modality": "MRI", "levels": [{"level": "L4-L5", "central_stenosis": "moderate"}]}
    return PatientRecord.model_validate(data)


@pytest.fixture
def client() -> TestClient:
    return TestClient(
        create_app(ServiceSettings(auth=AuthSettings(insecure_demo=True), report_url=REPORT_URL))
    )


def assess_bundle(client: TestClient, bundle: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/fhir/assessments", params={"explain": "full"}, json=bundle)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def explanation_facts(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(node: dict[str, Any]) -> None:
        for fact in node.get("facts", []):
            found.setdefault(fact["fact"], []).append(fact)
        for child in node.get("children", []):
            walk(child)

    for entry in result["results"].values():
        walk(entry["explanation"])
    return found


# --- /v1/fhir/assessments ---------------------------------------------------------------------------------


def test_a_final_lumbar_mri_report_fills_imaging_with_provenance_in_the_explanation(
    client: TestClient,
) -> None:
    result = assess_bundle(client, with_report(load("10-imaging-missing"), mri_report()))
    read = result["report_reading"]["read"]
    assert read["report"] == "DiagnosticReport/mr-ls-1" and read["date"] == "2026-10-12"
    central = read["filled_from_report"][CENTRAL]
    assert central["value"] == "severe" and central["span"]["section"] == "findings"
    start, end = central["span"]["start"], central["span"]["end"]
    assert REPORT[start:end] == central["text"]
    assert (
        read["filled_from_report"]["imaging.levels[L4-L5].sides[left].foraminal_stenosis"]["value"]
        == "moderate"
    )
    facts = explanation_facts(result)
    shown = facts[CENTRAL][0]
    assert shown["value"] == "severe"
    assert shown["from_report"]["report"] == "DiagnosticReport/mr-ls-1"
    assert shown["from_report"]["rule_id"] == central["rule_id"]
    assert (shown["from_report"]["start"], shown["from_report"]["end"]) == (start, end)
    assert "severe central canal stenosis" in shown["from_report"]["sentence"]
    # the mapping alone did not know the LOINC code; now that the report is read it is not "ignored"
    assert not [i for i in result["ignored_input"] if i["resource_type"] == "DiagnosticReport"]
    # the central stenosis criterion at L4-L5 is decided by the report's facts
    assert result["results"]["central_canal_stenosis@L4-L5"]["value"] == "met"


def test_without_the_report_the_same_bundle_has_no_imaging(client: TestClient) -> None:
    result = assess_bundle(client, with_report(load("10-imaging-missing")))
    assert result["report_reading"] == {"read": None, "not_read": []}
    assert CENTRAL not in explanation_facts(result)


def test_an_amended_report_is_read_and_an_entered_in_error_one_is_not(client: TestClient) -> None:
    amended = assess_bundle(client, with_report(load("10-imaging-missing"), mri_report(status="amended")))
    assert amended["report_reading"]["read"]["filled_from_report"][CENTRAL]["value"] == "severe"
    wrong = assess_bundle(
        client, with_report(load("10-imaging-missing"), mri_report(status="entered-in-error"))
    )
    assert wrong["report_reading"]["read"] is None
    assert wrong["report_reading"]["not_read"] == [
        {
            "report": "DiagnosticReport/mr-ls-1",
            "reason": "status 'entered-in-error': only final reports are read",
        }
    ]
    assert CENTRAL not in explanation_facts(wrong)


def test_a_disagreeing_coded_fact_is_a_conflict_not_an_overwrite(client: TestClient) -> None:
    result = assess_bundle(client, with_report(coded_moderate(), mri_report()))
    read = result["report_reading"]["read"]
    conflicts = {c["path"]: c for c in read["conflicts"]}
    assert conflicts[CENTRAL]["record_value"] == "moderate" and conflicts[CENTRAL]["report_value"] == "severe"
    assert "severe central canal stenosis" in conflicts[CENTRAL]["evidence"]["span"]["sentence"]
    assert CENTRAL not in read["filled_from_report"]
    shown = explanation_facts(result)[CENTRAL][0]
    assert shown["value"] == "moderate"  # the coded value is kept
    assert "from_report" not in shown and shown["report_conflict"]["report_value"] == "severe"
    assert "imaging.modality" in read["agreed"]  # the report says MRI, as the coded data does


def test_only_lumbar_final_text_reports_about_this_patient_are_read(client: TestClient) -> None:
    head = mri_report(
        "ct-head",
        code={"coding": [{"system": "http://loinc.org", "code": "24725-4", "display": "CT Head"}]},
    )
    url_only = mri_report(
        "mr-url", presentedForm=[{"contentType": "text/plain", "url": "https://pacs.example.org/r/9"}]
    )
    result = assess_bundle(client, with_report(load("10-imaging-missing"), head, url_only))
    assert result["report_reading"]["read"] is None
    reasons = {n["report"]: n["reason"] for n in result["report_reading"]["not_read"]}
    assert reasons["DiagnosticReport/ct-head"].startswith("not a lumbar spine MR or CT report")
    assert "a URL is not fetched" in reasons["DiagnosticReport/mr-url"]


def test_the_most_recent_study_is_read_and_a_later_dated_one_is_not(client: TestClient) -> None:
    older = mri_report(
        "old",
        day="2025-01-05",
        presentedForm=[{"contentType": "text/plain", "data": b64("L4-5: Mild canal stenosis.")}],
    )
    future = mri_report("late", day="2026-12-01")  # the assessment date is 2026-11-01
    result = assess_bundle(client, with_report(load("10-imaging-missing"), older, mri_report(), future))
    reading = result["report_reading"]
    assert reading["read"]["report"] == "DiagnosticReport/mr-ls-1"
    reasons = {n["report"]: n["reason"] for n in reading["not_read"]}
    assert "after the assessment date" in reasons["DiagnosticReport/late"]
    assert (
        "the most recent study (DiagnosticReport/mr-ls-1, 2026-10-12) is read"
        in reasons["DiagnosticReport/old"]
    )


def test_a_document_reference_and_a_conclusion_only_report_are_read(client: TestClient) -> None:
    document = {
        "resourceType": "DocumentReference",
        "id": "doc-1",
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [
                {"system": "http://loinc.org", "code": "18748-4", "display": "Diagnostic imaging study"}
            ]
        },
        "description": "CT lumbar spine",
        "date": "2026-10-20T10:00:00Z",
        "content": [{"attachment": {"contentType": "text/plain", "data": b64(REPORT.replace("MRI", "CT"))}}],
    }
    result = assess_bundle(client, with_report(load("10-imaging-missing"), document))
    read = result["report_reading"]["read"]
    assert read["report"] == "DocumentReference/doc-1"
    assert read["filled_from_report"][CENTRAL]["value"] == "severe"
    conclusion = mri_report(presentedForm=None, conclusion="Moderate central canal stenosis at L3-4.")
    del conclusion["presentedForm"]
    result = assess_bundle(client, with_report(load("10-imaging-missing"), conclusion))
    found = result["report_reading"]["read"]["filled_from_report"]["imaging.levels[L3-L4].central_stenosis"]
    assert found["value"] == "moderate" and found["span"]["section"] == "impression"


def test_which_reports_count_as_lumbar_imaging() -> None:
    assert lumbar_imaging(mri_report())[0]
    local = {
        "resourceType": "DiagnosticReport",
        "code": {"coding": [{"system": "urn:local", "code": "MRLS"}], "text": "MR L-Spine w/o"},
    }
    assert lumbar_imaging(local)[0]
    xray = {"resourceType": "DiagnosticReport", "code": {"text": "XR lumbar spine 2 views"}}
    assert not lumbar_imaging(xray)[0]
    cervical = {"resourceType": "DiagnosticReport", "code": {"text": "MRI cervical spine"}}
    assert not lumbar_imaging(cervical)[0]


# --- CDS Hooks ----------------------------------------------------------------------------------------------


def hook_body(hook: str, record: PatientRecord, *reports: dict[str, Any]) -> dict[str, Any]:
    patient_id, prefetch = prefetch_from_bundle(with_report(record, *reports))
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
        "prefetch": prefetch,
        "extension": {EXT: {"assessmentDate": "2026-11-01"}},
    }
    return body


def test_patient_view_card_shows_report_derived_facts_with_their_sentences(client: TestClient) -> None:
    body = hook_body("patient-view", load("10-imaging-missing"), mri_report())
    response = client.post("/cds-services/lss-patient-view", json=body)
    assert response.status_code == 200, response.text
    cards = check_response(response.json())
    detail = cards[-1]["detail"]
    assert "Imaging facts read from the radiology report** DiagnosticReport/mr-ls-1, 2026-10-12" in detail
    assert "- central stenosis grade severe at L4-L5: \u201cL4-5: Ligamentum flavum thickening" in detail
    assert detail.index("foraminal stenosis moderate at L4-L5 left") < detail.index("none at L1-L2")
    ours = response.json()["extension"][EXT]
    assert ours["reportReading"]["read"]["filled_from_report"][CENTRAL]["value"] == "severe"


def test_order_sign_card_reports_the_conflict(client: TestClient) -> None:
    body = hook_body("order-sign", coded_moderate(), mri_report())
    order = orders_for(body["context"]["patientId"], mild_order("L4-L5", "left"))
    body["context"]["draftOrders"] = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": order[0]}],
    }
    response = client.post("/cds-services/lss-order-sign", json=body)
    assert response.status_code == 200, response.text
    detail = check_response(response.json())[-1]["detail"]
    assert "The radiology report and the coded data disagree" in detail
    assert (
        "central stenosis grade moderate at L4-L5 in the coded data, but the report says central stenosis "
        "grade severe: \u201cL4-5: Ligamentum" in detail
    )


def test_reports_are_fetched_from_the_fhir_server_when_not_prefetched(client: TestClient) -> None:
    body = hook_body("patient-view", load("10-imaging-missing"), mri_report())
    patient_id = body["context"]["patientId"]
    prefetch = body.pop("prefetch")
    report = prefetch["reports"]["entry"][0]["resource"]
    fhir = fhir_app([prefetch["patient"], report], TOKEN)
    body["fhirServer"] = "placeholder"
    with serving(fhir) as base:
        body["fhirServer"] = f"{base}/fhir"
        body["fhirAuthorization"] = {
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "x",
        }
        response = client.post("/cds-services/lss-patient-view", json=body)
    assert response.status_code == 200, response.text
    searched = " ".join(fhir.state.requests)
    assert f"DiagnosticReport?patient={patient_id}" in searched and "24968-0" in searched
    assert "DocumentReference?patient=" in searched
    assert "DiagnosticReport/mr-ls-1" in response.json()["cards"][-1]["detail"]
    assert TOKEN not in response.text


def test_discovery_templates_ask_for_lumbar_reports_and_documents() -> None:
    assert "http://loinc.org|24968-0" in PREFETCH["reports"]
    assert PREFETCH["documents"].startswith("DocumentReference?patient={{context.patientId}}&status=current")


def test_every_report_code_has_a_known_source_and_tag_and_is_documented() -> None:
    from pathlib import Path

    from lss_pathway.domain.packaged import packaged_yaml

    data = packaged_yaml("lss_pathway.api", "data/report_codes.yaml")
    docs = (Path(__file__).resolve().parents[2] / "docs" / "report-reading.md").read_text()
    for row in [*data["loinc"], *data["generic"]]:
        assert row["source"] in data["sources"] and row["verification"] in ("V", "R", "P"), row
        assert row["code"] in docs, row["code"]


def test_a_newer_report_without_text_does_not_hide_an_older_readable_one(client: TestClient) -> None:
    pdf_only = mri_report(
        "mr-pdf",
        day="2026-10-30",
        presentedForm=[{"contentType": "application/pdf", "data": b64("%PDF-1.7")}],
    )
    result = assess_bundle(client, with_report(load("10-imaging-missing"), pdf_only, mri_report()))
    reading = result["report_reading"]
    assert reading["read"]["report"] == "DiagnosticReport/mr-ls-1"
    reasons = {n["report"]: n["reason"] for n in reading["not_read"]}
    assert "application/pdf is not plain text" in reasons["DiagnosticReport/mr-pdf"]


def test_schema_1_keeps_the_report_provenance_in_its_criteria_list(client: TestClient) -> None:
    bundle = with_report(load("10-imaging-missing"), mri_report())
    response = client.post("/v1/fhir/assessments", params={"schema": 1}, json=bundle)
    assert response.status_code == 200, response.text
    criteria = response.json()["criteria"]
    shown = explanation_facts({"results": {c["id"] + "@" + c["where"]: c for c in criteria}})[CENTRAL]
    assert shown[0]["from_report"]["report"] == "DiagnosticReport/mr-ls-1"
