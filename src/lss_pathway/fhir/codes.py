"""Code systems and code tables of the FHIR R4 mapping, as data (docs/fhir-mapping.md explains each one).

A standard code (SNOMED CT, ICD-10-CM, RxNorm, ATC, DICOM, UCUM) appears here only where its meaning is
certain. Every record fact without such a code has a code in the project's own code system ``FINDINGS``;
enumerated values (grades, causes, procedure types ...) have one small project code system each, whose
codes are exactly the record's vocabulary values. A code that is not in these tables is never guessed at:
the mapping reports it as ignored input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from lss_pathway.domain.anatomy import Level, Side
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

# SNOMED CT qualifier values for laterality.
LATERALITY: Mapping[str, Side] = MappingProxyType({"7771000": Side.LEFT, "24028007": Side.RIGHT})
LATERALITY_CODE: Mapping[Side, str] = MappingProxyType({side: code for code, side in LATERALITY.items()})
LATERALITY_DISPLAY: Mapping[Side, str] = MappingProxyType({Side.LEFT: "Left", Side.RIGHT: "Right"})

# DICOM modality codes (ImagingStudy.modality / series.modality).
DICOM_MODALITY: Mapping[str, Modality] = MappingProxyType({"MR": Modality.MRI, "CT": Modality.CT})
DICOM_CODE: Mapping[Modality, tuple[str, str]] = MappingProxyType(
    {
        Modality.MRI: ("MR", "Magnetic Resonance"),
        Modality.CT: ("CT", "Computed Tomography"),
        Modality.CT_MYELOGRAM: ("CT", "Computed Tomography"),
    }
)


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


# --- Conditions with standard codes -------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionCode:
    """A standard diagnosis code the mapping recognises.

    ``field`` is the record fact a *present* condition sets to true. These codes are narrower than the
    fact (haemophilia A is one bleeding disorder), so a refuted one says nothing about the fact and is
    reported as ignored. ``field`` None: recognised, but the record holds no such fact (``note`` says why).
    """

    system: str
    code: str
    display: str
    field: str | None
    prefix: bool = False  # also matches every more specific code below it (D68.0 matches D68.01)
    note: str = ""

    def matches(self, system: str | None, code: str | None) -> bool:
        if system != self.system or not code:
            return False
        code = code.strip().upper()
        return code == self.code or (self.prefix and code.startswith(self.code))


_BLEEDING = "safety.bleeding_disorder"
_SEPSIS = "safety.systemic_infection"
_DIAGNOSIS_NOTE = (
    "the assessment derives the diagnosis from the recorded symptoms and imaging; a coded diagnosis is "
    "not an input"
)
_CES_NOTE = (
    "the record holds the features of cauda equina syndrome (red-flag Observations: saddle anaesthesia, "
    "new bladder or bowel dysfunction, bilateral leg deficit, sexual dysfunction), not the diagnosis; "
    "record them so the assessment sees them"
)

CONDITION_CODES: tuple[ConditionCode, ...] = (
    # Bleeding disorders (ICD-10-CM D65-D68 coagulation defects without the thrombophilias D68.5/D68.6,
    # and qualitative platelet defects). Thrombocytopenia is not mapped: whether it is a bleeding disorder
    # depends on a count the code does not carry.
    ConditionCode(ICD10CM, "D65", "Disseminated intravascular coagulation", _BLEEDING),
    ConditionCode(ICD10CM, "D66", "Hereditary factor VIII deficiency", _BLEEDING),
    ConditionCode(ICD10CM, "D67", "Hereditary factor IX deficiency", _BLEEDING),
    ConditionCode(ICD10CM, "D68.0", "Von Willebrand disease", _BLEEDING, prefix=True),
    ConditionCode(ICD10CM, "D68.1", "Hereditary factor XI deficiency", _BLEEDING),
    ConditionCode(ICD10CM, "D68.2", "Hereditary deficiency of other clotting factors", _BLEEDING),
    ConditionCode(
        ICD10CM, "D68.3", "Hemorrhagic disorder due to circulating anticoagulants", _BLEEDING, prefix=True
    ),
    ConditionCode(ICD10CM, "D68.4", "Acquired coagulation factor deficiency", _BLEEDING),
    ConditionCode(ICD10CM, "D68.8", "Other specified coagulation defects", _BLEEDING),
    ConditionCode(ICD10CM, "D68.9", "Coagulation defect, unspecified", _BLEEDING),
    ConditionCode(ICD10CM, "D69.1", "Qualitative platelet defects", _BLEEDING),
    # Systemic infection: sepsis and bacteremia.
    ConditionCode(ICD10CM, "A40", "Streptococcal sepsis", _SEPSIS, prefix=True),
    ConditionCode(ICD10CM, "A41", "Other sepsis", _SEPSIS, prefix=True),
    ConditionCode(ICD10CM, "R65.2", "Severe sepsis", _SEPSIS, prefix=True),
    ConditionCode(ICD10CM, "R78.81", "Bacteremia", _SEPSIS),
    # Recognised, not record facts.
    ConditionCode(ICD10CM, "M48.06", "Spinal stenosis, lumbar region", None, note=_DIAGNOSIS_NOTE),
    ConditionCode(
        ICD10CM,
        "M48.061",
        "Spinal stenosis, lumbar region without neurogenic claudication",
        None,
        note=_DIAGNOSIS_NOTE,
    ),
    ConditionCode(
        ICD10CM,
        "M48.062",
        "Spinal stenosis, lumbar region with neurogenic claudication",
        None,
        note=_DIAGNOSIS_NOTE,
    ),
    ConditionCode(SNOMED, "18347007", "Spinal stenosis of lumbar region", None, note=_DIAGNOSIS_NOTE),
    ConditionCode(ICD10CM, "G83.4", "Cauda equina syndrome", None, note=_CES_NOTE),
)


# --- Medications --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentCode:
    """A standard code naming one substance; ``agents`` are the vocabulary agents it may be.

    More than one agent means the code names the substance but not what the record distinguishes
    (aspirin for primary or secondary prophylaxis, heparin IV or SC, enoxaparin dose): the agent is then
    known to be an antithrombotic but not which vocabulary entry, and the list is left unknown.
    """

    display: str
    agents: tuple[str, ...]


_ASPIRIN = ("aspirin_primary", "aspirin_secondary")
_HEPARIN = ("heparin_iv", "heparin_sc")
_ENOXAPARIN = ("enoxaparin_prophylactic", "enoxaparin_therapeutic")

# RxNorm ingredient (IN) concepts only; clinical drugs (SCD/SBD) are not ingredients and are not mapped.
RXNORM_INGREDIENTS: Mapping[str, AgentCode] = MappingProxyType(
    {
        "11289": AgentCode("warfarin", ("warfarin",)),
        "32968": AgentCode("clopidogrel", ("clopidogrel",)),
        "613391": AgentCode("prasugrel", ("prasugrel",)),
        "1116632": AgentCode("ticagrelor", ("ticagrelor",)),
        "1364430": AgentCode("apixaban", ("apixaban",)),
        "1114195": AgentCode("rivaroxaban", ("rivaroxaban",)),
        "1037042": AgentCode("dabigatran etexilate", ("dabigatran",)),
        "1191": AgentCode("aspirin", _ASPIRIN),
        "5224": AgentCode("heparin", _HEPARIN),
        "67108": AgentCode("enoxaparin", _ENOXAPARIN),
        "5640": AgentCode("ibuprofen", ("ibuprofen",)),
        "7258": AgentCode("naproxen", ("naproxen",)),
    }
)

# ATC chemical substances (level 5).
ATC_SUBSTANCES: Mapping[str, AgentCode] = MappingProxyType(
    {
        "B01AA03": AgentCode("warfarin", ("warfarin",)),
        "B01AA07": AgentCode("acenocoumarol", ("acenocoumarol",)),
        "B01AB01": AgentCode("heparin", _HEPARIN),
        "B01AB05": AgentCode("enoxaparin", _ENOXAPARIN),
        "B01AC04": AgentCode("clopidogrel", ("clopidogrel",)),
        "B01AC06": AgentCode("acetylsalicylic acid", _ASPIRIN),
        "B01AC07": AgentCode("dipyridamole", ("dipyridamole",)),
        "B01AC22": AgentCode("prasugrel", ("prasugrel",)),
        "B01AC23": AgentCode("cilostazol", ("cilostazol",)),
        "B01AC24": AgentCode("ticagrelor", ("ticagrelor",)),
        "B01AE07": AgentCode("dabigatran etexilate", ("dabigatran",)),
        "B01AF01": AgentCode("rivaroxaban", ("rivaroxaban",)),
        "B01AF02": AgentCode("apixaban", ("apixaban",)),
        "B01AF03": AgentCode("edoxaban", ("edoxaban",)),
        "M01AB01": AgentCode("indometacin", ("indomethacin",)),
        "M01AB05": AgentCode("diclofenac", ("diclofenac",)),
        "M01AB15": AgentCode("ketorolac", ("ketorolac",)),
        "M01AC01": AgentCode("piroxicam", ("piroxicam",)),
        "M01AC06": AgentCode("meloxicam", ("meloxicam",)),
        "M01AE01": AgentCode("ibuprofen", ("ibuprofen",)),
        "M01AE02": AgentCode("naproxen", ("naproxen",)),
    }
)


@dataclass(frozen=True)
class AtcClass:
    display: str
    classes: frozenset[str] = field(default_factory=frozenset)  # vocabulary classes (antithrombotics.yaml)


_ANTITHROMBOTIC_CLASSES = frozenset(
    {
        "antiplatelet",
        "p2y12_inhibitor",
        "pde_inhibitor",
        "vitamin_k_antagonist",
        "direct_oral_anticoagulant",
        "heparin",
        "low_molecular_weight_heparin",
    }
)

# ATC groups, matched by prefix (the longest wins). A class never identifies an agent on its own: it
# checks the agent named by another code and, alone, marks an antithrombotic whose agent is unknown.
ATC_CLASSES: Mapping[str, AtcClass] = MappingProxyType(
    {
        "B01A": AtcClass("Antithrombotic agents", _ANTITHROMBOTIC_CLASSES),
        "B01AA": AtcClass("Vitamin K antagonists", frozenset({"vitamin_k_antagonist"})),
        "B01AB": AtcClass("Heparin group", frozenset({"heparin", "low_molecular_weight_heparin"})),
        "B01AC": AtcClass(
            "Platelet aggregation inhibitors excl. heparin",
            frozenset({"antiplatelet", "p2y12_inhibitor", "pde_inhibitor"}),
        ),
        "B01AE": AtcClass("Direct thrombin inhibitors", frozenset({"direct_oral_anticoagulant"})),
        "B01AF": AtcClass("Direct factor Xa inhibitors", frozenset({"direct_oral_anticoagulant"})),
        "M01A": AtcClass("Anti-inflammatory and antirheumatic products, non-steroids", frozenset({"nsaid"})),
    }
)


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
