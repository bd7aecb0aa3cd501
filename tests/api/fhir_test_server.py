"""A small FHIR R4 server for tests, on loopback: reads and searches over a fixed set of resources.

Enough of the FHIR REST API for the CDS service's fetches: ``GET Type/id`` and ``GET Type?patient=..``
with ``status``, ``code`` (token ``system|code`` or ``system|``, comma = any) and paging by ``_count``
through ``next`` links; every request needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

PAGE = 50


def _codings(resource: dict[str, Any]) -> list[tuple[str, str]]:
    concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    return [(c.get("system", ""), c.get("code", "")) for c in concept.get("coding", [])]


def _matches(resource: dict[str, Any], params: dict[str, str], patient_id: str | None) -> bool:
    if patient_id is not None:
        ref = (resource.get("subject") or resource.get("patient") or {}).get("reference")
        if ref != f"Patient/{patient_id}":
            return False
    if "status" in params and resource.get("status") not in params["status"].split(","):
        return False
    if "code" in params:
        wanted = [tuple(t.split("|", 1)) for t in params["code"].split(",")]
        found = _codings(resource)
        if not any(s == ws and (not wc or c == wc) for s, c in found for ws, wc in wanted):
            return False
    return True


def fhir_app(resources: list[dict[str, Any]], token: str) -> FastAPI:
    app = FastAPI()
    app.state.requests = []
    by_id = {(r["resourceType"], r["id"]): r for r in resources}

    def refuse(status: int, text: str) -> JSONResponse:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "x", "diagnostics": text}],
        }
        return JSONResponse(outcome, status_code=status)

    @app.get("/fhir/{rtype}/{rid}")
    def read(rtype: str, rid: str, request: Request) -> Any:
        app.state.requests.append(str(request.url))
        if request.headers.get("authorization") != f"Bearer {token}":
            return refuse(401, "unauthorized")
        found = by_id.get((rtype, rid))
        return found if found is not None else refuse(404, "not found")

    @app.get("/fhir/{rtype}")
    def search(rtype: str, request: Request) -> Any:
        app.state.requests.append(str(request.url))
        if request.headers.get("authorization") != f"Bearer {token}":
            return refuse(401, "unauthorized")
        params = dict(request.query_params)
        offset = int(params.pop("_offset", "0"))
        patient = params.pop("patient", None)
        hits = [r for r in resources if r["resourceType"] == rtype and _matches(r, params, patient)]
        page = hits[offset : offset + PAGE]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(hits),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in page],
            "link": [],
        }
        if offset + PAGE < len(hits):
            nxt = request.url.include_query_params(_offset=offset + PAGE)
            bundle["link"] = [{"relation": "next", "url": str(nxt)}]
        return bundle

    return app
