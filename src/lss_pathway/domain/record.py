"""The patient record (DESIGN section 3, outcomes aside).

Every fact is optional and ``None`` means *unknown*: a fact that was not recorded is never read as "no".
Sections default to all-unknown so that an empty record is valid and simply undetermined. Ranges are
plausibility bounds that catch unit and typing mistakes; they are not clinical thresholds (those live in
the rule sets).
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lss_pathway.domain.anatomy import Level, Side, parse_level
from lss_pathway.domain.drugs import agent_aliases, antithrombotic_agents
from lss_pathway.domain.vocabulary import (
    Grade,
    Modality,
    ProcedureType,
    Pulse,
    Response,
    Schizas,
    Sex,
    StenosisCause,
    parse_grade,
    parse_meyerding,
    parse_modality,
    parse_pulse,
)

LevelField = Annotated[Level, BeforeValidator(parse_level)]
# Clinic spellings ("moderate-to-severe", "2+", "II", "mri") read into the vocabulary (domain/vocabulary.py).
GradeField = Annotated[Grade | None, BeforeValidator(parse_grade)]
PulseField = Annotated[Pulse | None, BeforeValidator(parse_pulse)]
ModalityField = Annotated[Modality | None, BeforeValidator(parse_modality)]

TODAY = "today"
"""The validation-context key under which an edge gives today's date to ``model_validate``."""


class Section(BaseModel):
    """Base for every part of the record: unknown keys are errors, values are immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: object) -> object:
        """An explicit null (e.g. an empty YAML section header) means the same as leaving the key out."""
        if isinstance(data, dict) and None in data.values():
            # Unknown keys are kept so that they are still refused, null or not.
            return {k: v for k, v in data.items() if v is not None or k not in cls.model_fields}
        return data


class Patient(Section):
    age_years: int | None = Field(None, ge=18, le=120, description="Age at assessment, in whole years")
    birth_date: dt.date | None = Field(None, description="Used for age when age_years is absent")
    sex: Sex | None = None


class Symptoms(Section):
    leg_symptoms: bool | None = Field(None, description="Pain or numbness in the buttocks and/or legs")
    bilateral: bool | None = None
    leg_pain_exceeds_back_pain: bool | None = None
    provoked_by_walking: bool | None = None
    provoked_by_standing: bool | None = Field(None, description="Provoked by standing alone, without walking")
    relieved_by_sitting: bool | None = None
    relieved_by_flexion: bool | None = Field(
        None, description="Relieved by bending forward (e.g. leaning on a shopping cart)"
    )
    tolerates_cycling: bool | None = None
    relieved_by_standing_still: bool | None = Field(
        None, description="Relieved by stopping and standing upright (a vascular pattern)"
    )
    calf_predominant: bool | None = None
    above_knee: bool | None = Field(None, description="Symptoms reach above the knee (thigh, buttock)")
    low_back_pain: bool | None = None
    walking_motor_sensory_disturbance: bool | None = Field(
        None, description="Weakness, numbness or tingling that comes on while walking"
    )
    leg_weakness: bool | None = Field(None, description="Lower-extremity weakness reported by the patient")
    duration_months: float | None = Field(None, ge=0, le=600, description="Duration of claudication, months")
    walking_tolerance_m: float | None = Field(
        None, ge=0, le=100_000, description="Distance walked before symptoms stop the patient, metres"
    )


class RedFlags(Section):
    saddle_anaesthesia: bool | None = None
    new_bladder_bowel_dysfunction: bool | None = None
    progressive_motor_deficit: bool | None = None
    bilateral_leg_deficit: bool | None = Field(None, description="Motor or sensory deficit in both legs")
    sexual_dysfunction: bool | None = None
    sacral_onset_days: int | None = Field(
        None,
        ge=0,
        le=36_500,
        description="Days since bladder, bowel, saddle, sexual or both-leg symptoms began or last worsened",
    )
    saddle_anaesthesia_onset_days: int | None = Field(
        None, ge=0, le=36_500, description="Days since saddle numbness began or last worsened"
    )
    bladder_bowel_onset_days: int | None = Field(
        None,
        ge=0,
        le=36_500,
        description="Days since the bladder or bowel disturbance began or last worsened",
    )
    bilateral_leg_deficit_onset_days: int | None = Field(
        None, ge=0, le=36_500, description="Days since the deficit in both legs began or last worsened"
    )
    sexual_dysfunction_onset_days: int | None = Field(
        None, ge=0, le=36_500, description="Days since the sexual dysfunction began or last worsened"
    )
    sacral_symptoms_walking_only: bool | None = Field(
        None, description="Those symptoms come only while walking and ease at rest (a chronic LSS pattern)"
    )
    post_void_residual_ml: float | None = Field(
        None, ge=0, le=3000, description="Bladder scan after voiding, mL"
    )
    specialist_review_cleared: bool | None = Field(
        None,
        description=(
            "A spine specialist reviewed the long-standing cauda equina-type features: true = cleared for an "
            "elective procedure, false = not cleared"
        ),
    )

    @model_validator(mode="after")
    def _onsets_consistent(self) -> RedFlags:
        # The shared onset counts from the most recent change of any feature, so no present feature can
        # have changed more recently than it says.
        shared = self.sacral_onset_days
        if shared is None:
            return self
        for feature, field in ONSET_FIELDS.items():
            own = getattr(self, field)
            if getattr(self, feature) is True and own is not None and own < shared:
                raise ValueError(
                    f"{field} {own} contradicts sacral_onset_days {shared} (the days since the most recent "
                    "change of any feature); correct one of them"
                )
        return self

    def onset_days(self, feature: str) -> int | None:
        """A feature's own onset, else the shared one (which covers whichever feature changed last)."""
        own: int | None = getattr(self, ONSET_FIELDS[feature])
        return own if own is not None else self.sacral_onset_days


