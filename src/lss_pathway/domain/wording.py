"""Clinician wording for the record's fields: labels, units, column headers, and which facts go together.

The patient form lays itself out from these groups, and ``criteria.labels`` names facts to document with
the same labels, so a field reads the same on the form, in a reason and in a to-do list. Bounds, steps and
help text are not here on purpose: they are read from the record model so that they cannot drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Wording:
    """A scalar fact: its full label, its unit, and a short header for when it sits in a table."""

    label: str
    unit: str | None = None
    short: str | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """A table column; ``label`` follows the row's name ("L4-L5 left: " + label) so each cell stands alone."""

    header: str
    label: str
    unit: str | None = None
    short: str | None = None

    @property
    def heading(self) -> str:
        return f"{self.header} ({self.unit})" if self.unit else self.header


@dataclass(frozen=True, slots=True)
class Group:
    """Facts shown together, keyed by dotted model path (which is also the form name), in display order."""

    title: str
    facts: dict[str, Wording]
    note: str | None = None


GROUPS: dict[str, Group] = {
    "record": Group(
        "Record",
        {
            "id": Wording("Record reference (not a patient identifier)"),
            "summary": Wording("One-line clinical summary"),
            "assessment_date": Wording("Assessment date"),
        },
    ),
    "patient": Group(
        "The patient",
        {
            "patient.age_years": Wording("Age", "years"),
            "patient.birth_date": Wording("Date of birth"),
            "patient.sex": Wording("Sex"),
        },
    ),
    "symptoms": Group(
        "Where and what",
        {
            "symptoms.leg_symptoms": Wording("Buttock or leg pain or numbness"),
            "symptoms.bilateral": Wording("Symptoms in both legs"),
            "symptoms.leg_pain_exceeds_back_pain": Wording("Leg pain worse than back pain"),
            "symptoms.calf_predominant": Wording("Symptoms mainly in the calves"),
            "symptoms.above_knee": Wording("Symptoms reach above the knee"),
            "symptoms.low_back_pain": Wording("Low back pain"),
            "symptoms.leg_weakness": Wording("Leg weakness reported by the patient"),
            "symptoms.walking_motor_sensory_disturbance": Wording(
                "Weakness, numbness or tingling while walking"
            ),
        },
    ),
    "pattern": Group(
        "What brings the symptoms on and what eases them",
        {
            "symptoms.provoked_by_walking": Wording("Brought on by walking"),
            "symptoms.provoked_by_standing": Wording("Brought on by standing"),
            "symptoms.relieved_by_sitting": Wording("Relieved by sitting"),
            "symptoms.relieved_by_flexion": Wording("Relieved by bending forward"),
            "symptoms.relieved_by_standing_still": Wording("Relieved by standing still"),
            "symptoms.tolerates_cycling": Wording("Can cycle without symptoms"),
        },
    ),
    "course": Group(
        "Course",
        {
            "symptoms.duration_months": Wording("Duration of claudication", "months"),
            "symptoms.walking_tolerance_m": Wording("Walking distance before symptoms stop the patient", "m"),
        },
    ),
    "red-flags": Group(
        "Cauda equina symptoms",
        {
            "red_flags.saddle_anaesthesia": Wording("Saddle anaesthesia"),
            "red_flags.new_bladder_bowel_dysfunction": Wording("New bladder or bowel dysfunction"),
            "red_flags.sexual_dysfunction": Wording("Sexual dysfunction"),
            "red_flags.progressive_motor_deficit": Wording("Progressive motor deficit"),
            "red_flags.bilateral_leg_deficit": Wording("Deficit in both legs"),
        },
        note="Leave a red flag blank only if it was not asked about: it is then reported as unscreened.",
    ),
    "red-flags-timing": Group(
        "Timing and bladder scan",
        {
            "red_flags.saddle_anaesthesia_onset_days": Wording(
                "Time since saddle anaesthesia began or last worsened", "days"
            ),
            "red_flags.bladder_bowel_onset_days": Wording(
                "Time since the bladder or bowel disturbance began or last worsened", "days"
            ),
            "red_flags.bilateral_leg_deficit_onset_days": Wording(
                "Time since the deficit in both legs began or last worsened", "days"
            ),
            "red_flags.sexual_dysfunction_onset_days": Wording(
                "Time since the sexual dysfunction began or last worsened", "days"
            ),
            "red_flags.sacral_onset_days": Wording(
                "Or, for all of them: time since any of these symptoms last began or worsened",
                "days",
            ),
            "red_flags.sacral_symptoms_walking_only": Wording(
                "Bladder, bowel, saddle, sexual or both-leg symptoms come only while walking"
            ),
            "red_flags.post_void_residual_ml": Wording("Post-void residual bladder volume", "mL"),
            "red_flags.specialist_review_cleared": Wording(
                "A spine specialist reviewed long-standing symptoms and cleared an elective procedure"
            ),
        },
    ),
    "exam": Group(
        "Neurological examination",
        {
            "exam.neurologic_deficit": Wording("Neurological deficit on examination"),
            "exam.wide_based_gait": Wording("Wide-based gait"),
            "exam.abnormal_romberg": Wording("Abnormal Romberg test"),
            "exam.exercise_abi_normal": Wording("Exercise (treadmill) ABI normal, no significant fall"),
            "exam.vascular_cause_excluded": Wording("A vascular work-up found the symptoms are not vascular"),
        },
    ),
    "care": Group(
        "Conservative care",
        {
            "conservative_care.months": Wording("Conservative care so far", "months"),
            "conservative_care.physical_therapy": Wording("Physical therapy"),
            "conservative_care.home_exercise": Wording("Home exercise programme"),
            "conservative_care.analgesics": Wording("Analgesics"),
            "conservative_care.esi_count": Wording("Epidural steroid injections received"),
            "conservative_care.last_esi_date": Wording("Date of the last epidural steroid injection"),
            "conservative_care.esi_response": Wording("Response to epidural steroid injections"),
        },
    ),
    "safety": Group(
        "Bleeding and infection",
        {
            "safety.bleeding_disorder": Wording("Bleeding disorder"),
            "safety.systemic_infection": Wording("Systemic infection"),
            "safety.local_infection": Wording("Infection at the access site"),
        },
    ),
    "imaging": Group(
        "Study",
        {"imaging.modality": Wording("Imaging modality"), "imaging.date": Wording("Imaging date")},
    ),
    "baseline": Group(
        "Baseline scores",
        {
            "baseline.odi_percent": Wording("Oswestry Disability Index (ODI)", "%"),
            "baseline.nprs": Wording("Pain intensity (numeric pain rating scale)", "0-10"),
        },
    ),
    "coverage": Group(
        "Coverage",
        {
            "coverage.medicare_beneficiary": Wording("Medicare beneficiary"),
            "coverage.ced_study_enrolled": Wording(
                "Enrolled in a CMS coverage-with-evidence-development (CED) study"
            ),
        },
    ),
}

