"""FHIR R4 for one registry subject: out as a collection Bundle, and questionnaire answers back in.

Out: a ``Procedure`` per procedure (mild coded CPT 0275T; one ``bodySite`` per level and side, carrying the
spinal-level and SNOMED laterality codings the FHIR edge reads), a ``QuestionnaireResponse`` per
questionnaire (items by id, never wording) and an ``Observation`` per score, ``derivedFrom`` its response.
The subject is ``Patient/<study id>``: the study id, never a local identifier. Dates are real dates here
(this is for exchange with a care system, not a de-identified export). Every resource is checked against
the ``fhir.resources`` R4B model before it is returned.

The spinal-level and laterality codes repeat ``fhir/codes.py`` (edges do not import each other); the
tests check that the two agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select

from lss_pathway.registry.errors import InvalidInput, NotFound
from lss_pathway.registry.models import (
    Complication,
    FollowUp,
    Procedure,
    ProcedureLevel,
    QuestionnaireResponse,
    Subject,
    TimePointRow,
)

CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
SPINAL_LEVEL = "urn:lss-pathway:fhir:CodeSystem:spinal-level"
PROCEDURE_KIND = "urn:lss-pathway:fhir:CodeSystem:registry-procedure-kind"
OUTCOME_SCORE = "urn:lss-pathway:fhir:CodeSystem:outcome-score"
COMPLICATION = "urn:lss-pathway:fhir:CodeSystem:complication"
QUESTIONNAIRE = "urn:lss-pathway:fhir:Questionnaire:"
TIME_POINT_EXTENSION = "urn:lss-pathway:fhir:StructureDefinition:registry-time-point"
LATERALITY_CODE = {"left": "7771000", "right": "24028007"}
LATERALITY_DISPLAY = {"left": "Left", "right": "Right"}
SCORE_UNITS = {"odi": "%", "nprs": "{score}", "zcq": "{score}"}


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _checked(resource: dict[str, Any]) -> dict[str, Any]:
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def _body_site(level: str, side: str) -> dict[str, Any]:
    return {
        "coding": [
            {"system": SPINAL_LEVEL, "code": level, "display": level},
            {"system": SNOMED, "code": LATERALITY_CODE[side], "display": LATERALITY_DISPLAY[side]},
        ],
        "text": f"{level} {side}",
    }


def _items(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = []
    for link_id, value in answers.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        items.append({"linkId": link_id, "answer": [{"valueInteger": int(v)} for v in values]})
    return items


def subject_bundle(engine: Engine, study_id: str) -> dict[str, Any]:
    """One subject's procedures, questionnaire responses and scores as a FHIR R4 collection Bundle."""
    patient = f"Patient/{study_id}"
    entries: list[dict[str, Any]] = []
    with engine.connect() as conn:
        subject_pk = conn.execute(select(Subject.id).where(Subject.study_id == study_id)).scalar_one_or_none()
        if subject_pk is None:
            raise NotFound(f"no subject with study id '{study_id}'", "study_id")
        procedures = conn.execute(
            select(
                Procedure.id, Procedure.performed_on, Procedure.kind, Procedure.cpt_code, Procedure.is_index
            )
            .where(Procedure.subject_pk == subject_pk)
            .order_by(Procedure.performed_on)
        ).all()
        for p in procedures:
            levels = conn.execute(
                select(ProcedureLevel.level, ProcedureLevel.side)
                .where(ProcedureLevel.procedure_pk == p.id)
                .order_by(ProcedureLevel.id)
            ).all()
            complications = conn.execute(
                select(Complication.code, Complication.severity).where(Complication.procedure_pk == p.id)
            ).all()
            coding = [{"system": PROCEDURE_KIND, "code": p.kind}]
            if p.cpt_code:
                coding.insert(0, {"system": CPT, "code": p.cpt_code})
            resource = {
                "resourceType": "Procedure",
                "status": "completed",
                "code": {"coding": coding, "text": p.kind},
                "subject": {"reference": patient},
                "performedDateTime": p.performed_on.isoformat(),
                "bodySite": [_body_site(lv, sd) for lv, sd in levels],
            }
            if complications:
                resource["complication"] = [
                    {"coding": [{"system": COMPLICATION, "code": c.code}], "text": f"{c.code} ({c.severity})"}
                    for c in complications
                ]
            entries.append({"fullUrl": _urn(), "resource": _checked(resource)})
        responses = conn.execute(
            select(
                TimePointRow.code,
                FollowUp.source,
                QuestionnaireResponse.instrument,
                QuestionnaireResponse.answers,
                QuestionnaireResponse.score,
                QuestionnaireResponse.components,
                QuestionnaireResponse.collected_at,
            )
            .join(FollowUp, FollowUp.id == QuestionnaireResponse.follow_up_pk)
            .join(TimePointRow, TimePointRow.id == FollowUp.time_point_pk)
            .where(FollowUp.subject_pk == subject_pk)
            .order_by(TimePointRow.target_day, QuestionnaireResponse.instrument)
        ).all()
    for r in responses:
        at = r.collected_at
        if at.tzinfo is None:  # SQLite drops the zone; the registry stores UTC
            at = at.replace(tzinfo=dt.UTC)
        authored = at.isoformat()
        qr_url = _urn()
        qr = {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": QUESTIONNAIRE + r.instrument,
            "subject": {"reference": patient},
            "authored": authored,
            "source": {"reference": patient} if r.source == "patient" else {"display": "clinician"},
            "extension": [{"url": TIME_POINT_EXTENSION, "valueCode": r.code}],
            "item": _items(r.answers),
        }
        entries.append({"fullUrl": qr_url, "resource": _checked(qr)})
        scores = {r.instrument: r.score}
        if r.instrument == "zcq":
            scores = {
                f"zcq-{k.replace('_', '-')}": v
                for k, v in r.components.items()
                if k in ("symptom_severity", "physical_function", "satisfaction")
            }
        for code, value in scores.items():
            obs: dict[str, Any] = {
                "resourceType": "Observation",
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "survey",
                            }
                        ]
                    }
                ],
                "code": {"coding": [{"system": OUTCOME_SCORE, "code": code}], "text": code},
                "subject": {"reference": patient},
                "effectiveDateTime": authored,
                "derivedFrom": [{"reference": qr_url}],
            }
            if value is None:
                obs["dataAbsentReason"] = {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                            "code": "not-performed",
                        }
                    ],
                    "text": "too few answers to score",
                }
            else:
                unit = SCORE_UNITS[r.instrument]
                obs["valueQuantity"] = {
                    "value": value,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                }
            entries.append({"fullUrl": _urn(), "resource": _checked(obs)})
    return _checked({"resourceType": "Bundle", "type": "collection", "entry": entries})


