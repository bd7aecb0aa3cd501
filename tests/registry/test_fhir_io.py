"""FHIR out and back in: a subject's Bundle validates, carries 0275T and level/side sites, and its
QuestionnaireResponses re-enter as a follow-up with the same scores."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from tests.registry.helpers import answers

from lss_pathway.fhir import codes as fhir_codes
from lss_pathway.registry import fhir_io
from lss_pathway.registry.errors import InvalidInput
from lss_pathway.registry.store import Complaint, Registry
from lss_pathway.registry.tokens import create_token
from lss_pathway.server.app import create_app

WHO = {"actor": "t", "reason": "fhir"}
ZCQ = {f"ss{i}": 3 for i in range(1, 8)} | {f"pf{i}": 2 for i in range(1, 6)}


def followed(registry: Registry) -> str:
    sid = registry.enrol(**WHO)
    registry.add_procedure(
        sid,
        performed_on=dt.date(2025, 1, 10),
        levels=[("L4-L5", "left"), ("L3-L4", "right")],
        complications=[Complaint("dural_tear")],
        **WHO,
    )
    registry.add_follow_up(
        sid,
        "3m",
        collected_on=dt.date(2025, 4, 12),
        source="clinician",
        responses={**answers(10, 3), "zcq": ZCQ},
        **WHO,
    )
    return sid


def resources(bundle: dict[str, object], kind: str) -> list[dict[str, object]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]  # type: ignore[index,union-attr]


def test_codes_agree_with_the_fhir_edge() -> None:
    assert fhir_io.SPINAL_LEVEL == fhir_codes.SPINAL_LEVEL and fhir_io.SNOMED == fhir_codes.SNOMED
    assert {side.value: code for side, code in fhir_codes.LATERALITY_CODE.items()} == fhir_io.LATERALITY_CODE


def test_bundle_out(registry: Registry) -> None:
    sid = followed(registry)
    bundle = fhir_io.subject_bundle(registry.engine, sid)
    (procedure,) = resources(bundle, "Procedure")
    assert procedure["code"]["coding"][0] == {"system": fhir_io.CPT, "code": "0275T"}  # type: ignore[index]
    sites = [[c["code"] for c in s["coding"]] for s in procedure["bodySite"]]  # type: ignore[union-attr,index]
    assert sites == [["L4-L5", "7771000"], ["L3-L4", "24028007"]]
    assert procedure["performedDateTime"] == "2025-01-10"
    responses = resources(bundle, "QuestionnaireResponse")
    assert sorted(r["questionnaire"] for r in responses) == [
        fhir_io.QUESTIONNAIRE + i for i in ("nprs", "odi", "zcq")
    ]
    observations = resources(bundle, "Observation")
    by_code = {o["code"]["coding"][0]["code"]: o for o in observations}  # type: ignore[index]
    assert by_code["odi"]["valueQuantity"]["value"] == 20.0  # type: ignore[index]
    assert by_code["zcq-symptom-severity"]["valueQuantity"]["value"] == 3.0  # type: ignore[index]
    urls = {e["fullUrl"] for e in bundle["entry"]}  # type: ignore[union-attr]
    assert all(o["derivedFrom"][0]["reference"] in urls for o in observations)  # type: ignore[index]
    assert "urn:mrn" not in json.dumps(bundle)


def test_round_trip_through_questionnaire_responses(registry: Registry) -> None:
    sid = followed(registry)
    bundle = fhir_io.subject_bundle(registry.engine, sid)
    only_qr = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [e for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"],
    }
    time_point, on, source, responses = fhir_io.follow_up_from_bundle(only_qr)
    assert (time_point, on, source) == ("3m", dt.date(2025, 4, 12), "clinician")
    other = registry.enrol(**WHO)
    registry.add_procedure(other, performed_on=dt.date(2025, 1, 10), levels=[("L4-L5", "left")], **WHO)
    result = registry.add_follow_up(
        other, time_point, collected_on=on, source=source, responses=responses, **WHO
    )
    assert result.scores == {"odi": 20.0, "nprs": 3.0, "zcq": 3.0}


def test_bad_questionnaire_response_is_refused() -> None:
    with pytest.raises(InvalidInput, match="questionnaire must be"):
        fhir_io.answers_from_questionnaire_response(
            {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": "http://x/odi"}
        )
    with pytest.raises(InvalidInput, match="no QuestionnaireResponse"):
        fhir_io.follow_up_from_bundle({"resourceType": "Bundle", "type": "collection", "entry": []})


def test_rest_fhir_endpoints(registry: Registry) -> None:
    app = create_app()
    app.state.registry_engine = registry.engine
    client = TestClient(app)
    token = {"Authorization": f"Bearer {create_token(registry.engine, 'w', 'write')}"}
    sid = followed(registry)
    bundle = client.get(f"/v1/registry/subjects/{sid}/fhir", headers=token).json()
    assert bundle["resourceType"] == "Bundle"
    assert client.get(f"/v1/registry/subjects/{sid}/fhir").status_code == 401
    qr = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [e for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"],
    }
    duplicate = client.post(f"/v1/registry/subjects/{sid}/follow-ups/fhir", json=qr, headers=token)
    assert duplicate.status_code == 409
