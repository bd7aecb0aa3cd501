"""Write a PatientRecord as a FHIR R4 collection Bundle (for round trips, examples and tests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from typing import Any

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.drugs import agent_label
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import ProcedureType
from lss_pathway.fhir import codes as c


def bundle_from_record(record: PatientRecord) -> dict[str, Any]:
    """A collection Bundle (plain JSON, R4B-valid) with a resource for every known fact of ``record``."""
    return _Writer(record).bundle()


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _get(record: Any, path: str) -> Any:
    for part in path.split("."):
        record = getattr(record, part)
    return record


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9\-.]", "-", text)[:64]


class _Writer:
    def __init__(self, record: PatientRecord):
        self.record = record
        self.seed = hashlib.sha256(record.model_dump_json().encode()).hexdigest()
        self.entries: list[dict[str, Any]] = []
        self.patient = ""
        self.study: str | None = None

    def add(self, resource: dict[str, Any]) -> str:
        name = f"{self.seed}/{resource['resourceType']}/{resource['id']}"
        url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
        self.entries.append({"fullUrl": url, "resource": resource})
        return url

    def bundle(self) -> dict[str, Any]:
        r = self.record
        patient: dict[str, Any] = {"resourceType": "Patient", "id": "patient"}
        if r.patient.birth_date is not None:
            patient["birthDate"] = r.patient.birth_date.isoformat()
        if r.patient.sex is not None:
            patient["gender"] = r.patient.sex.value
        self.patient = self.add(patient)
        for finding in c.FINDINGS_TABLE:
            if finding.scope is c.Scope.RECORD:
                self.record_fact(finding)
            elif finding.scope is c.Scope.SIDE:
                per_side = _get(r, finding.field)
                for side in Side:
                    value = getattr(per_side, side.value)
                    if value is not None:
                        self.observation(finding, value, f"{finding.code}-{side.value}", side=side)
        for item in r.safety.antithrombotics or []:
            self.antithrombotic(item.agent, item.can_be_held, item.days_held, item.name)
        for i, prior in enumerate(r.prior_procedures or []):
            self.procedure(i, prior.type, prior.levels, prior.date)
        self.imaging()
        for cell in r.procedure.epidurogram:
            finding = c.FINDINGS_BY_CODE["epidurogram-appreciated"]
            rid = f"{finding.code}-{cell.level.value}-{cell.side.value}"
            self.observation(finding, cell.appreciated, rid, level=cell.level, side=cell.side)
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
        if r.id is not None:
            bundle["identifier"] = {"system": c.RECORD_ID, "value": r.id}
        bundle["entry"] = self.entries
        return bundle

    def record_fact(self, finding: c.Finding) -> None:
        value = _get(self.record, finding.field)
        if finding.kind is c.Kind.NONE_LISTED:
            if value == []:
                self.observation(finding, False, finding.code)
        elif value is not None and finding.resource == "Condition":
            self.condition(finding, value)
        elif value is not None:
            self.observation(finding, value, finding.code)

    def observation(
        self,
        finding: c.Finding,
        value: Any,
        rid: str,
        *,
        level: Level | None = None,
        side: Side | None = None,
        focus: str | None = None,
    ) -> str:
        obs: dict[str, Any] = {"resourceType": "Observation", "id": _id(rid), "status": "final"}
        if finding.category:
            obs["category"] = [{"coding": [_coding(c.OBSERVATION_CATEGORY, finding.category)]}]
        obs["code"] = {"coding": [_coding(c.FINDINGS, finding.code, finding.display)]}
        obs["subject"] = {"reference": self.patient}
        if focus is not None:
            obs["focus"] = [{"reference": focus}]
        if finding.category == "imaging" and self.record.imaging.date is not None:
            obs["effectiveDateTime"] = self.record.imaging.date.isoformat()
        site = []
        if level is not None:
            site.append(_coding(c.SPINAL_LEVEL, level.value, level.value))
        if side is not None:
            site.append(_coding(c.SNOMED, c.LATERALITY_CODE[side], c.LATERALITY_DISPLAY[side]))
        if site:
            obs["bodySite"] = {"coding": site}
        if finding.category == "imaging" and self.study is not None:
            obs["derivedFrom"] = [{"reference": self.study}]
        if value is None:
            obs["dataAbsentReason"] = {"coding": [_coding(c.DATA_ABSENT_REASON, "unknown", "Unknown")]}
        elif finding.kind in (c.Kind.BOOLEAN, c.Kind.MARKER, c.Kind.NONE_LISTED):
            obs["valueBoolean"] = value
        elif finding.kind is c.Kind.QUANTITY:
            assert finding.unit is not None
            obs["valueQuantity"] = {
                "value": value,
                "unit": finding.unit.name,
                "system": c.UCUM,
                "code": finding.unit.code,
            }
        elif finding.kind is c.Kind.INTEGER:
            obs["valueInteger"] = value
        elif finding.kind is c.Kind.CODED:
            assert finding.values is not None
            obs["valueCodeableConcept"] = {"coding": [_coding(finding.values, value.value, value.value)]}
        elif finding.kind is c.Kind.DATE:
            obs["valueDateTime"] = value.isoformat()
        else:
            obs["valueString"] = value
        return self.add(obs)

    def condition(self, finding: c.Finding, present: bool) -> None:
        resource: dict[str, Any] = {"resourceType": "Condition", "id": finding.code}
        if present:
            resource["clinicalStatus"] = {"coding": [_coding(c.CONDITION_CLINICAL, "active", "Active")]}
            resource["verificationStatus"] = {
                "coding": [_coding(c.CONDITION_VERIFICATION, "confirmed", "Confirmed")]
            }
        else:
            resource["verificationStatus"] = {
                "coding": [_coding(c.CONDITION_VERIFICATION, "refuted", "Refuted")]
            }
        resource["code"] = {"coding": [_coding(c.FINDINGS, finding.code, finding.display)]}
        resource["subject"] = {"reference": self.patient}
        self.add(resource)

    def antithrombotic(
        self, agent: str, can_be_held: bool | None, days_held: float | None, name: str | None = None
    ) -> None:
        codings = [_coding(c.ANTITHROMBOTIC_AGENT, agent, agent_label(agent))]
        rxnorm = c.rxnorm_code(agent)
        if rxnorm is not None:
            codings.append(_coding(c.RXNORM, *rxnorm))
        atc = c.atc_code(agent)
        if atc is not None:
            codings.append(_coding(c.ATC, *atc))
        statement = {
            "resourceType": "MedicationStatement",
            "id": _id(f"medication-{agent}-{name}" if name else f"medication-{agent}"),
            "status": "active",
            "medicationCodeableConcept": {"coding": codings, "text": name or agent_label(agent)},
            "subject": {"reference": self.patient},
        }
        url = self.add(statement)
        for code, value in (
            ("antithrombotic-can-be-held", can_be_held),
            ("antithrombotic-days-held", days_held),
        ):
            if value is not None:
                self.observation(c.FINDINGS_BY_CODE[code], value, f"{code}-{agent}", focus=url)

    def procedure(
        self, index: int, kind: ProcedureType, levels: list[Level] | None, when: dt.date | None
    ) -> None:
        resource: dict[str, Any] = {
            "resourceType": "Procedure",
            "id": f"prior-procedure-{index + 1}",
            "status": "completed",
            "code": {"coding": [_coding(c.PROCEDURE_TYPE, kind.value, kind.value)]},
            "subject": {"reference": self.patient},
        }
        if when is not None:
            resource["performedDateTime"] = when.isoformat()
        if levels:
            resource["bodySite"] = [
                {"coding": [_coding(c.SPINAL_LEVEL, lv.value, lv.value)]} for lv in levels
            ]
        self.add(resource)

    def imaging(self) -> None:
        imaging = self.record.imaging
        if imaging.modality is not None or imaging.date is not None:
            study: dict[str, Any] = {
                "resourceType": "ImagingStudy",
                "id": "imaging-study",
                "status": "available",
                "subject": {"reference": self.patient},
            }
            if imaging.date is not None:
                study["started"] = imaging.date.isoformat()
            if imaging.modality is not None:
                study["modality"] = [_coding(c.DICOM, *c.DICOM_CODE[imaging.modality])]
                study["procedureCode"] = [
                    {"coding": [_coding(c.IMAGING_MODALITY, imaging.modality.value, imaging.modality.value)]}
                ]
            self.study = self.add(study)
        level_findings = [
            f for f in c.FINDINGS_TABLE if f.scope is c.Scope.LEVEL and f.kind is not c.Kind.MARKER
        ]
        side_findings = [
            f for f in c.FINDINGS_TABLE if f.scope is c.Scope.LEVEL_SIDE and f.kind is not c.Kind.MARKER
        ]
        for found in imaging.levels:
            lv = found.level
            written = 0
            for finding in level_findings:
                value = getattr(found, finding.field)
                if value is not None:
                    self.observation(finding, value, f"{finding.code}-{lv.value}", level=lv)
                    written += 1
            if not written and not found.sides:
                self.observation(
                    c.FINDINGS_BY_CODE["level-reported"], True, f"level-reported-{lv.value}", level=lv
                )
            for side_found in found.sides:
                sd = side_found.side
                side_written = 0
                for finding in side_findings:
                    value = getattr(side_found, finding.field)
                    if value is not None:
                        rid = f"{finding.code}-{lv.value}-{sd.value}"
                        self.observation(finding, value, rid, level=lv, side=sd)
                        side_written += 1
                if not side_written:
                    rid = f"side-reported-{lv.value}-{sd.value}"
                    self.observation(c.FINDINGS_BY_CODE["side-reported"], True, rid, level=lv, side=sd)