def answers_from_questionnaire_response(resource: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(instrument, answers by item id) from a QuestionnaireResponse; answers are then scored as usual."""
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as QR
    from pydantic import ValidationError

    try:
        QR.model_validate(resource)
    except ValidationError as exc:
        raise InvalidInput(
            f"not a valid QuestionnaireResponse: {exc.errors()[0]['msg']}", "resource"
        ) from exc
    canonical = str(resource.get("questionnaire", ""))
    if not canonical.startswith(QUESTIONNAIRE):
        raise InvalidInput(
            f"questionnaire must be {QUESTIONNAIRE}odi|nprs|zcq (got {canonical!r})", "questionnaire"
        )
    answers: dict[str, Any] = {}
    for i, item in enumerate(resource.get("item") or []):
        values = [a.get("valueInteger") for a in item.get("answer") or []]
        if any(v is None for v in values) or len(values) > 2:
            raise InvalidInput("answers must be one or two valueInteger", f"item[{i}]")
        answers[str(item["linkId"])] = values[0] if len(values) == 1 else values or None
    return canonical.removeprefix(QUESTIONNAIRE), answers


def follow_up_from_bundle(bundle: Mapping[str, Any]) -> tuple[str, dt.date, str, dict[str, dict[str, Any]]]:
    """(time point, date collected, source, responses) from a Bundle of one time point's responses."""
    entries = [e.get("resource") or {} for e in bundle.get("entry") or []]
    found = [r for r in entries if r.get("resourceType") == "QuestionnaireResponse"]
    if not found:
        raise InvalidInput("the Bundle holds no QuestionnaireResponse", "entry")
    points, dates, sources = set(), set(), set()
    responses: dict[str, dict[str, Any]] = {}
    for i, resource in enumerate(found):
        instrument, answers = answers_from_questionnaire_response(resource)
        if instrument in responses:
            raise InvalidInput(f"two {instrument} responses", f"entry[{i}]")
        responses[instrument] = answers
        codes = [
            x.get("valueCode")
            for x in resource.get("extension") or []
            if x.get("url") == TIME_POINT_EXTENSION
        ]
        if len(codes) != 1:
            raise InvalidInput(f"needs one {TIME_POINT_EXTENSION} extension", f"entry[{i}].extension")
        points.add(str(codes[0]))
        authored = str(resource.get("authored", ""))
        try:
            dates.add(dt.date.fromisoformat(authored[:10]))
        except ValueError as exc:
            raise InvalidInput("authored must be a date or dateTime", f"entry[{i}].authored") from exc
        sources.add(
            "patient"
            if str((resource.get("source") or {}).get("reference", "")).startswith("Patient/")
            else "clinician"
        )
    if len(points) != 1 or len(dates) != 1 or len(sources) != 1:
        raise InvalidInput("all responses must share one time point, one date and one source", "entry")
    return points.pop(), dates.pop(), sources.pop(), responses
