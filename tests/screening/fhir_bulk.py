"""FHIR Bulk exports to screen: the shared Synthea export copied into tmp, with LSS facts injected in
standard codes into copies of some of its patients by a seeded generator.

The originals stay untouched in the copy and are the negative control (Synthea has no spinal stenosis).
Each injected patient is a new Patient (fresh ids) carrying every resource of the patient it copies plus
the drawn facts, each in a code that ``fhir/data/codes.yaml`` ships; ``Injected`` says what the tables must
then hold. ``synthea_export()`` skips the calling test when ``<repo>/../shared/data`` is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lss_pathway.fhir.codes import CPT, DICOM, ICD10CM, LOINC, RXNORM, SNOMED, SPINAL_LEVEL, UCUM

SYNTHEA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "synthea-bulk-10-patients"
ON = dt.date(2026, 12, 1)
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def synthea_export() -> Path:
    if not SYNTHEA.is_dir():
        pytest.skip(f"Synthea bulk export not found at {SYNTHEA} (the repository's ../shared/data)")
    return SYNTHEA


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def append_ndjson(path: Path, resources: list[dict[str, Any]]) -> None:
    with path.open("a") as out:
        for resource in resources:
            out.write(json.dumps(resource) + "\n")


def living_adults(export: Path) -> list[dict[str, Any]]:
    """The export's patients that are in the tool's scope on ``ON`` (alive, 18 or over)."""
    found = []
    for patient in read_ndjson(next(export.glob("Patient.*.ndjson"))):
        born = dt.date.fromisoformat(patient["birthDate"])
        adult = (ON.year - born.year - ((ON.month, ON.day) < (born.month, born.day))) >= 18
        if adult and "deceasedDateTime" not in patient and "deceasedBoolean" not in patient:
            found.append(patient)
    return found


@dataclass
class Injected:
    """One injected copy and the facts its rows must show (None: not drawn for this patient)."""

    patient_id: str
    copied_from: str
    agent: str | None = None
    bleeding_disorder: bool | None = None
    systemic_infection: bool | None = None
    low_back_pain: bool | None = None
    prior: tuple[str, str, dt.date] | None = None  # (procedure type, level, date)
    nprs: int | None = None
    odi: int | None = None
    imaging: tuple[str, dt.date] | None = None  # (modality, date)
    diagnosis: str | None = None  # recognised, not a fact: must change no table
    resources: list[dict[str, Any]] = field(default_factory=list)


# Drawn per patient: (name, RxNorm SCD, agent) for an active order, all codes the mapping ships.
_ORDERS = [
    ("309362", "Clopidogrel 75 MG Oral Tablet", "clopidogrel"),
    ("855332", "Warfarin Sodium 5 MG Oral Tablet", "warfarin"),
    ("1364445", "apixaban 5 MG Oral Tablet", "apixaban"),
]
_PRIORS = [("0275T", "mild"), ("22869", "interspinous_spacer")]
_DIAGNOSES = [(ICD10CM, "M48.062"), (SNOMED, "18347007"), (SNOMED, "303081002")]


def _condition(system: str, code: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
        "code": {"coding": [{"system": system, "code": code}]},
    }


def _score(code: str, value: int, unit: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "valueQuantity": {"value": value, "system": UCUM, "code": unit},
    }


def _draw(rng: random.Random, injected: Injected) -> list[dict[str, Any]]:
    """Some LSS facts (at least two), each as a resource in standard codes."""
    kinds = rng.sample(["order", "bleeding", "sepsis", "back", "prior", "scores", "imaging", "dx"], 4)
    out: list[dict[str, Any]] = []
    day = ON - dt.timedelta(days=rng.randint(30, 700))
    if "order" in kinds:
        code, display, agent = rng.choice(_ORDERS)
        injected.agent = agent
        concept = {"coding": [{"system": RXNORM, "code": code, "display": display}]}
        out.append(
            {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
             "medicationCodeableConcept": concept}
        )  # fmt: skip
    if "bleeding" in kinds:
        injected.bleeding_disorder = True
        out.append(_condition(ICD10CM, rng.choice(["D68.01", "D66", "D68.2"])))
    if "sepsis" in kinds:
        injected.systemic_infection = True
        out.append(_condition(ICD10CM, rng.choice(["A41.9", "A40.0", "R78.81"])))
    if "back" in kinds:
        injected.low_back_pain = True
        out.append(_condition(SNOMED, "278860009"))
    if "prior" in kinds:
        code, kind = rng.choice(_PRIORS)
        level = rng.choice(["L3-L4", "L4-L5", "L5-S1"])
        injected.prior = (kind, level, day)
        out.append(
            {"resourceType": "Procedure", "status": "completed",
             "code": {"coding": [{"system": CPT, "code": code}]},
             "bodySite": [{"coding": [{"system": SPINAL_LEVEL, "code": level}]}],
             "performedDateTime": day.isoformat()}
        )  # fmt: skip
    if "scores" in kinds:
        injected.nprs, injected.odi = rng.randint(3, 9), rng.randint(20, 70)
        out += [_score("72514-3", injected.nprs, "{score}"), _score("97909-6", injected.odi, "%")]
    if "imaging" in kinds:
        modality = rng.choice(["MR", "CT"])
        injected.imaging = ("MRI" if modality == "MR" else "CT", day)
        out.append(
            {"resourceType": "ImagingStudy", "status": "available",
             "modality": [{"system": DICOM, "code": modality}], "started": f"{day.isoformat()}T09:30:00Z"}
        )  # fmt: skip
    if "dx" in kinds:
        system, code = rng.choice(_DIAGNOSES)
        injected.diagnosis = code
        out.append(_condition(system, code))
    return out


def injected_export(dest: Path, *, seed: int = 11, copies: int = 3) -> list[Injected]:
    """Copy the Synthea export to ``dest`` and add ``copies`` injected patients; what each must show."""
    shutil.copytree(synthea_export(), dest)
    rng = random.Random(seed)
    originals = rng.sample(living_adults(dest), copies)
    files = {path.name.split(".")[0]: path for path in dest.glob("*.ndjson")}
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for kind in ("Condition", "MedicationRequest", "Procedure"):
        for resource in read_ndjson(files[kind]):
            by_subject.setdefault(resource["subject"]["reference"], []).append(resource)
    out: list[Injected] = []
    added: dict[str, list[dict[str, Any]]] = {}
    for k, original in enumerate(originals):
        new_id = f"lss-injected-{seed}-{k}"
        injected = Injected(new_id, original["id"])
        added.setdefault("Patient", []).append({**original, "id": new_id})
        copied = [dict(r) for r in by_subject.get(f"Patient/{original['id']}", [])]
        drawn = _draw(rng, injected)
        for i, resource in enumerate(copied + drawn):
            resource["id"] = f"{new_id}-{i}"
            resource["subject"] = {"reference": f"Patient/{new_id}"}
            added.setdefault(resource["resourceType"], []).append(resource)
        injected.resources = drawn
        out.append(injected)
    for kind, resources in added.items():
        append_ndjson(files.get(kind, dest / f"{kind}.000.ndjson"), resources)
    return out
