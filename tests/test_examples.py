"""Scenario tests: every example patient in ``examples/`` against a hand-written expected verdict table.

The expectations below come from the clinical scenario each example describes (DESIGN section 2, the
textbook indications and contraindications, and the trial eligibility in the mild-trial rule set), not
from engine output. Each example records complete facts, so every reported level and side is decided;
levels not reported on imaging stay undetermined, unless a patient-level criterion already fails, in
which case no cell anywhere can be a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from lss_pathway.assess import Assessment, assess
from lss_pathway.clinical.claudication import Pattern
from lss_pathway.criteria.candidacy import Cell, Verdict
from lss_pathway.criteria.logic import Tri
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.parsing import parse_record
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import PathwayStep

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

C = Verdict.CANDIDATE
N = Verdict.NOT_CANDIDATE
U = Verdict.UNDETERMINED


@dataclass(frozen=True)
class Expected:
    """Verdicts per reported level as (left, right), and the verdict of every level not reported."""

    levels: dict[str, tuple[Verdict, Verdict]]
    unreported: Verdict = U
    # Criteria expected to be not met at particular cells ("L4-L5 left" -> ids): the *reason* matters too.
    not_met: dict[str, set[str]] = field(default_factory=dict)

    def verdict(self, level: Level, side: Side) -> Verdict:
        if level.value not in self.levels:
            return self.unreported
        left, right = self.levels[level.value]
        return left if side is Side.LEFT else right


# Textbook rule set (the default). Non-stenotic reported levels (canal area >= 100 mm2, no central
# stenosis) fail the central-stenosis indication, so they are not candidates.
TEXTBOOK: dict[str, Expected] = {
    "01-bilateral-l45-candidate": Expected({"L3-L4": (N, N), "L4-L5": (C, C), "L5-S1": (N, N)}),
    # Right LF 2.0 mm and not reported as hypertrophied: the right side has no LF to debulk.
    "02-unilateral-left-l45-candidate": Expected(
        {"L3-L4": (N, N), "L4-L5": (C, N), "L5-S1": (N, N)},
        not_met={"L4-L5 right": {"lf_hypertrophy_on_side"}},
    ),
    "03-two-level-l34-l45-candidate": Expected(
        {"L2-L3": (N, N), "L3-L4": (C, C), "L4-L5": (C, C), "L5-S1": (N, N)}
    ),
    # Meyerding grade II is outside the indication, whatever the LF shows.
    "04-grade2-spondylolisthesis-l45": Expected(
        {"L3-L4": (N, N), "L4-L5": (N, N), "L5-S1": (N, N)},
        not_met={
            "L4-L5 left": {"spondylolisthesis_below_grade_2"},
            "L4-L5 right": {"spondylolisthesis_below_grade_2"},
        },
    ),
    # Instability is a contraindication (the grade I slip alone would not be).
    "05-dynamic-instability-l45": Expected(
        {"L3-L4": (N, N), "L4-L5": (N, N), "L5-S1": (N, N)},
        not_met={"L4-L5 left": {"no_instability"}, "L4-L5 right": {"no_instability"}},
    ),
    # Vascular pattern: not neurogenic claudication and not "not vascular": patient-level, so everywhere.
    "06-vascular-claudication-low-abi": Expected(
        {"L3-L4": (N, N), "L4-L5": (N, N), "L5-S1": (N, N)},
        unreported=N,
        # textbook 1.1.0: the low indices alone hold the legs undetermined pending the vascular work-up;
        # the absent neurogenic pattern is what rules mild out.
        not_met={
            "L4-L5 left": {"neurogenic_claudication"},
            "L4-L5 right": {"neurogenic_claudication"},
        },
    ),
    # Apixaban can be held: a condition, not a contraindication.
    "07-apixaban-can-be-held": Expected({"L3-L4": (N, N), "L4-L5": (C, C), "L5-S1": (N, N)}),
    # Antiplatelets that cannot be held before a high-risk procedure: contraindicated everywhere.
    "08-clopidogrel-cannot-be-held": Expected(
        {"L3-L4": (N, N), "L4-L5": (N, N), "L5-S1": (N, N)},
        unreported=N,
        not_met={
            "L4-L5 left": {"antithrombotics_can_be_held"},
            "L4-L5 right": {"antithrombotics_can_be_held"},
        },
    ),
    # Suspected cauda equina syndrome: no elective procedure anywhere.
    "09-cauda-equina-red-flags": Expected(
        {"L3-L4": (N, N), "L4-L5": (N, N), "L5-S1": (N, N)},
        unreported=N,
        not_met={"L4-L5 left": {"no_cauda_equina_emergency"}, "L4-L5 right": {"no_cauda_equina_emergency"}},
    ),
    # No imaging: nothing can be decided at any level, and nothing fails at patient level.
    "10-imaging-missing": Expected({}, unreported=U),
    # Severe right foraminal stenosis presumed symptomatic: right side routed away; left still a candidate.
    "11-severe-foraminal-right-l45": Expected(
        {"L3-L4": (N, N), "L4-L5": (C, N), "L5-S1": (N, N)},
        not_met={"L4-L5 right": {"no_severe_foraminal_or_lateral_stenosis"}},
    ),
    # The fused L4-L5 is no longer stenotic (textbook 1.1.0 counts prior open surgery only against a level
    # whose laminar shelf is not documented); adjacent L3-L4 qualifies.
    "12-prior-fusion-l45-adjacent-l34": Expected(
        {"L3-L4": (C, C), "L4-L5": (N, N), "L5-S1": (N, N)},
        not_met={"L4-L5 left": {"central_canal_stenosis"}, "L4-L5 right": {"central_canal_stenosis"}},
    ),
    # No laminar shelf on the left at L4-L5: no working surface for the approach on that side.
    "13-no-laminar-shelf-left-l45": Expected(
        {"L3-L4": (N, N), "L4-L5": (N, C), "L5-S1": (N, N)},
        not_met={"L4-L5 left": {"laminar_shelf_present"}},
    ),
}

# Exactly these criteria fail at these cells (nothing else is wrong there).
EXACT_NOT_MET = {
    "02-unilateral-left-l45-candidate",
    "04-grade2-spondylolisthesis-l45",
    "05-dynamic-instability-l45",
    "06-vascular-claudication-low-abi",
    "08-clopidogrel-cannot-be-held",
    "09-cauda-equina-red-flags",
    "11-severe-foraminal-right-l45",
    "13-no-laminar-shelf-left-l45",
}

# mild-trial = textbook minus the LF-hypertrophy flag, plus trial eligibility. Every example was written
# trial-complete: age >= 65, claudication >= 3 months, >= 3 months of failed PT, home exercise and
# analgesics, MRI within 12 months, ODI >= 31, NPRS >= 5, walks >= 10 ft, last ESI > 8 weeks ago (or none),
# no slip or a slip <= 5 mm (except 04, which fails anyway), LF >= 2.5 mm on every intended side. So the
# trial verdicts equal the textbook ones, cell for cell. The reasons differ in two places:
MILD_TRIAL: dict[str, Expected] = {
    **TEXTBOOK,
    # The right LF is 2.0 mm: below the trial's 2.5 mm floor (the LF-hypertrophy flag is replaced).
    "02-unilateral-left-l45-candidate": Expected(
        {"L3-L4": (N, N), "L4-L5": (C, N), "L5-S1": (N, N)},
        not_met={"L4-L5 right": {"lf_thickness_on_side"}},
    ),
    # The trials exclude any prior procedure at the level.
    "12-prior-fusion-l45-adjacent-l34": Expected(
        {"L3-L4": (C, C), "L4-L5": (N, N), "L5-S1": (N, N)},
        not_met={
            "L4-L5 left": {"no_prior_surgery_at_level", "central_canal_stenosis"},
            "L4-L5 right": {"no_prior_surgery_at_level", "central_canal_stenosis"},
        },
    ),
    # A 13 mm slip also exceeds the trial's 5 mm limit.
    "04-grade2-spondylolisthesis-l45": Expected(
        {"L3-L4": (N, N), "L4-L5": (N, N), "L5-S1": (N, N)},
        not_met={
            "L4-L5 left": {"spondylolisthesis_below_grade_2", "slip_within_trial_limit"},
            "L4-L5 right": {"spondylolisthesis_below_grade_2", "slip_within_trial_limit"},
        },
    ),
}

NAMES = sorted(TEXTBOOK)


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


@cache
def record(name: str) -> PatientRecord:
    return parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml")


@cache
def assessed(name: str, ruleset: str = "textbook") -> Assessment:
    return assess(record(name), ruleset)


def not_met_ids(cell: Cell) -> set[str]:
    return {r.criterion.id for r in cell.results if r.value is Tri.NOT_MET}


def steps(a: Assessment) -> list[PathwayStep]:
    return [r.step for r in a.pathway]


def step_levels(a: Assessment, step: PathwayStep) -> set[str]:
    for rec in a.pathway:
        if rec.step is step:
            return set(rec.levels)
    raise AssertionError(f"{step} not in pathway {steps(a)}")


def check_table(a: Assessment, expected: Expected) -> None:
    wrong = []
    for level in Level:
        for side in Side:
            want = expected.verdict(level, side)
            got = a.candidacy.cell(level, side).verdict
            if got is not want:
                wrong.append(f"{level} {side}: expected {want}, engine says {got}")
    assert not wrong, "\n".join(wrong)


def check_reasons(a: Assessment, expected: Expected, exact: bool) -> None:
    for where, ids in expected.not_met.items():
        level, side = where.split()
        found = not_met_ids(a.candidacy.cell(Level(level), Side(side)))
        if exact:
            assert found == ids, where
        else:
            assert ids <= found, where


# --- the example files themselves ------------------------------------------------------------------------


def test_at_least_ten_examples_and_all_in_the_table() -> None:
    stems = [p.stem for p in example_paths()]
    assert len(stems) >= 10
    assert sorted(stems) == NAMES


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_example_parses_with_id_and_summary(path: Path) -> None:
    rec = parse_record(path.read_text(), "yaml")
    assert rec.id == path.stem
    assert rec.summary and rec.summary.strip()
    assert "\n" not in rec.summary
    assert str(rec.assessment_date) == "2026-11-01"


@pytest.mark.parametrize("name", NAMES)
def test_example_facts_are_complete(name: str) -> None:
    rec = record(name)
    assert rec.patient.age_years is not None and rec.patient.age_years >= 65
    assert rec.patient.sex is not None
    for section in (rec.symptoms, rec.baseline):
        unknown = [k for k, v in section.model_dump().items() if v is None]
        assert not unknown, unknown
    flags = rec.red_flags
    screened = (
        flags.saddle_anaesthesia,
        flags.new_bladder_bowel_dysfunction,
        flags.progressive_motor_deficit,
        flags.bilateral_leg_deficit,
        flags.sexual_dysfunction,
    )
    assert None not in screened
    if any(screened[i] for i in (0, 1, 3, 4)):  # a cauda equina feature: its timing must be known
        assert flags.sacral_onset_days is not None
    assert rec.symptoms.duration_months is not None and rec.symptoms.duration_months >= 3
    assert rec.exam.neurologic_deficit is not None
    assert rec.exam.pedal_pulses.left is not None and rec.exam.pedal_pulses.right is not None
    care = rec.conservative_care
    for value in (care.months, care.physical_therapy, care.home_exercise, care.analgesics, care.esi_count):
        assert value is not None
    if care.esi_count:
        assert care.last_esi_date is not None
        assert (rec.on_date() - care.last_esi_date).days > 8 * 7
    safety = rec.safety
    for value in (
        safety.bleeding_disorder,
        safety.antithrombotics,
        safety.systemic_infection,
        safety.local_infection,
    ):
        assert value is not None
    assert rec.prior_procedures is not None
    assert rec.baseline.odi_percent is not None and rec.baseline.nprs is not None
    assert rec.procedure.epidurogram == []
    if name == "10-imaging-missing":
        assert rec.imaging.modality is None and rec.imaging.levels == []
        return
    assert rec.imaging.modality is not None and rec.imaging.date is not None
    assert 0 <= (rec.on_date() - rec.imaging.date).days <= 365
    reported = {f.level.value for f in rec.imaging.levels}
    assert {"L3-L4", "L4-L5", "L5-S1"} <= reported
    for findings in rec.imaging.levels:
        for key in ("canal_area_mm2", "central_stenosis", "dominant_cause", "meyerding_grade", "slip_mm"):
            assert getattr(findings, key) is not None, f"{findings.level}.{key}"
        assert findings.instability is not None
        assert {s.side for s in findings.sides} == set(Side)
        for side in findings.sides:
            for key in ("lf_thickness_mm", "lf_hypertrophy", "foraminal_stenosis", "lateral_recess_stenosis"):
                assert getattr(side, key) is not None, f"{findings.level} {side.side}.{key}"
            assert side.laminar_shelf is not None


# --- verdicts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_textbook_verdicts(name: str) -> None:
    a = assessed(name)
    check_table(a, TEXTBOOK[name])
    check_reasons(a, TEXTBOOK[name], exact=name in EXACT_NOT_MET)


@pytest.mark.parametrize("name", NAMES)
def test_mild_trial_verdicts(name: str) -> None:
    a = assessed(name, "mild-trial")
    check_table(a, MILD_TRIAL[name])
    check_reasons(a, MILD_TRIAL[name], exact=name in EXACT_NOT_MET)


@pytest.mark.parametrize("name", ["01-bilateral-l45-candidate", "07-apixaban-can-be-held"])
def test_mild_trial_candidates_at_l45(name: str) -> None:
    a = assessed(name, "mild-trial")
    for side in Side:
        assert a.candidacy.cell(Level.L4_L5, side).verdict is C


def test_cms_coverage_with_enrolment_recorded() -> None:
    # 01 records Medicare and CED-study enrolment: coverage criteria met, so candidate as under the trial.
    a = assessed("01-bilateral-l45-candidate", "cms-ncd-150.13")
    check_table(a, TEXTBOOK["01-bilateral-l45-candidate"])
    a7 = assessed("07-apixaban-can-be-held", "cms-ncd-150.13")
    check_table(a7, TEXTBOOK["07-apixaban-can-be-held"])


def test_cms_coverage_unknown_leaves_the_clinical_candidates_undetermined() -> None:
    # 03 is clinically a two-level candidate but records no coverage facts.
    a = assessed("03-two-level-l34-l45-candidate", "cms-ncd-150.13")
    expected = Expected({"L2-L3": (N, N), "L3-L4": (U, U), "L4-L5": (U, U), "L5-S1": (N, N)})
    check_table(a, expected)
    missing = a.candidacy.cell(Level.L4_L5, Side.LEFT).missing_facts
    assert "coverage.medicare_beneficiary" in missing
    assert "coverage.ced_study_enrolled" in missing


# --- red flags, differential, pathway, conditions, missing facts ------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_red_flags_and_differential(name: str) -> None:
    a = assessed(name)
    if name == "09-cauda-equina-red-flags":
        assert {f.id for f in a.red_flags_present} == {"saddle_anaesthesia", "new_bladder_bowel_dysfunction"}
    else:
        assert a.red_flags_present == []
    expected = Pattern.VASCULAR if name == "06-vascular-claudication-low-abi" else Pattern.NEUROGENIC
    assert a.differential.pattern is expected


MILD_CELLS = {
    "01-bilateral-l45-candidate": {"L4-L5 left", "L4-L5 right"},
    "02-unilateral-left-l45-candidate": {"L4-L5 left"},
    "03-two-level-l34-l45-candidate": {"L3-L4 left", "L3-L4 right", "L4-L5 left", "L4-L5 right"},
    "07-apixaban-can-be-held": {"L4-L5 left", "L4-L5 right"},
    "11-severe-foraminal-right-l45": {"L4-L5 left"},
    "12-prior-fusion-l45-adjacent-l34": {"L3-L4 left", "L3-L4 right"},
    "13-no-laminar-shelf-left-l45": {"L4-L5 right"},
}


@pytest.mark.parametrize("name", sorted(MILD_CELLS))
def test_pathway_recommends_mild_at_candidate_cells(name: str) -> None:
    a = assessed(name)
    assert step_levels(a, PathwayStep.MILD) == MILD_CELLS[name]
    assert PathwayStep.URGENT_SURGICAL_EVALUATION not in steps(a)
    assert PathwayStep.VASCULAR_WORKUP not in steps(a)


@pytest.mark.parametrize(
    "name",
    [
        "04-grade2-spondylolisthesis-l45",
        "05-dynamic-instability-l45",
        "06-vascular-claudication-low-abi",
        "08-clopidogrel-cannot-be-held",
        "09-cauda-equina-red-flags",
    ],
)
def test_pathway_does_not_offer_mild_when_no_cell_qualifies(name: str) -> None:
    assert PathwayStep.MILD not in steps(assessed(name))


@pytest.mark.parametrize("name", ["04-grade2-spondylolisthesis-l45", "05-dynamic-instability-l45"])
def test_slip_or_instability_routes_to_fusion(name: str) -> None:
    a = assessed(name)
    assert step_levels(a, PathwayStep.DECOMPRESSION_WITH_FUSION) == {"L4-L5 left", "L4-L5 right"}


def test_vascular_pattern_routes_to_vascular_workup() -> None:
    a = assessed("06-vascular-claudication-low-abi")
    assert PathwayStep.VASCULAR_WORKUP in steps(a)
    bands = {leg.side: leg.band for leg in a.differential.legs}
    assert all(band is not None and band.value == "abnormal" for band in bands.values())


def test_cauda_equina_first_step_is_urgent_evaluation() -> None:
    a = assessed("09-cauda-equina-red-flags")
    assert a.pathway[0].step is PathwayStep.URGENT_SURGICAL_EVALUATION
    assert a.red_flags[0].id in {"saddle_anaesthesia", "new_bladder_bowel_dysfunction"}


def test_severe_foraminal_side_routes_to_open_decompression() -> None:
    a = assessed("11-severe-foraminal-right-l45")
    assert "L4-L5 right" in step_levels(a, PathwayStep.OPEN_DECOMPRESSION)


def test_apixaban_hold_is_a_condition_naming_the_agent() -> None:
    a = assessed("07-apixaban-can-be-held")
    for side in Side:
        conditions = a.candidacy.cell(Level.L4_L5, side).conditions
        assert conditions, side
        assert any("apixaban" in c.action.lower() for c in conditions)
    # Same under the trial rule set, which inherits the textbook safety criteria.
    trial = assessed("07-apixaban-can-be-held", "mild-trial")
    assert any(
        "apixaban" in c.action.lower() for c in trial.candidacy.cell(Level.L4_L5, Side.LEFT).conditions
    )


def test_no_conditions_without_antithrombotics() -> None:
    a = assessed("01-bilateral-l45-candidate")
    assert all(a.candidacy.cell(Level.L4_L5, side).conditions == [] for side in Side)


def test_missing_imaging_is_named_for_every_level() -> None:
    a = assessed("10-imaging-missing")
    missing = a.missing_facts()
    for level in Level:
        assert any(m.startswith(f"imaging.levels[{level}]") for m in missing), level
    # Nothing outside imaging is missing: the rest of the record is complete.
    assert all(m.startswith("imaging.") for m in missing), missing
    trial = assessed("10-imaging-missing", "mild-trial").missing_facts()
    assert "imaging.modality" in trial
    assert "imaging.date" in trial