ONSET_FIELDS = {
    "saddle_anaesthesia": "saddle_anaesthesia_onset_days",
    "new_bladder_bowel_dysfunction": "bladder_bowel_onset_days",
    "bilateral_leg_deficit": "bilateral_leg_deficit_onset_days",
    "sexual_dysfunction": "sexual_dysfunction_onset_days",
}


class PerSideFloat(Section):
    left: float | None = Field(None, ge=0, le=3)
    right: float | None = Field(None, ge=0, le=3)


class PedalPulses(Section):
    left: PulseField = None
    right: PulseField = None


class Examination(Section):
    neurologic_deficit: GradeField = None
    pedal_pulses: PedalPulses = PedalPulses()
    abi: PerSideFloat = Field(PerSideFloat(), description="Resting ankle-brachial index per leg (0-3)")
    tbi: PerSideFloat = Field(PerSideFloat(), description="Toe-brachial index per leg (0-3)")
    wide_based_gait: bool | None = None
    abnormal_romberg: bool | None = None
    exercise_abi_normal: bool | None = Field(
        None, description="Exercise (treadmill) ABI shows no significant fall after exercise"
    )
    vascular_cause_excluded: bool | None = Field(
        None,
        description="A vascular work-up found the leg symptoms are not vascular (false: they are vascular)",
    )


class ConservativeCare(Section):
    months: float | None = Field(None, ge=0, le=600, description="Months of conservative care so far")
    physical_therapy: bool | None = None
    home_exercise: bool | None = None
    analgesics: bool | None = None
    esi_count: int | None = Field(None, ge=0, le=100, description="Epidural steroid injections received")
    last_esi_date: dt.date | None = None
    esi_response: Response | None = None

    @model_validator(mode="after")
    def _esi_consistent(self) -> ConservativeCare:
        # A date of the last injection or a relief from one says an injection was given: with a count of 0
        # the record cannot say which is true, and reading either silently could pass a recent injection.
        # A response of "none" beside no injection is how forms say "not applicable": not a contradiction.
        if self.esi_count != 0:
            return self
        response = self.esi_response if self.esi_response is not Response.NONE else None
        given = [
            f"{name} {value}"
            for name, value in (("last_esi_date", self.last_esi_date), ("esi_response", response))
            if value is not None
        ]
        if given:
            raise ValueError(
                f"esi_count 0 (no epidural steroid injection) contradicts {' and '.join(given)} (which say "
                "one was given); correct one of them"
            )
        return self