# The per-leg vascular examination ("exam.<fact>.<side>"), one row per leg: the label gains ", left".
PER_LEG: dict[str, Wording] = {
    "pedal_pulses": Wording("Pedal pulses", short="Pulses"),
    "abi": Wording("Ankle-brachial index (ABI)", short="ABI"),
    "tbi": Wording("Toe-brachial index (TBI)", short="TBI"),
}

# One row per level ("L4-L5: ..."), in the order of the imaging table.
LEVEL_COLUMNS: dict[str, Column] = {
    "canal_area_mm2": Column("Canal area", "dural sac cross-sectional area", "mm²", "Area mm²"),
    "ap_diameter_mm": Column("AP diameter", "canal anteroposterior diameter", "mm", "AP mm"),
    "central_stenosis": Column("Central stenosis", "central stenosis", short="Central"),
    "schizas": Column("Schizas grade", "Schizas grade", short="Schizas"),
    "dominant_cause": Column("Dominant cause", "dominant cause of stenosis", short="Cause"),
    "meyerding_grade": Column("Meyerding grade", "Meyerding spondylolisthesis grade", short="Meyerding"),
    "slip_mm": Column("Slip", "slip distance", "mm", "Slip mm"),
    "slip_percent": Column("Slip", "slip as a percentage of the endplate", "%", "Slip %"),
    "instability": Column("Instability", "instability on flexion-extension imaging", short="Unstable"),
    "translation_mm": Column("Translation", "dynamic sagittal translation", "mm", "Transl. mm"),
    "angulation_deg": Column("Angulation", "dynamic sagittal angulation", "°", "Angul. °"),
}

# One row per level and side ("L4-L5 left: ...").
SIDE_COLUMNS: dict[str, Column] = {
    "lf_thickness_mm": Column("LF thickness", "ligamentum flavum thickness", "mm", "LF mm"),
    "lf_hypertrophy": Column("LF hypertrophy", "ligamentum flavum hypertrophy reported", short="LF hypertr."),
    "foraminal_stenosis": Column("Foraminal stenosis", "foraminal stenosis", short="Foraminal"),
    "lateral_recess_stenosis": Column(
        "Lateral recess stenosis", "lateral recess stenosis", short="Lat. recess"
    ),
    "laminar_shelf": Column("Laminar shelf", "laminar shelf present", short="Shelf"),
}

EPIDUROGRAM_LABEL = "epidurogram can be appreciated"


@dataclass(frozen=True, slots=True)
class ListWording:
    """A list whose rows are numbered ("Antithrombotic 2: ..."), with a status question above the rows."""

    noun: str
    status: str
    columns: dict[str, Column]
    question: str


DRUGS = ListWording(
    "Antithrombotic",
    "Current antithrombotic or antiplatelet drugs",
    {
        "agent": Column("Agent", "agent", short="Agent"),
        "name": Column("Name (other agent)", "name, for an agent not listed", short="Name"),
        "can_be_held": Column("Can be held", "can be held (the prescriber agrees)", short="Hold ok"),
        "days_held": Column("Days held", "days already held before the procedure", "days", "Days held"),
    },
    "Does the patient take any antithrombotic or antiplatelet drug?",
)
PROCEDURES = ListWording(
    "Prior procedure",
    "Prior spine procedures",
    {
        "type": Column("Procedure", "type of procedure", short="Procedure"),
        "levels": Column("Levels treated", "levels treated", short="Levels"),
        "date": Column("Date", "date", short="Date"),
    },
    "Has the patient had any spine procedure before?",
)
# "none" is an answer (an empty list); blank stays unknown.
STATUS_OPTIONS: dict[str, str] = {"none": "no, none", "listed": "yes, listed below"}

# Enum values whose raw spelling is not readable; anything else is shown with "_" as a space.
OPTION_LABELS: dict[str, dict[str, str]] = {
    "StenosisCause": {"lf_hypertrophy": "ligamentum flavum hypertrophy", "osteophyte": "osteophytes"},
    "Modality": {"CT_myelogram": "CT myelogram"},
    "ProcedureType": {"mild": "mild (minimally invasive lumbar decompression)"},
    "Response": {"none": "no relief", "partial": "partial relief", "good": "good relief"},
}
