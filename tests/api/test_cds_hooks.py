"""CDS Hooks 2.0: discovery, patient-view and order cards from prefetched FHIR data, 412, feedback.

JWT checks are off here (``insecure_demo``); ``test_security.py`` covers them. Prefetch is built from
the examples with ``bundle_from_record``, split by resource type as an EHR's searches would return it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import EXAMPLES

from lss_pathway.api.app import create_app
from lss_pathway.api.cds_hooks import CPT_SYSTEM, LEVEL_SYSTEM, SNOMED, order_targets
from lss_pathway.api.settings import AuthSettings, ServiceSettings
from lss_pathway.assess import assess
from lss_pathway.domain.anatomy import LEVELS, SIDES, Level, Side
from lss_pathway.domain.parsing import parse_record
from lss_pathway.domain.record import PatientRecord
from lss_pathway.report.cells import VERDICT_LABEL

REPORT_URL = "https://clinic.example.org/lss/report"
LEFT, RIGHT = "7771000", "24028007"


# --- a small checker for the CDS Hooks 2.0 JSON shapes ----------------------------------------------------

CARD_KEYS = {
    "uuid",
    "summary",
    "detail",
    "indicator",
    "source",
    "suggestions",
    "selectionBehavior",
    "overrideReasons",
    "links",
    "extension",
}


def _absolute_url(value: Any) -> bool:
    parsed = urlparse(value) if isinstance(value, str) else None
    return parsed is not None and parsed.scheme in ("http", "https") and bool(parsed.netloc)


def check_coding(coding: Any, *, display_required: bool) -> None:
    assert isinstance(coding, dict) and set(coding) <= {"code", "system", "display"}
    assert isinstance(coding["code"], str) and coding["code"]
    if "system" in coding:
        assert isinstance(coding["system"], str) and coding["system"]
    if display_required:
        assert isinstance(coding.get("display"), str) and coding["display"]


def check_card(card: Any) -> None:
    assert isinstance(card, dict), card
    assert set(card) <= CARD_KEYS, set(card) - CARD_KEYS
    if "uuid" in card:
        uuid.UUID(card["uuid"])
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140, card["summary"]
    assert card["indicator"] in ("info", "warning", "critical")
    source = card["source"]
    assert isinstance(source, dict) and set(source) <= {"label", "url", "icon", "topic"}
    assert isinstance(source["label"], str) and source["label"]
    if "url" in source:
        assert _absolute_url(source["url"])
    if "detail" in card:
        assert isinstance(card["detail"], str) and card["detail"]
    for link in card.get("links", []):
        assert set(link) <= {"label", "url", "type", "appContext"}
        assert isinstance(link["label"], str) and link["label"]
        assert _absolute_url(link["url"]) and link["type"] in ("absolute", "smart")
    for reason in card.get("overrideReasons", []):
        check_coding(reason, display_required=True)
    if card.get("suggestions"):
        assert card["selectionBehavior"] in ("at-most-one", "any")


def check_response(body: Any) -> list[dict[str, Any]]:
    assert isinstance(body, dict) and set(body) <= {"cards", "systemActions", "extension"}
    assert isinstance(body["cards"], list)
    for card in body["cards"]:
        check_card(card)
    assert len({c["uuid"] for c in body["cards"]}) == len(body["cards"])
    return body["cards"]


# --- building requests ----------------------------------------------------------------------------------


def load(name: str) -> PatientRecord:
    return parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml")


def prefetch_for(record: PatientRecord) -> tuple[str, dict[str, Any]]:
    """The patient id and a prefetch object, as an EHR would fill our templates."""
    from lss_pathway.api.prefetch import prefetch_from_bundle
    from lss_pathway.fhir.mapping import bundle_from_record

    return prefetch_from_bundle(bundle_from_record(record))


def hook_request(hook: str, name: str, orders: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    record = load(name)
    patient_id, prefetch = prefetch_for(record)
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": patient_id}
    if orders is not None:
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": o} for o in orders],
        }
        if hook == "order-select":
            context["selections"] = [f"ServiceRequest/{o['id']}" for o in orders]
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example.org/fhir",
        "context": context,
        "prefetch": prefetch,
    }
    if record.assessment_date is not None:
        body["extension"] = {"org.lss-pathway": {"assessmentDate": record.assessment_date.isoformat()}}
    return body


def mild_order(
    level: str | None = "L4-L5", side: str | None = None, *, code: str = "0275T", oid: str = "sr-1"
) -> dict[str, Any]:
    site: list[dict[str, Any]] = []
    codings: list[dict[str, Any]] = []
    if level:
        codings.append({"system": LEVEL_SYSTEM, "code": level, "display": level})
    if side:
        codings.append({"system": SNOMED, "code": {"left": LEFT, "right": RIGHT}[side], "display": side})
    if codings:
        site.append({"coding": codings})
    order: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": oid,
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": CPT_SYSTEM, "code": code}]},
        "subject": {"reference": "Patient/placeholder"},
    }
    if site:
        order["bodySite"] = site
    return order


def orders_for(body_patient: str, *orders: dict[str, Any]) -> list[dict[str, Any]]:
    for order in orders:
        order["subject"] = {"reference": f"Patient/{body_patient}"}
    return list(orders)


def order_request(hook: str, name: str, *orders: dict[str, Any]) -> dict[str, Any]:
    body = hook_request(hook, name, [])
    patient = body["context"]["patientId"]
    fresh = hook_request(hook, name, orders_for(patient, *orders))
    fresh["prefetch"] = body["prefetch"]
    return fresh


@pytest.fixture
def client() -> TestClient:
    auth = AuthSettings(insecure_demo=True)
    return TestClient(create_app(ServiceSettings(auth=auth, report_url=REPORT_URL)))


def post(client: TestClient, service: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(f"/cds-services/{service}", json=body)
    assert response.status_code == 200, response.text
    return check_response(response.json())


def assert_common(card: dict[str, Any]) -> None:
    assert "textbook@1.2.0" in card["detail"]
    assert "decision rests with the treating clinician" in card["detail"]
    assert card["links"] == [{"label": "Full LSS assessment report", "url": REPORT_URL, "type": "absolute"}]


# --- discovery ------------------------------------------------------------------------------------------


def test_discovery_lists_three_services_with_prefetch_templates(client: TestClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = response.json()["services"]
    assert {s["id"]: s["hook"] for s in services} == {
        "lss-patient-view": "patient-view",
        "lss-order-select": "order-select",
        "lss-order-sign": "order-sign",
    }
    for service in services:
        assert set(service) <= {"hook", "title", "description", "id", "prefetch", "usageRequirements"}
        assert all(isinstance(service[k], str) and service[k] for k in ("hook", "title", "description", "id"))
        prefetch = service["prefetch"]
        assert prefetch["patient"] == "Patient/{{context.patientId}}"
        assert set(prefetch) >= {"conditions", "observations", "medications", "procedures", "imaging"}
        for template in prefetch.values():
            assert re.fullmatch(r"[A-Za-z]+(/\{\{context\.patientId\}\}|\?[^\s]+)", template), template


# --- patient-view -----------------------------------------------------------------------------------------


def test_patient_view_summarises_candidacy(client: TestClient) -> None:
    response = client.post(
        "/cds-services/lss-patient-view", json=hook_request("patient-view", "01-bilateral-l45-candidate")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    cards = check_response(body)
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "info"
    assert "L4-L5 (both sides)" in card["summary"] and "candidate" in card["summary"]
    assert "| L4-L5 | candidate | candidate |" in card["detail"]
    assert_common(card)
    ours = body["extension"]["org.lss-pathway"]
    assert ours["ruleset"] == "textbook@1.2.0" == response.headers["x-ruleset"]
    assert ours["inputDigest"] == response.headers["x-input-digest"]
    assert isinstance(ours["ignoredInput"], list)
    assert ours["unavailablePrefetch"] == []


def test_patient_view_puts_red_flags_first_as_critical(client: TestClient) -> None:
    cards = post(client, "lss-patient-view", hook_request("patient-view", "09-cauda-equina-red-flags"))
    assert [c["indicator"] for c in cards] == ["critical", "info"]
    assert "Saddle anaesthesia" in cards[0]["summary"]
    assert "cauda equina" in cards[0]["detail"].lower()
    assert "No level/side is a mild candidate" in cards[1]["summary"]
    for card in cards:
        assert_common(card)


def test_patient_view_names_prefetch_the_ehr_could_not_provide(client: TestClient) -> None:
    body = hook_request("patient-view", "01-bilateral-l45-candidate")
    body["prefetch"]["procedures"] = None  # null: the EHR has no such data (CDS Hooks 2.0)
    del body["prefetch"]["statements"]
    response = client.post("/cds-services/lss-patient-view", json=body)
    assert response.status_code == 200, response.text
    cards = check_response(response.json())
    assert "Not available from the EHR (treated as unknown): statements." in cards[0]["detail"]
    assert response.json()["extension"]["org.lss-pathway"]["unavailablePrefetch"] == ["statements"]


def test_no_links_without_a_report_url() -> None:
    plain = TestClient(create_app(ServiceSettings(auth=AuthSettings(insecure_demo=True))))
    cards = post(plain, "lss-patient-view", hook_request("patient-view", "01-bilateral-l45-candidate"))
    assert all("links" not in c for c in cards)


def test_missing_patient_prefetch_is_412(client: TestClient) -> None:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example.org/fhir",  # no fhirAuthorization: nothing is fetched
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "prefetch": {"conditions": {"resourceType": "Bundle", "type": "searchset", "entry": []}},
    }
    response = client.post("/cds-services/lss-patient-view", json=body)
    assert response.status_code == 412
    assert response.json()["detail"][0]["field"] == "prefetch.patient"
    body["prefetch"]["patient"] = None
    assert client.post("/cds-services/lss-patient-view", json=body).status_code == 412
    del body["prefetch"]
    assert client.post("/cds-services/lss-patient-view", json=body).status_code == 412


def test_prefetch_for_another_patient_is_refused(client: TestClient) -> None:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "prefetch": {"patient": {"resourceType": "Patient", "id": "p2"}},
    }
    response = client.post("/cds-services/lss-patient-view", json=body)
    assert response.status_code == 422 and "p2" not in response.text
    body["prefetch"] = {
        "patient": {"resourceType": "Patient", "id": "p1"},
        "conditions": {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/p2"}}}],
        },
    }
    response = client.post("/cds-services/lss-patient-view", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "prefetch.conditions"


def test_request_shape_errors(client: TestClient) -> None:
    good: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": "p1", "userId": "Practitioner/1"},
    }
    wrong_hook = {**good, "hook": "order-sign"}
    response = client.post("/cds-services/lss-patient-view", json=wrong_hook)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "hook"
    no_context = {k: v for k, v in good.items() if k != "context"}
    assert client.post("/cds-services/lss-patient-view", json=no_context).status_code == 422
    no_patient = {**good, "context": {"userId": "Practitioner/1"}}
    assert client.post("/cds-services/lss-patient-view", json=no_patient).status_code == 422
    assert client.post("/cds-services/no-such-service", json=good).status_code == 404
    orders = {**good, "hook": "order-select"}
    response = client.post("/cds-services/lss-order-select", json=orders)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "context.draftOrders"
    bad_date = {**good, "prefetch": {"patient": {"resourceType": "Patient", "id": "p1"}}}
    bad_date["extension"] = {"org.lss-pathway": {"assessmentDate": "yesterday"}}
    assert client.post("/cds-services/lss-patient-view", json=bad_date).status_code == 422


# --- order-select and order-sign --------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["lss-order-select", "lss-order-sign"])
def test_candidate_order_gets_an_info_card(client: TestClient, service: str) -> None:
    hook = service.removeprefix("lss-")
    cards = post(
        client, service, order_request(hook, "01-bilateral-l45-candidate", mild_order("L4-L5", "left"))
    )
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "info"
    assert card["summary"].startswith("mild (CPT 0275T) at L4-L5 left: candidate")
    assert card["overrideReasons"]
    assert_common(card)


@pytest.mark.parametrize("service", ["lss-order-select", "lss-order-sign"])
def test_not_a_candidate_order_gets_a_warning_with_the_reasons(client: TestClient, service: str) -> None:
    hook = service.removeprefix("lss-")
    body = order_request(hook, "13-no-laminar-shelf-left-l45", mild_order("L4-L5", "left"))
    cards = post(client, service, body)
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "warning"
    assert "L4-L5 left: not a candidate" in card["summary"]
    assert "laminar shelf" in card["detail"].lower()
    assert_common(card)


def test_order_without_laterality_means_both_sides(client: TestClient) -> None:
    body = order_request("order-sign", "13-no-laminar-shelf-left-l45", mild_order("L4-L5", None))
    cards = post(client, "lss-order-sign", body)
    assert [(c["indicator"], c["summary"].split(":")[0]) for c in cards] == [
        ("warning", "mild (CPT 0275T) at L4-L5 left"),
        ("info", "mild (CPT 0275T) at L4-L5 right"),
    ]


def test_undetermined_order_lists_the_facts_to_document(client: TestClient) -> None:
    body = order_request("order-select", "10-imaging-missing", mild_order("L4-L5", "left"))
    cards = post(client, "lss-order-select", body)
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "warning"
    assert "undetermined" in card["summary"] and "document" in card["summary"]
    assert "Document these to settle it" in card["detail"]
    assert "- [ ] L4-L5 not described in the imaging report" in card["detail"]
    assert "imaging.levels[" not in card["detail"]
    assert_common(card)


def test_red_flags_come_first_on_order_cards_too(client: TestClient) -> None:
    body = order_request("order-sign", "09-cauda-equina-red-flags", mild_order("L4-L5", "right"))
    cards = post(client, "lss-order-sign", body)
    assert [c["indicator"] for c in cards] == ["critical", "warning"]


def test_other_orders_get_no_card(client: TestClient) -> None:
    mri = mild_order("L4-L5", "left", code="72148", oid="sr-mri")
    body = order_request("order-select", "01-bilateral-l45-candidate", mri)
    assert post(client, "lss-order-select", body) == []
    med = {"resourceType": "MedicationRequest", "id": "mr-1", "status": "draft", "intent": "order"}
    body["context"]["draftOrders"]["entry"] = [{"resource": med}]
    assert post(client, "lss-order-sign", {**body, "hook": "order-sign"}) == []


def test_order_select_considers_only_the_selected_orders(client: TestClient) -> None:
    body = order_request(
        "order-select",
        "13-no-laminar-shelf-left-l45",
        mild_order("L4-L5", "left", oid="a"),
        mild_order("L4-L5", "right", oid="b"),
    )
    body["context"]["selections"] = ["ServiceRequest/b"]
    cards = post(client, "lss-order-select", body)
    assert [c["summary"].split(":")[0] for c in cards] == ["mild (CPT 0275T) at L4-L5 right"]


def test_order_without_a_level_asks_for_one(client: TestClient) -> None:
    body = order_request("order-sign", "01-bilateral-l45-candidate", mild_order(None, "left"))
    cards = post(client, "lss-order-sign", body)
    assert len(cards) == 1 and cards[0]["indicator"] == "warning"
    assert "names no spinal level" in cards[0]["summary"]
    assert "L4-L5 (both sides)" in cards[0]["detail"]


# --- reading bodySite -----------------------------------------------------------------------------------


def test_order_targets_pair_levels_and_sides() -> None:
    order = mild_order("L4-L5", "right")
    assert [(t.level, t.side) for t in order_targets(order)] == [(Level.L4_L5, Side.RIGHT)]
    order["bodySite"] = [
        {"coding": [{"system": LEVEL_SYSTEM, "code": "L3-L4"}]},
        {"coding": [{"system": LEVEL_SYSTEM, "code": "L4-L5"}, {"system": SNOMED, "code": RIGHT}]},
        {"coding": [{"system": SNOMED, "code": LEFT}]},
    ]
    assert [(t.level, t.side) for t in order_targets(order)] == [
        (Level.L3_L4, Side.LEFT),
        (Level.L4_L5, Side.RIGHT),
    ]
    order["bodySite"] = [{"coding": [{"system": LEVEL_SYSTEM, "code": "L6-S1"}]}]
    [target] = order_targets(order)
    assert target.level is None and target.problem and "L6" in target.problem


# --- feedback ---------------------------------------------------------------------------------------------


def issued_cards(client: TestClient) -> list[dict[str, Any]]:
    """Cards this service issued: a not-candidate order (with a suggestion) and a candidate one."""
    body = order_request(
        "order-sign",
        "13-no-laminar-shelf-left-l45",
        mild_order("L4-L5", "left", oid="a"),
        mild_order("L4-L5", "right", oid="b"),
    )
    return post(client, "lss-order-sign", body)


def test_feedback_is_accepted_and_only_counted(client: TestClient) -> None:
    now = dt.datetime.now(dt.UTC).isoformat()
    against, candidate = issued_cards(client)
    body: dict[str, Any] = {
        "feedback": [
            {
                "card": against["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": against["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": now,
            },
            {
                "card": candidate["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {
                        "code": "clinical-judgement",
                        "system": "urn:lss-pathway:cds:override-reason",
                        "display": "Clinical judgement",
                    },
                    "userComment": "Patient Jane Doe prefers surgery",
                },
                "outcomeTimestamp": now,
            },
        ]
    }
    response = client.post("/cds-services/lss-order-sign/feedback", json=body)
    assert response.status_code == 200 and response.json() == {"received": 2}
    counts = client.app.state.cds_feedback  # type: ignore[attr-defined]
    assert dict(counts) == {
        "lss-order-sign:accepted": 1,
        "lss-order-sign:overridden": 1,
        "lss-order-sign:override:clinical-judgement": 1,
    }
    assert "Jane" not in repr(vars(client.app.state))  # type: ignore[attr-defined]


def test_feedback_on_unknown_cards_or_suggestions_or_local_times_is_refused(client: TestClient) -> None:
    against, _ = issued_cards(client)
    now = "2026-11-24T07:00:00Z"
    unknown = {"card": str(uuid.uuid4()), "outcome": "accepted", "outcomeTimestamp": now}
    response = client.post("/cds-services/lss-order-sign/feedback", json={"feedback": [unknown]})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "feedback[0].card"
    other_service = client.post(
        "/cds-services/lss-order-select/feedback", json={"feedback": [{**unknown, "card": against["uuid"]}]}
    )
    assert other_service.status_code == 422
    wrong_suggestion = {**unknown, "card": against["uuid"], "acceptedSuggestions": [{"id": "nope"}]}
    response = client.post("/cds-services/lss-order-sign/feedback", json={"feedback": [wrong_suggestion]})
    assert response.status_code == 422 and "suggestion" in response.text
    local = {**unknown, "card": against["uuid"], "outcomeTimestamp": "2026-11-24T08:00:00+01:00"}
    response = client.post("/cds-services/lss-order-sign/feedback", json={"feedback": [local]})
    assert response.status_code == 422 and "UTC" in response.text


@pytest.mark.parametrize(
    "item",
    [
        {"outcome": "accepted", "outcomeTimestamp": "2026-11-24T07:00:00Z"},
        {"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-11-24T07:00:00Z"},
        {"card": "c", "outcome": "accepted"},
        {"card": "c", "outcome": "accepted", "outcomeTimestamp": "yesterday"},
        {
            "card": "c",
            "outcome": "accepted",
            "overrideReason": {"userComment": "x"},
            "outcomeTimestamp": "2026-11-24T07:00:00Z",
        },
    ],
    ids=["no-card", "bad-outcome", "no-timestamp", "bad-timestamp", "override-on-accepted"],
)
def test_malformed_feedback_is_422(client: TestClient, item: dict[str, Any]) -> None:
    response = client.post("/cds-services/lss-patient-view/feedback", json={"feedback": [item]})
    assert response.status_code == 422
    assert client.post("/cds-services/lss-patient-view/feedback", json={"feedback": []}).status_code == 422
    assert client.post("/cds-services/nope/feedback", json={"feedback": [item]}).status_code in (404, 422)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_patient_view_grid_matches_the_library(client: TestClient, name: str) -> None:
    """Through FHIR prefetch and back, the card shows the same verdicts as assessing the YAML directly."""
    expected = assess(load(name))
    cards = post(client, "lss-patient-view", hook_request("patient-view", name))
    detail = cards[-1]["detail"]
    for level in LEVELS:
        row = [VERDICT_LABEL[expected.candidacy.cell(level, side).verdict] for side in SIDES]
        assert f"| {level} | {row[0]} | {row[1]} |" in detail, (name, level)
    assert [c["indicator"] == "critical" for c in cards] == [True] * (len(cards) - 1) + [False]
    assert (len(cards) == 2) == bool(expected.red_flags_present)


def test_a_not_candidate_order_suggests_removing_it(client: TestClient) -> None:
    against, candidate = issued_cards(client)
    (suggestion,) = against["suggestions"]
    assert against["selectionBehavior"] == "at-most-one"
    (action,) = suggestion["actions"]
    assert action["type"] == "delete" and action["resourceId"] == ["ServiceRequest/a"]
    assert "Remove" in suggestion["label"] and "L4-L5 left" in suggestion["label"]
    assert "suggestions" not in candidate