class Antithrombotic(Section):
    agent: str = Field(description="Agent id from the antithrombotic vocabulary, e.g. 'clopidogrel'")
    name: str | None = Field(
        None, max_length=80, description="The drug's name, for 'other_antithrombotic' (an agent not listed)"
    )
    can_be_held: bool | None = Field(None, description="The prescriber agrees the agent may be held")
    days_held: float | None = Field(None, ge=0, le=365, description="Days already held before the procedure")

    @field_validator("agent", mode="before")
    @classmethod
    def _known_agent(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        agents = antithrombotic_agents()
        key = value.strip().lower().replace(" ", "_").replace("-", "_")
        if key in agents:
            return key
        aliases = agent_aliases()
        if key in aliases:
            return aliases[key]
        hint = difflib.get_close_matches(key, [*agents, *aliases], n=1)
        hint = [aliases.get(h, h) for h in hint]
        did_you_mean = f" Did you mean '{hint[0]}'?" if hint else ""
        raise ValueError(
            f"unknown antithrombotic agent '{value}'.{did_you_mean} An agent that is not listed is recorded "
            f"as {{agent: other_antithrombotic, name: {value}}}. Known: {', '.join(agents)}"
        )


class Safety(Section):
    bleeding_disorder: bool | None = None
    antithrombotics: list[Antithrombotic] | None = Field(
        None, description="Current antithrombotics; [] means none, absent means unknown"
    )
    systemic_infection: bool | None = None
    local_infection: bool | None = Field(None, description="Infection at the access site")

    @field_validator("antithrombotics")
    @classmethod
    def _agents_once(cls, value: list[Antithrombotic] | None) -> list[Antithrombotic] | None:
        if value is not None:
            seen = [a.agent if a.name is None else f"{a.agent} ({a.name})" for a in value]
            twice = sorted({a for a in seen if seen.count(a) > 1})
            if twice:
                raise ValueError(f"agent listed more than once: {', '.join(twice)}")
        return value


class PriorProcedure(Section):
    type: ProcedureType
    levels: list[LevelField] | None = Field(None, description="Levels treated; absent means unknown")
    date: dt.date | None = None


class SideFindings(Section):
    side: Side
    lf_thickness_mm: float | None = Field(None, gt=0, le=15, description="Ligamentum flavum thickness, mm")
    lf_hypertrophy: bool | None = Field(None, description="Radiologist reports LF hypertrophy on this side")
    foraminal_stenosis: GradeField = None
    lateral_recess_stenosis: GradeField = None
    laminar_shelf: bool | None = Field(None, description="A laminar shelf is present for the approach")


class LevelFindings(Section):
    level: LevelField
    canal_area_mm2: float | None = Field(
        None, gt=0, le=400, description="Dural sac / canal cross-sectional area, mm2"
    )
    ap_diameter_mm: float | None = Field(None, gt=0, le=40, description="Canal AP diameter, mm")
    central_stenosis: GradeField = None
    schizas: Schizas | None = None
    dominant_cause: StenosisCause | None = None
    meyerding_grade: Annotated[int | None, BeforeValidator(parse_meyerding)] = Field(
        None, ge=0, le=5, description="Spondylolisthesis grade, 0 = no slip (roman numerals accepted)"
    )
    slip_mm: float | None = Field(None, ge=0, le=60)
    slip_percent: float | None = Field(None, ge=0, le=150)
    instability: bool | None = Field(None, description="Instability on flexion-extension imaging")
    translation_mm: float | None = Field(None, ge=0, le=30, description="Dynamic sagittal translation, mm")
    angulation_deg: float | None = Field(
        None, ge=0, le=45, description="Dynamic sagittal angulation, degrees"
    )
    sides: list[SideFindings] = Field(default_factory=list)

    @field_validator("sides")
    @classmethod
    def _sides_once(cls, value: list[SideFindings]) -> list[SideFindings]:
        seen = [s.side for s in value]
        twice = sorted({s.value for s in seen if seen.count(s) > 1})
        if twice:
            raise ValueError(f"side listed more than once: {', '.join(twice)}")
        return value

    @model_validator(mode="after")
    def _slip_consistent(self) -> LevelFindings:
        # Meyerding: I 0-25 %, II 26-50 %, III 51-75 %, IV 76-100 %, V > 100 % (reference 5.4, [V]).
        if self.meyerding_grade is not None and self.slip_percent is not None:
            expected = meyerding_from_percent(self.slip_percent)
            if expected != self.meyerding_grade:
                raise ValueError(
                    f"meyerding_grade {self.meyerding_grade} contradicts slip_percent {self.slip_percent:g} "
                    f"(which is grade {expected}); correct one of them"
                )
        return self

    def side(self, side: Side) -> SideFindings | None:
        for found in self.sides:
            if found.side == side:
                return found
        return None


def meyerding_from_percent(percent: float) -> int:
    if percent <= 0:
        return 0
    for grade, upper in ((1, 25), (2, 50), (3, 75), (4, 100)):
        if percent <= upper:
            return grade
    return 5


class Imaging(Section):
    modality: ModalityField = None
    date: dt.date | None = None
    levels: list[LevelFindings] = Field(default_factory=list)

    @field_validator("levels")
    @classmethod
    def _levels_once(cls, value: list[LevelFindings]) -> list[LevelFindings]:
        seen = [f.level for f in value]
        twice = sorted({lv.value for lv in seen if seen.count(lv) > 1})
        if twice:
            raise ValueError(f"level listed more than once: {', '.join(twice)}")
        return value

    def level(self, level: Level) -> LevelFindings | None:
        for found in self.levels:
            if found.level == level:
                return found
        return None


class EpidurogramFinding(Section):
    level: LevelField
    side: Side
    appreciated: bool | None = None


class Procedure(Section):
    """Findings that exist only once the procedure has started."""

    epidurogram: list[EpidurogramFinding] = Field(default_factory=list)

    @field_validator("epidurogram")
    @classmethod
    def _cells_once(cls, value: list[EpidurogramFinding]) -> list[EpidurogramFinding]:
        cells = [(f.level.value, f.side.value) for f in value]
        twice = sorted({f"{lv} {sd}" for lv, sd in cells if cells.count((lv, sd)) > 1})
        if twice:
            raise ValueError(f"level and side listed more than once: {', '.join(twice)}")
        return value

    def appreciated(self, level: Level, side: Side) -> bool | None:
        for finding in self.epidurogram:
            if finding.level == level and finding.side == side:
                return finding.appreciated
        return None


class BaselineScores(Section):
    """Baseline scores some rule sets use for eligibility (follow-up outcomes belong to the registry)."""

    odi_percent: float | None = Field(None, ge=0, le=100, description="Oswestry Disability Index, 0-100")
    nprs: float | None = Field(None, ge=0, le=10, description="Numeric pain rating, 0-10")


class Coverage(Section):
    medicare_beneficiary: bool | None = None
    ced_study_enrolled: bool | None = Field(
        None, description="Enrolled in a CMS-approved coverage-with-evidence-development study"
    )


class PatientRecord(Section):
    id: str | None = Field(None, max_length=64, description="Local record reference; never logged")
    summary: str | None = Field(None, max_length=500, description="One-line clinical summary")
    assessment_date: dt.date | None = Field(None, description="Date the facts describe; defaults to today")
    patient: Patient = Patient()
    symptoms: Symptoms = Symptoms()
    red_flags: RedFlags = RedFlags()
    exam: Examination = Examination()
    conservative_care: ConservativeCare = ConservativeCare()
    safety: Safety = Safety()
    prior_procedures: list[PriorProcedure] | None = Field(
        None, description="Prior spine procedures; [] means none, absent means unknown"
    )
    imaging: Imaging = Imaging()
    procedure: Procedure = Procedure()
    baseline: BaselineScores = BaselineScores()
    coverage: Coverage = Coverage()

    @model_validator(mode="after")
    def _dates_not_in_future(self, info: ValidationInfo) -> PatientRecord:
        """Dates may not pass the assessment date, nor today as the edge that parses the record knows it.

        The core keeps no clock: an edge passes ``context={TODAY: date}`` to ``model_validate`` (see
        ``domain.parsing``); without it only the record's own assessment date bounds the other dates.
        """
        today = (info.context or {}).get(TODAY)
        if today is not None and self.assessment_date is not None and self.assessment_date > today:
            raise ValueError(f"assessment_date {self.assessment_date} is in the future")
        reference = self.assessment_date or today
        if reference is None:
            return self
        dated: list[tuple[str, dt.date | None]] = [
            ("patient.birth_date", self.patient.birth_date),
            ("conservative_care.last_esi_date", self.conservative_care.last_esi_date),
            ("imaging.date", self.imaging.date),
        ]
        dated += [(f"prior_procedures[{i}].date", p.date) for i, p in enumerate(self.prior_procedures or [])]
        for name, value in dated:
            if value is not None and value > reference:
                raise ValueError(f"{name} {value} is after the assessment date {reference}")
        if self.patient.age_years is not None and self.patient.birth_date is not None:
            derived = age_on(self.patient.birth_date, reference)
            if derived != self.patient.age_years:
                raise ValueError(
                    f"patient.age_years {self.patient.age_years} contradicts patient.birth_date "
                    f"{self.patient.birth_date} (age {derived} on {reference})"
                )
        return self

    def on_date(self, today: dt.date | None = None) -> dt.date:
        """The date the facts describe: the assessment date, else ``today`` as the calling edge knows it."""
        if self.assessment_date is not None:
            return self.assessment_date
        if today is None:
            raise ValueError("the record has no assessment_date and no as-of date was given")
        return today

    def age(self, on: dt.date | None = None) -> int | None:
        """Whole years: as recorded, else from the birth date on ``on`` (default: the assessment date);
        unknown when neither date is known."""
        if self.patient.age_years is not None:
            return self.patient.age_years
        when = on or self.assessment_date
        if self.patient.birth_date is not None and when is not None:
            return age_on(self.patient.birth_date, when)
        return None


def age_on(birth: dt.date, when: dt.date) -> int:
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))
