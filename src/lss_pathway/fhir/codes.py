"""Code systems and code tables of the FHIR R4 mapping, as data (docs/fhir-mapping.md explains each one).

The standard codes (SNOMED CT, ICD-10-CM, LOINC, RxNorm, ATC, CPT, DICOM) are one data table,
``data/codes.yaml``, where every code names its source and verification tag; a code that could not be
verified is not in it. Every record fact without such a code has a code in the project's own code system
``FINDINGS``;
enumerated values (grades, causes, procedure types ...) have one small project code system each, whose
codes are exactly the record's vocabulary values. A code that is not in these tables is never guessed at:
the mapping reports it as ignored input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.packaged import packaged_yaml
from lss_pathway.domain.vocabulary import (
    Grade,
    Modality,
    ProcedureType,
    Pulse,
    Response,
    Schizas,
    StenosisCause,
)

# --- Standard systems ---------------------------------------------------------------------------------

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
LOINC = "http://loinc.org"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

# --- Project systems ----------------------------------------------------------------------------------

_PROJECT = "urn:lss-pathway:fhir:CodeSystem:"
FINDINGS = _PROJECT + "findings"
SPINAL_LEVEL = _PROJECT + "spinal-level"
GRADE = _PROJECT + "grade"
SCHIZAS = _PROJECT + "schizas"
STENOSIS_CAUSE = _PROJECT + "stenosis-cause"
PULSE = _PROJECT + "pulse"
ESI_RESPONSE = _PROJECT + "esi-response"
PROCEDURE_TYPE = _PROJECT + "procedure-type"
IMAGING_MODALITY = _PROJECT + "imaging-modality"
ANTITHROMBOTIC_AGENT = _PROJECT + "antithrombotic-agent"
# Bundle.identifier system carrying the record's local id (never a patient identifier).
RECORD_ID = "urn:lss-pathway:fhir:NamingSystem:record-id"

# Value code systems: codes are the vocabulary values themselves.
VALUE_SYSTEMS: Mapping[str, type[StrEnum]] = MappingProxyType(
    {
        GRADE: Grade,
        SCHIZAS: Schizas,
        STENOSIS_CAUSE: StenosisCause,
        PULSE: Pulse,
        ESI_RESPONSE: Response,
        PROCEDURE_TYPE: ProcedureType,
        IMAGING_MODALITY: Modality,
    }
)

SPINAL_LEVELS: Mapping[str, Level] = MappingProxyType({level.value: level for level in Level})

# --- Units --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # identity: the tables hold each unit once
class Unit:
    code: str  # UCUM code written by bundle_from_record
    name: str  # human-readable Quantity.unit
    factors: Mapping[str, float]  # accepted UCUM codes -> factor to ``code``; conversions are exact
    optional: bool = False  # dimensionless: a Quantity without a unit is accepted


MM = Unit("mm", "mm", MappingProxyType({"mm": 1, "cm": 10}))
MM2 = Unit("mm2", "mm2", MappingProxyType({"mm2": 1, "cm2": 100}))
MONTHS = Unit("mo", "months", MappingProxyType({"mo": 1, "a": 12}))
YEARS = Unit("a", "years", MappingProxyType({"a": 1}))
DAYS = Unit("d", "days", MappingProxyType({"d": 1, "wk": 7}))
METRES = Unit("m", "m", MappingProxyType({"m": 1, "km": 1000}))
MILLILITRES = Unit("mL", "mL", MappingProxyType({"mL": 1, "L": 1000}))
PERCENT = Unit("%", "%", MappingProxyType({"%": 1}))
DEGREES = Unit("deg", "degrees", MappingProxyType({"deg": 1}))
RATIO = Unit("1", "ratio", MappingProxyType({"1": 1, "{ratio}": 1}), optional=True)
SCORE = Unit("{score}", "score", MappingProxyType({"{score}": 1, "1": 1}), optional=True)


# --- Facts in the project code system -----------------------------------------------------------------


class Scope(StrEnum):
    """Which bodySite (or focus) an Observation of the fact carries."""

    RECORD = "record"  # none
    SIDE = "side"  # laterality only
    LEVEL = "level"  # spinal level only
    LEVEL_SIDE = "level-side"  # spinal level and laterality (imaging.levels[].sides[])
    EPIDUROGRAM = "epidurogram"  # spinal level and laterality (procedure.epidurogram[])
    AGENT = "agent"  # Observation.focus -> the MedicationRequest/MedicationStatement of the agent


class Kind(StrEnum):
    BOOLEAN = "boolean"  # valueBoolean
    QUANTITY = "quantity"  # valueQuantity (UCUM)
    INTEGER = "integer"  # valueInteger
    CODED = "coded"  # valueCodeableConcept in a project value system
    DATE = "date"  # valueDateTime, a full date
    STRING = "string"  # valueString
    MARKER = "marker"  # valueBoolean true: the level (or side) was reported, nothing else recorded
    NONE_LISTED = "none-listed"  # valueBoolean false: the list is known to be empty ([])


@dataclass(frozen=True, eq=False)  # identity: the table holds each finding once
class Finding:
    code: str
    display: str
    field: str  # record field: dotted path (RECORD, SIDE: the side is appended) or the name in the scope
    scope: Scope = Scope.RECORD
    kind: Kind = Kind.BOOLEAN
    unit: Unit | None = None
    whole: bool = False  # the quantity must be a whole number
    values: str | None = None  # value system for CODED
    category: str | None = None  # observation-category written by bundle_from_record
    resource: str = "Observation"


_S, _R, _E, _C, _B, _V = "symptoms.", "red_flags.", "exam.", "conservative_care.", "baseline.", "coverage."
_LVL, _LS = Scope.LEVEL, Scope.LEVEL_SIDE

FINDINGS_TABLE: tuple[Finding, ...] = (
    Finding("assessment-date", "Date the recorded facts describe", "assessment_date", kind=Kind.DATE),
    Finding("summary", "One-line clinical summary", "summary", kind=Kind.STRING),
    Finding("age", "Age at assessment", "patient.age_years", kind=Kind.QUANTITY, unit=YEARS, whole=True),
    # Symptoms
    Finding("leg-symptoms", "Buttock or leg pain or numbness", _S + "leg_symptoms"),
    Finding("bilateral-symptoms", "Leg symptoms are bilateral", _S + "bilateral"),
    Finding("leg-pain-exceeds-back-pain", "Leg pain exceeds back pain", _S + "leg_pain_exceeds_back_pain"),
    Finding("provoked-by-walking", "Symptoms provoked by walking", _S + "provoked_by_walking"),
    Finding("provoked-by-standing", "Symptoms provoked by standing alone", _S + "provoked_by_standing"),
    Finding("relieved-by-sitting", "Symptoms relieved by sitting", _S + "relieved_by_sitting"),
    Finding("relieved-by-flexion", "Symptoms relieved by forward flexion", _S + "relieved_by_flexion"),
    Finding("tolerates-cycling", "Tolerates cycling", _S + "tolerates_cycling"),
    Finding(
        "relieved-by-standing-still", "Symptoms relieved by standing still", _S + "relieved_by_standing_still"
    ),
    Finding("calf-predominant", "Calf-predominant symptoms", _S + "calf_predominant"),
    Finding("above-knee", "Symptoms reach above the knee", _S + "above_knee"),
    Finding("low-back-pain", "Low back pain", _S + "low_back_pain"),
    Finding(
        "walking-motor-sensory-disturbance",
        "Weakness, numbness or tingling while walking",
        _S + "walking_motor_sensory_disturbance",
    ),
    Finding("leg-weakness", "Leg weakness reported by the patient", _S + "leg_weakness"),
    Finding(
        "claudication-duration",
        "Duration of claudication",
        _S + "duration_months",
        kind=Kind.QUANTITY,
        unit=MONTHS,
    ),
    Finding(
        "walking-tolerance",
        "Distance walked before symptoms stop the patient",
        _S + "walking_tolerance_m",
        kind=Kind.QUANTITY,
        unit=METRES,
    ),
    # Red flags
    Finding("saddle-anaesthesia", "Saddle anaesthesia", _R + "saddle_anaesthesia"),
    Finding(
        "new-bladder-bowel-dysfunction",
        "New bladder or bowel dysfunction",
        _R + "new_bladder_bowel_dysfunction",
    ),
    Finding("progressive-motor-deficit", "Progressive motor deficit", _R + "progressive_motor_deficit"),
    Finding("bilateral-leg-deficit", "Motor or sensory deficit in both legs", _R + "bilateral_leg_deficit"),
    Finding("sexual-dysfunction", "Sexual dysfunction", _R + "sexual_dysfunction"),
    Finding(
        "sacral-onset-days",
        "Days since sacral or both-leg symptoms began or last worsened",
        _R + "sacral_onset_days",
        kind=Kind.QUANTITY,
        unit=DAYS,
        whole=True,
    ),
    *(
        Finding(
            f"{code}-onset-days",
            f"Days since {what} began or last worsened",
            _R + f"{field}_onset_days",
            kind=Kind.QUANTITY,
            unit=DAYS,
            whole=True,
        )
        for code, field, what in (
            ("saddle-anaesthesia", "saddle_anaesthesia", "saddle numbness"),
            ("bladder-bowel", "bladder_bowel", "the bladder or bowel disturbance"),
            ("bilateral-leg-deficit", "bilateral_leg_deficit", "the deficit in both legs"),
            ("sexual-dysfunction", "sexual_dysfunction", "the sexual dysfunction"),
        )
    ),
    Finding(
        "specialist-review-cleared",
        "A spine specialist cleared the long-standing cauda equina-type features for an elective procedure",
        _R + "specialist_review_cleared",
    ),
    Finding(
        "sacral-symptoms-walking-only",
        "Sacral symptoms only while walking, easing at rest",
        _R + "sacral_symptoms_walking_only",
    ),
    Finding(
        "post-void-residual",
        "Post-void residual volume",
        _R + "post_void_residual_ml",
        kind=Kind.QUANTITY,
        unit=MILLILITRES,
    ),
    # Examination
    Finding(
        "neurologic-deficit",
        "Neurologic deficit",
        _E + "neurologic_deficit",
        kind=Kind.CODED,
        values=GRADE,
        category="exam",
    ),
    Finding(
        "pedal-pulse",
        "Pedal pulse",
        _E + "pedal_pulses",
        scope=Scope.SIDE,
        kind=Kind.CODED,
        values=PULSE,
        category="exam",
    ),
    Finding(
        "abi",
        "Resting ankle-brachial index",
        _E + "abi",
        scope=Scope.SIDE,
        kind=Kind.QUANTITY,
        unit=RATIO,
        category="exam",
    ),
    Finding(
        "tbi",
        "Toe-brachial index",
        _E + "tbi",
        scope=Scope.SIDE,
        kind=Kind.QUANTITY,
        unit=RATIO,
        category="exam",
    ),
    Finding("wide-based-gait", "Wide-based gait", _E + "wide_based_gait", category="exam"),
    Finding(
        "exercise-abi-normal",
        "Exercise ABI shows no significant fall after exercise",
        _E + "exercise_abi_normal",
        category="exam",
    ),
    Finding(
        "vascular-cause-excluded",
        "A vascular work-up found the leg symptoms are not vascular",
        _E + "vascular_cause_excluded",
        category="exam",
    ),
    Finding("abnormal-romberg", "Abnormal Romberg test", _E + "abnormal_romberg", category="exam"),
    # Conservative care
    Finding(
        "conservative-care-duration",
        "Months of conservative care",
        _C + "months",
        kind=Kind.QUANTITY,
        unit=MONTHS,
        category="therapy",
    ),
    Finding("physical-therapy", "Physical therapy received", _C + "physical_therapy", category="therapy"),
    Finding("home-exercise", "Home exercise programme", _C + "home_exercise", category="therapy"),
    Finding("analgesics", "Analgesics taken", _C + "analgesics", category="therapy"),
    Finding(
        "esi-count",
        "Epidural steroid injections received",
        _C + "esi_count",
        kind=Kind.INTEGER,
        category="therapy",
    ),
    Finding(
        "last-esi-date",
        "Date of the last epidural steroid injection",
        _C + "last_esi_date",
        kind=Kind.DATE,
        category="therapy",
    ),
    Finding(
        "esi-response",
        "Response to epidural steroid injection",
        _C + "esi_response",
        kind=Kind.CODED,
        values=ESI_RESPONSE,
        category="therapy",
    ),
    # Safety
    Finding("bleeding-disorder", "Bleeding disorder", "safety.bleeding_disorder", resource="Condition"),
    Finding("systemic-infection", "Systemic infection", "safety.systemic_infection", resource="Condition"),
    Finding(
        "access-site-infection",
        "Infection at the procedural access site",
        "safety.local_infection",
        resource="Condition",
    ),
    Finding(
        "on-antithrombotics",
        "Takes antithrombotic or antiplatelet agents (false: none)",
        "safety.antithrombotics",
        kind=Kind.NONE_LISTED,
    ),
    Finding(
        "antithrombotic-can-be-held",
        "The prescriber agrees the agent may be held",
        "can_be_held",
        scope=Scope.AGENT,
    ),
    Finding(
        "antithrombotic-days-held",
        "Days the agent has already been held",
        "days_held",
        scope=Scope.AGENT,
        kind=Kind.QUANTITY,
        unit=DAYS,
    ),
    Finding(
        "prior-spine-procedures",
        "Has had spine procedures (false: none)",
        "prior_procedures",
        kind=Kind.NONE_LISTED,
    ),
    # Imaging, per level
    Finding(
        "level-reported", "Level reported on imaging", "", scope=_LVL, kind=Kind.MARKER, category="imaging"
    ),
    Finding(
        "canal-area",
        "Dural sac / canal cross-sectional area",
        "canal_area_mm2",
        scope=_LVL,
        kind=Kind.QUANTITY,
        unit=MM2,
        category="imaging",
    ),
    Finding(
        "ap-diameter",
        "Canal anteroposterior diameter",
        "ap_diameter_mm",
        scope=_LVL,
        kind=Kind.QUANTITY,
        unit=MM,
        category="imaging",
    ),
    Finding(
        "central-stenosis-grade",
        "Central canal stenosis grade",
        "central_stenosis",
        scope=_LVL,
        kind=Kind.CODED,
        values=GRADE,
        category="imaging",
    ),
    Finding(
        "schizas-grade",
        "Schizas morphological grade",
        "schizas",
        scope=_LVL,
        kind=Kind.CODED,
        values=SCHIZAS,
        category="imaging",
    ),
    Finding(
        "dominant-cause",
        "Dominant cause of stenosis",
        "dominant_cause",
        scope=_LVL,
        kind=Kind.CODED,
        values=STENOSIS_CAUSE,
        category="imaging",
    ),
    Finding(
        "meyerding-grade",
        "Meyerding spondylolisthesis grade (0 = no slip)",
        "meyerding_grade",
        scope=_LVL,
        kind=Kind.INTEGER,
        category="imaging",
    ),
    Finding(
        "slip-distance",
        "Spondylolisthesis slip",
        "slip_mm",
        scope=_LVL,
        kind=Kind.QUANTITY,
        unit=MM,
        category="imaging",
    ),
    Finding(
        "slip-percent",
        "Spondylolisthesis slip, percent",
        "slip_percent",
        scope=_LVL,
        kind=Kind.QUANTITY,
        unit=PERCENT,
        category="imaging",
    ),
    Finding(
        "instability",
        "Instability on flexion-extension imaging",
        "instability",
        scope=_LVL,
        category="imaging",
    ),
    Finding(
        "translation",
        "Dynamic sagittal translation",
        "translation_mm",
        scope=_LVL,
        kind=Kind.QUANTITY,
        unit=MM,
        category="imaging",
    ),
    Finding(
        "angulation",
        "Dynamic sagittal angulation",
        "angulation_deg",
        scope=_LVL,
        kind=Kind.QUANTITY,
        unit=DEGREES,
        category="imaging",
    ),
    # Imaging, per level and side
    Finding("side-reported", "Side reported on imaging", "", scope=_LS, kind=Kind.MARKER, category="imaging"),
    Finding(
        "lf-thickness",
        "Ligamentum flavum thickness",
        "lf_thickness_mm",
        scope=_LS,
        kind=Kind.QUANTITY,
        unit=MM,
        category="imaging",
    ),
    Finding(
        "lf-hypertrophy", "Ligamentum flavum hypertrophy", "lf_hypertrophy", scope=_LS, category="imaging"
    ),
    Finding(
        "foraminal-stenosis-grade",
        "Foraminal stenosis grade",
        "foraminal_stenosis",
        scope=_LS,
        kind=Kind.CODED,
        values=GRADE,
        category="imaging",
    ),
    Finding(
        "lateral-recess-stenosis-grade",
        "Lateral recess stenosis grade",
        "lateral_recess_stenosis",
        scope=_LS,
        kind=Kind.CODED,
        values=GRADE,
        category="imaging",
    ),
    Finding(
        "laminar-shelf",
        "Laminar shelf present for the approach",
        "laminar_shelf",
        scope=_LS,
        category="imaging",
    ),
    # During the procedure
    Finding(
        "epidurogram-appreciated",
        "Epidurogram appreciated",
        "appreciated",
        scope=Scope.EPIDUROGRAM,
        category="procedure",
    ),
    # Baseline scores
    Finding(
        "odi",
        "Oswestry Disability Index",
        _B + "odi_percent",
        kind=Kind.QUANTITY,
        unit=PERCENT,
        category="survey",
    ),
    Finding(
        "nprs",
        "Numeric pain rating scale (0-10)",
        _B + "nprs",
        kind=Kind.QUANTITY,
        unit=SCORE,
        category="survey",
    ),
    # Coverage
    Finding("medicare-beneficiary", "Medicare beneficiary", _V + "medicare_beneficiary"),
    Finding(
        "ced-study-enrolled",
        "Enrolled in a CMS coverage-with-evidence-development study",
        _V + "ced_study_enrolled",
    ),
)

FINDINGS_BY_CODE: Mapping[str, Finding] = MappingProxyType({f.code: f for f in FINDINGS_TABLE})


# --- Standard codes: data/codes.yaml ----------------------------------------------------------------

SYSTEM_URIS: Mapping[str, str] = MappingProxyType(
    {
        "rxnorm": RXNORM,
        "atc": ATC,
        "icd10cm": ICD10CM,
        "snomed": SNOMED,
        "loinc": LOINC,
        "cpt": CPT,
        "dicom": DICOM,
    }
)
MEANINGS = ("agent", "agents", "atc_class", "fact", "recognised", "surgery", "finding", "side", "modality")
VERIFICATION_TAGS = frozenset({"V", "R", "P"})


@dataclass(frozen=True)
class StandardCode:
    """One row of ``data/codes.yaml``: a code, what it means for the record, and where that comes from."""

    system: str  # the code system URI
    code: str
    display: str
    meaning: str  # one of MEANINGS
    value: Any  # the meaning's value (an agent id, a field, a procedure type ...)
    source: str  # a key of the table's sources
    verification: str  # V, R or P (addendum-2026-12 tags); unverified codes are not in the table
    entry: Mapping[str, Any]  # the whole row, for the optional keys


def _load_codes() -> tuple[Mapping[str, str], tuple[StandardCode, ...], Mapping[str, Any]]:
    data = packaged_yaml("lss_pathway.fhir", "data/codes.yaml")
    rows = []
    for entry in data["codes"]:
        meaning = [key for key in MEANINGS if key in entry]
        if len(meaning) != 1:
            raise ValueError(f"codes.yaml: {entry.get('code')} needs exactly one meaning, has {meaning}")
        rows.append(
            StandardCode(
                SYSTEM_URIS[entry["system"]],
                str(entry["code"]),
                str(entry["display"]),
                meaning[0],
                entry[meaning[0]],
                str(entry["source"]),
                str(entry["verification"]),
                MappingProxyType(dict(entry)),
            )
        )
    return MappingProxyType(dict(data["sources"])), tuple(rows), MappingProxyType(dict(data["names"]))


SOURCES, STANDARD_CODES, _NAMES = _load_codes()


def _rows(system: str, meaning: str) -> list[StandardCode]:
    return [row for row in STANDARD_CODES if row.system == system and row.meaning == meaning]


# SNOMED CT qualifier values for laterality.
LATERALITY: Mapping[str, Side] = MappingProxyType({r.code: Side(r.value) for r in _rows(SNOMED, "side")})
LATERALITY_CODE: Mapping[Side, str] = MappingProxyType({side: code for code, side in LATERALITY.items()})
LATERALITY_DISPLAY: Mapping[Side, str] = MappingProxyType(
    {Side(r.value): r.display for r in _rows(SNOMED, "side")}
)

# DICOM modality codes (ImagingStudy.modality / series.modality).
DICOM_MODALITY: Mapping[str, Modality] = MappingProxyType(
    {r.code: Modality(r.value) for r in _rows(DICOM, "modality")}
)
_DICOM_DISPLAY = {r.code: r.display for r in _rows(DICOM, "modality")}
DICOM_CODE: Mapping[Modality, tuple[str, str]] = MappingProxyType(
    {
        Modality.MRI: ("MR", _DICOM_DISPLAY["MR"]),
        Modality.CT: ("CT", _DICOM_DISPLAY["CT"]),
        Modality.CT_MYELOGRAM: ("CT", _DICOM_DISPLAY["CT"]),
    }
)

# LOINC codes read as a project finding (the finding's unit rules apply: ODI only as %).
LOINC_FINDINGS: Mapping[str, str] = MappingProxyType({r.code: str(r.value) for r in _rows(LOINC, "finding")})

# Prior spine procedures by standard code (system, code) -> procedure type.
SURGERY_CODES: Mapping[tuple[str, str], ProcedureType] = MappingProxyType(
    {(r.system, r.code.upper()): ProcedureType(r.value) for r in STANDARD_CODES if r.meaning == "surgery"}
)
# Procedures a draft order may request: (system, code) -> what.
ORDER_CODES: Mapping[tuple[str, str], str] = MappingProxyType(
    {(r.system, r.code.upper()): str(r.entry["order"]) for r in STANDARD_CODES if "order" in r.entry}
)


@dataclass(frozen=True)
class ConditionCode:
    """A standard diagnosis code the mapping recognises.

    ``field`` is the record fact a *present* condition sets to true. These codes are narrower than the
    fact (haemophilia A is one bleeding disorder), so a refuted one says nothing about the fact and is
    reported as ignored. ``field`` None: recognised, but the record holds no such fact (``note`` says why,
    ``bears_on`` what it matters for: such inputs are shown with the assessment, not only listed).
    """

    system: str
    code: str
    display: str
    field: str | None
    prefix: bool = False  # also matches every more specific code below it (D68.0 matches D68.01)
    note: str = ""
    bears_on: str | None = None

    def matches(self, system: str | None, code: str | None) -> bool:
        if system != self.system or not code:
            return False
        code = code.strip().upper()
        return code == self.code or (self.prefix and code.startswith(self.code))


_NOTES: Mapping[str, str] = MappingProxyType(
    {
        "diagnosis": "the assessment derives the diagnosis from the recorded symptoms and imaging; a coded "
        "diagnosis is not an input",
        "claudication": "the record holds the features of claudication (leg symptoms, what provokes and "
        "relieves them), not the label; record them so the assessment sees them",
        "prior-surgery": "says the patient had lumbar spine surgery but not which operation, at which level "
        "or when; record the prior procedure (the list of prior spine procedures is left unknown)",
        "cauda-equina": "the record holds the features of cauda equina syndrome (red-flag Observations: "
        "saddle anaesthesia, new bladder or bowel dysfunction, bilateral leg deficit, sexual dysfunction), "
        "not the diagnosis; record them so the assessment sees them",
        "vascular": "peripheral arterial disease bears on vascular versus neurogenic claudication; record "
        "the ankle-brachial index and pedal pulses",
    }
)

CONDITION_CODES: tuple[ConditionCode, ...] = tuple(
    ConditionCode(
        r.system,
        r.code,
        r.display,
        str(r.value) if r.meaning == "fact" else None,
        prefix=bool(r.entry.get("prefix", False)),
        note=_NOTES[str(r.value)] if r.meaning == "recognised" else "",
        bears_on=r.entry.get("bears_on"),
    )
    for r in STANDARD_CODES
    if r.meaning in ("fact", "recognised") and r.system in (ICD10CM, SNOMED)
)
# Recognised conditions that say a spine operation happened: the prior-procedure list cannot be "none".
PRIOR_SURGERY_NOTE = "prior-surgery"
PRIOR_SURGERY_CONDITIONS = frozenset(
    (r.system, r.code) for r in STANDARD_CODES if r.meaning == "recognised" and r.value == PRIOR_SURGERY_NOTE
)


# --- Medications --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentCode:
    """A standard code naming one substance; ``agents`` are the vocabulary agents it may be.

    ``default`` is the agent the code names on its own (RxNorm aspirin -> ``aspirin``, whose indication is
    not recorded); ``agents`` also holds what a project code may narrow it to (``aspirin_primary`` ...).
    No default means the code names the substance but not what the record distinguishes (heparin IV or SC,
    enoxaparin dose): the agent is then known to be an antithrombotic but not which vocabulary entry, and
    the list is left unknown.
    """

    display: str
    agents: tuple[str, ...]
    default: str | None = None
    tty: str | None = None


def _agent_code(row: StandardCode) -> AgentCode:
    if row.meaning == "agent":
        agent = str(row.value)
        refines = tuple(str(a) for a in row.entry.get("refines", ()))
        return AgentCode(row.display, (agent, *refines), agent, row.entry.get("tty"))
    return AgentCode(row.display, tuple(str(a) for a in row.value), None, row.entry.get("tty"))


_MEDICATION_ROWS = [r for r in STANDARD_CODES if r.meaning in ("agent", "agents")]

# RxNorm: ingredients (IN) and the clinical and branded drugs (SCD/SBD) EHRs send.
RXNORM_CODES: Mapping[str, AgentCode] = MappingProxyType(
    {r.code: _agent_code(r) for r in _MEDICATION_ROWS if r.system == RXNORM}
)
RXNORM_INGREDIENTS: Mapping[str, AgentCode] = MappingProxyType(
    {code: entry for code, entry in RXNORM_CODES.items() if entry.tty == "IN"}
)
# ATC chemical substances (level 5).
ATC_SUBSTANCES: Mapping[str, AgentCode] = MappingProxyType(
    {r.code: _agent_code(r) for r in _MEDICATION_ROWS if r.system == ATC}
)


@dataclass(frozen=True)
class AtcClass:
    display: str
    classes: frozenset[str] = field(default_factory=frozenset)  # vocabulary classes (antithrombotics.yaml)


# ATC groups, matched by prefix (the longest wins). A class never identifies an agent on its own: it
# checks the agent named by another code and, alone, marks an antithrombotic whose agent is unknown.
ATC_CLASSES: Mapping[str, AtcClass] = MappingProxyType(
    {r.code: AtcClass(r.display, frozenset(r.value)) for r in _rows(ATC, "atc_class")}
)

# Whole words naming an antithrombotic or NSAID in free text (never naming an agent: see codes.yaml).
ANTITHROMBOTIC_NAMES = re.compile(
    r"\b(" + "|".join(re.escape(str(n)) for n in _NAMES["antithrombotic"]) + r")\b", re.IGNORECASE
)
SPINAL_SURGERY_NAMES = tuple(re.compile(str(p), re.IGNORECASE) for p in _NAMES["spinal_surgery"])


def names_antithrombotic(text: str) -> str | None:
    """The first antithrombotic or NSAID name in ``text`` (lower case), if any."""
    found = ANTITHROMBOTIC_NAMES.search(text)
    return found.group(1).lower() if found else None


def names_spinal_surgery(text: str) -> bool:
    return any(pattern.search(text) for pattern in SPINAL_SURGERY_NAMES)


def atc_class(code: str) -> tuple[str, AtcClass] | None:
    """The most specific ATC group in the table that ``code`` belongs to."""
    code = code.strip().upper()
    for length in range(len(code), 0, -1):
        found = ATC_CLASSES.get(code[:length])
        if found is not None:
            return code[:length], found
    return None


def rxnorm_code(agent: str) -> tuple[str, str] | None:
    """The RxNorm ingredient that names ``agent`` (possibly with siblings), for bundle output."""
    for code, entry in RXNORM_INGREDIENTS.items():
        if agent in entry.agents:
            return code, entry.display
    return None


def atc_code(agent: str) -> tuple[str, str] | None:
    for code, entry in ATC_SUBSTANCES.items():
        if agent in entry.agents:
            return code, entry.display
    return None


# Resource types the reader maps (Medication only as a target of a medication reference).
MAPPED_TYPES = frozenset(
    {
        "Patient",
        "Observation",
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "Procedure",
        "ImagingStudy",
        "DiagnosticReport",
        "Medication",
    }
)
