"""A seeded synthetic clinic population, written straight into the columnar projection as Parquet.

For benchmarks and parity runs at scale: a million patients are drawn column by column with numpy (no
pydantic record per patient) and written in chunks, one Parquet row group per table per chunk, so memory
stays constant whatever N is. Every row is still a valid record (``record_from_rows`` accepts it): the
draws respect the model's bounds and its cross-field checks (unique levels, sides and agents; a Meyerding
grade that matches the slip percent; onsets the shared onset does not contradict; no injection date or
response beside an injection count of 0; no date after the assessment).

The distributions are clinic-like, not epidemiology: ages 50-90, imaged levels mostly L4-L5 and L3-L4 and
mostly stenotic, each imaging fact missing for 30-60 % of levels (its own rate, drawn from the seed),
some readings that contradict each other (a 70 mm2 canal graded "mild", a translation of 5 mm reported
stable, a thick ligamentum flavum reported not hypertrophied), about 30 % on an antithrombotic, and the
pre-procedure checks (laminar shelf, infection, bleeding disorder) mostly unrecorded.

Same seed, same N and same chunk size give byte-identical files: chunk ``i`` draws from its own stream
(seed, i), so a chunk never depends on how much was drawn before it.

    python -m lss_pathway.screening.synthetic 1000000 --out DIR --seed 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lss_pathway.domain.anatomy import Level
from lss_pathway.domain.drugs import antithrombotic_agents
from lss_pathway.screening.columns import arrow_schemas

AS_OF = dt.date(2026, 11, 1)
CHUNK = 100_000
THOROUGH = 0.25
_EPOCH = dt.date(1970, 1, 1)

Rng = np.random.Generator
Array = np.ndarray[Any, Any]
Columns = dict[str, pa.Array]

# Imaged levels per patient: (levels, weight). Mostly L4-L5, often with L3-L4; a few not imaged at all.
_LEVEL_SETS: tuple[tuple[tuple[str, ...], float], ...] = (
    ((), 0.08),
    (("L4-L5",), 0.34),
    (("L3-L4",), 0.08),
    (("L3-L4", "L4-L5"), 0.24),
    (("L4-L5", "L5-S1"), 0.08),
    (("L2-L3", "L3-L4", "L4-L5"), 0.08),
    (("L5-S1",), 0.03),
    (("L1-L2", "L2-L3"), 0.02),
    (("L3-L4", "L4-L5", "L5-S1"), 0.05),
)
_SIDE_SETS: tuple[tuple[tuple[str, ...], float], ...] = (
    ((), 0.15),
    (("left", "right"), 0.6),
    (("left",), 0.1),
    (("right",), 0.1),
    (("right", "left"), 0.05),
)
_GRADES = ("none", "mild", "moderate", "severe")
_PROCEDURES = ("laminectomy", "laminotomy", "fusion", "interspinous_spacer", "mild", "discectomy", "other")
# Common agents first; the rest of the vocabulary shares the remaining weight.
_COMMON_AGENTS = {"aspirin": 0.3, "aspirin_primary": 0.1, "clopidogrel": 0.15, "apixaban": 0.15,
                  "rivaroxaban": 0.08, "warfarin": 0.07, "ibuprofen": 0.05}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Written:
    """What a run wrote: rows per table, bytes on disk, and seconds taken."""

    patients: int
    rows: dict[str, int]
    bytes: int
    seconds: float


# --- column draws ------------------------------------------------------------------------------------------


def _missing(rng: Rng, n: int, rate: float | Array) -> Array:
    return rng.random(n) < rate


def _bool(rng: Rng, n: int, p_true: float, missing: float | Array) -> pa.Array:
    return pa.array(rng.random(n) < p_true, pa.bool_(), mask=_missing(rng, n, missing))


def _code(
    rng: Rng, n: int, values: Sequence[str], weights: Sequence[float], missing: float | Array
) -> pa.Array:
    p = np.asarray(weights, dtype=float)
    picked = np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p / p.sum())]
    return pa.array(picked, pa.string(), mask=_missing(rng, n, missing))


def _float(values: Array, lo: float, hi: float, mask: Array, digits: int = 1) -> pa.Array:
    return pa.array(np.round(np.clip(values, lo, hi), digits), pa.float64(), mask=mask)


def _int(values: Array, mask: Array) -> pa.Array:
    return pa.array(values.astype(np.int32), pa.int32(), mask=mask)


def _days_before(rng: Rng, n: int, as_of: dt.date, lo: int, hi: int, missing: float | Array) -> pa.Array:
    """Dates ``lo``-``hi`` days before ``as_of`` (never after it)."""
    days = (as_of - _EPOCH).days - rng.integers(lo, hi + 1, n)
    return pa.array(days.astype(np.int32), pa.date32(), mask=_missing(rng, n, missing))


def _patients(
    rng: Rng, keys: Array, as_of: dt.date, has_drugs: Array, has_procs: Array, doc: Array
) -> Columns:
    """``doc`` scales each patient's missing rates (a thorough work-up leaves fewer facts unknown)."""
    n = len(keys)
    age = np.clip(np.round(rng.normal(71, 8, n)), 50, 90)
    by_birth = rng.random(n) < 0.1  # age from the birth date only
    no_age = rng.random(n) < 0.02
    birth_days = (as_of - _EPOCH).days - (age * 365.25 + rng.integers(0, 300, n)).astype(np.int64)
    pulses = ("palpable", "diminished", "absent")
    abi = rng.normal(1.05, 0.15, n)
    low_abi = rng.random(n) < 0.12
    abi_l = np.where(low_abi, rng.uniform(0.5, 0.9, n), abi)
    abi_r = np.where(low_abi & (rng.random(n) < 0.7), rng.uniform(0.5, 0.9, n), abi + rng.normal(0, 0.05, n))
    abi_missing = _missing(rng, n, 0.6 * doc)
    ces = rng.random(n) < 0.04  # a cauda equina-type feature present
    saddle = np.where(ces, rng.random(n) < 0.5, False)
    bladder = np.where(ces, rng.random(n) < 0.5, False)
    shared = rng.random(n) < 0.05  # only the shared onset is recorded
    cols: Columns = {
        "patient_key": pa.array(keys, pa.int64()),
        "assessment_date": pa.array(np.full(n, (as_of - _EPOCH).days, np.int32), pa.date32()),
        "patient_age_years": _int(age, by_birth | no_age),
        "patient_birth_date": pa.array(birth_days.astype(np.int32), pa.date32(), mask=~by_birth | no_age),
        "patient_sex": _code(rng, n, ("female", "male", "other"), (0.52, 0.47, 0.01), 0.02 * doc),
        "symptoms_leg_symptoms": _bool(rng, n, 0.9, 0.1 * doc),
        "symptoms_bilateral": _bool(rng, n, 0.55, 0.3 * doc),
        "symptoms_leg_pain_exceeds_back_pain": _bool(rng, n, 0.6, 0.4 * doc),
        "symptoms_provoked_by_walking": _bool(rng, n, 0.85, 0.15 * doc),
        "symptoms_provoked_by_standing": _bool(rng, n, 0.6, 0.4 * doc),
        "symptoms_relieved_by_sitting": _bool(rng, n, 0.8, 0.2 * doc),
        "symptoms_relieved_by_flexion": _bool(rng, n, 0.7, 0.4 * doc),
        "symptoms_tolerates_cycling": _bool(rng, n, 0.6, 0.7 * doc),
        "symptoms_relieved_by_standing_still": _bool(rng, n, 0.15, 0.6 * doc),
        "symptoms_calf_predominant": _bool(rng, n, 0.2, 0.6 * doc),
        "symptoms_above_knee": _bool(rng, n, 0.7, 0.5 * doc),
        "symptoms_low_back_pain": _bool(rng, n, 0.75, 0.3 * doc),
        "symptoms_walking_motor_sensory_disturbance": _bool(rng, n, 0.4, 0.6 * doc),
        "symptoms_leg_weakness": _bool(rng, n, 0.3, 0.5 * doc),
        "symptoms_duration_months": _float(rng.gamma(2.0, 12.0, n), 0, 600, _missing(rng, n, 0.3 * doc)),
        "symptoms_walking_tolerance_m": _float(
            rng.lognormal(5.5, 1.0, n), 0, 100_000, _missing(rng, n, 0.5 * doc), 0
        ),
        "red_flags_saddle_anaesthesia": pa.array(saddle, pa.bool_(), mask=_missing(rng, n, 0.15 * doc)),
        "red_flags_new_bladder_bowel_dysfunction": pa.array(
            bladder, pa.bool_(), mask=_missing(rng, n, 0.15 * doc)
        ),
        "red_flags_progressive_motor_deficit": _bool(rng, n, 0.02, 0.15 * doc),
        "red_flags_bilateral_leg_deficit": _bool(rng, n, 0.05, 0.5 * doc),
        "red_flags_sexual_dysfunction": _bool(rng, n, 0.1, 0.6 * doc),
        "red_flags_sacral_onset_days": _int(rng.integers(0, 2000, n), ~(ces & shared)),
        "red_flags_saddle_anaesthesia_onset_days": _int(rng.integers(0, 2000, n), ~(saddle & ~shared)),
        "red_flags_bladder_bowel_onset_days": _int(rng.integers(0, 2000, n), ~(bladder & ~shared)),
        # An own onset is never recorded beside the shared one, which it could contradict.
        "red_flags_bilateral_leg_deficit_onset_days": _int(
            rng.integers(0, 3000, n), _missing(rng, n, 0.97 * doc) | shared
        ),
        "red_flags_sexual_dysfunction_onset_days": _int(
            rng.integers(0, 3000, n), _missing(rng, n, 0.95 * doc) | shared
        ),
        "red_flags_sacral_symptoms_walking_only": pa.array(rng.random(n) < 0.7, pa.bool_(), mask=~ces),
        "red_flags_post_void_residual_ml": _float(
            rng.gamma(2, 60, n), 0, 3000, ~ces | _missing(rng, n, 0.4 * doc), 0
        ),
        "red_flags_specialist_review_cleared": _bool(rng, n, 0.7, 0.9 * doc),
        "exam_neurologic_deficit": _code(rng, n, _GRADES, (0.55, 0.3, 0.12, 0.03), 0.25 * doc),
        "exam_pedal_pulses_left": _code(rng, n, pulses, (0.8, 0.15, 0.05), 0.2 * doc),
        "exam_pedal_pulses_right": _code(rng, n, pulses, (0.8, 0.15, 0.05), 0.2 * doc),
        "exam_abi_left": _float(abi_l, 0.3, 2.5, abi_missing, 2),
        "exam_abi_right": _float(abi_r, 0.3, 2.5, abi_missing | _missing(rng, n, 0.05 * doc), 2),
        "exam_tbi_left": _float(rng.normal(0.8, 0.12, n), 0.2, 1.5, _missing(rng, n, 0.9 * doc), 2),
        "exam_tbi_right": _float(rng.normal(0.8, 0.12, n), 0.2, 1.5, _missing(rng, n, 0.9 * doc), 2),
        "exam_wide_based_gait": _bool(rng, n, 0.1, 0.7 * doc),
        "exam_abnormal_romberg": _bool(rng, n, 0.15, 0.7 * doc),
        "exam_exercise_abi_normal": _bool(rng, n, 0.8, 0.9 * doc),
        "exam_vascular_cause_excluded": _bool(rng, n, 0.85, 0.85 * doc),
        "conservative_care_months": _float(rng.gamma(2.0, 4.0, n), 0, 600, _missing(rng, n, 0.3 * doc)),
        "conservative_care_physical_therapy": _bool(rng, n, 0.75, 0.25 * doc),
        "conservative_care_home_exercise": _bool(rng, n, 0.65, 0.35 * doc),
        "conservative_care_analgesics": _bool(rng, n, 0.85, 0.2 * doc),
        "conservative_care_esi_count": _int(
            esi := rng.poisson(1.0, n), esi_gone := _missing(rng, n, 0.3 * doc)
        ),
        # A count of 0 never has an injection's date or response beside it (the record refuses that).
        "conservative_care_last_esi_date": _days_before(
            rng, n, as_of, 7, 900, np.where(no_esi := (esi == 0) & ~esi_gone, 1.0, 0.6 * doc)
        ),
        "conservative_care_esi_response": _code(
            rng,
            n,
            ("none", "partial", "good"),
            (0.4, 0.4, 0.2),
            np.where(no_esi, 1.0, 0.65 * doc),
        ),
        "safety_bleeding_disorder": _bool(rng, n, 0.02, 0.6 * doc),
        "safety_systemic_infection": _bool(rng, n, 0.01, 0.7 * doc),
        "safety_local_infection": _bool(rng, n, 0.01, 0.7 * doc),
        "safety_antithrombotics_recorded": pa.array(has_drugs, pa.bool_()),
        "prior_procedures_recorded": pa.array(has_procs, pa.bool_()),
        "imaging_modality": _code(rng, n, ("MRI", "CT", "CT_myelogram"), (0.85, 0.12, 0.03), 0.05 * doc),
        "imaging_date": _days_before(rng, n, as_of, 0, 1100, 0.1 * doc),
        "baseline_odi_percent": _float(rng.normal(40, 15, n), 0, 100, _missing(rng, n, 0.6 * doc), 0),
        "baseline_nprs": _float(rng.normal(6, 2, n), 0, 10, _missing(rng, n, 0.5 * doc), 0),
        "coverage_medicare_beneficiary": _bool(rng, n, 0.75, 0.3 * doc),
        "coverage_ced_study_enrolled": _bool(rng, n, 0.05, 0.8 * doc),
    }
    return cols


def _explode(
    rng: Rng, keys: Array, sets: tuple[tuple[tuple[str, ...], float], ...]
) -> tuple[Array, Array, Array]:
    """For each key a set of values drawn from ``sets``: (row's owner index, value, position in the set)."""
    weights = np.array([w for _, w in sets])
    chosen = rng.choice(len(sets), len(keys), p=weights / weights.sum())
    sizes = np.array([len(s) for s, _ in sets])[chosen]
    owner = np.repeat(np.arange(len(keys)), sizes)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    flat = np.array([v for s, _ in sets for v in s] or [""], dtype=object)
    starts = np.cumsum([0] + [len(s) for s, _ in sets])[:-1]
    value = flat[starts[chosen][owner] + position] if len(owner) else np.array([], dtype=object)
    return owner, value, position


def _levels(rng: Rng, keys: Array, rates: dict[str, float], doc: Array) -> tuple[Columns, Array, Array]:
    owner, level, position = _explode(rng, keys, _LEVEL_SETS)
    n = len(owner)
    doc = doc[owner]
    low = np.isin(level, ("L3-L4", "L4-L5"))
    area = np.where(low, rng.lognormal(np.log(75), 0.35, n), rng.lognormal(np.log(120), 0.3, n))
    grade = np.select([area < 55, area < 80, area < 110], [3, 2, 1], 0)
    contradict = rng.random(n) < 0.04
    grade = np.where(contradict, (grade + 2) % 4, grade)  # e.g. a 70 mm2 canal graded "mild"
    schizas = np.asarray(["A", "B", "C", "D"], dtype=object)[np.clip(grade + rng.integers(-1, 1, n), 0, 3)]
    meyerding = rng.choice(4, n, p=(0.72, 0.2, 0.06, 0.02))
    percent_lo = np.array([0.0, 0.1, 25.1, 50.1])[meyerding]
    percent_hi = np.array([0.0, 25.0, 50.0, 75.0])[meyerding]
    percent = np.round(rng.uniform(percent_lo, percent_hi), 1)
    translation = np.round(rng.gamma(1.5, 1.2, n), 1)
    unstable = translation >= 4
    unstable = np.where(rng.random(n) < 0.03, ~unstable, unstable)  # a 5 mm translation reported stable
    m = {name: _missing(rng, n, rate * doc) for name, rate in rates.items()}
    cols: Columns = {
        "patient_key": pa.array(keys[owner], pa.int64()),
        "position": pa.array(position.astype(np.int32), pa.int32()),
        "level": pa.array(level, pa.string()),
        "canal_area_mm2": _float(area, 5, 400, m["canal_area_mm2"]),
        "ap_diameter_mm": _float(rng.normal(11.5, 2.5, n), 3, 40, m["ap_diameter_mm"]),
        "central_stenosis": pa.array(
            np.asarray(_GRADES, dtype=object)[grade], pa.string(), mask=m["central_stenosis"]
        ),
        "schizas": pa.array(schizas, pa.string(), mask=m["schizas"]),
        "dominant_cause": _code(
            rng,
            n,
            ("lf_hypertrophy", "disc", "facet", "osteophyte", "mixed"),
            (0.45, 0.15, 0.1, 0.05, 0.25),
            rates["dominant_cause"] * doc,
        ),
        "meyerding_grade": _int(meyerding, m["meyerding_grade"]),
        "slip_mm": _float(percent * 0.4, 0, 60, m["slip_mm"]),
        "slip_percent": _float(percent, 0, 150, m["slip_percent"]),
        "instability": pa.array(unstable, pa.bool_(), mask=m["instability"]),
        "translation_mm": _float(translation, 0, 30, m["translation_mm"]),
        "angulation_deg": _float(rng.gamma(3, 3, n), 0, 45, m["angulation_deg"]),
    }
    return cols, owner, level


def _sides(rng: Rng, keys: Array, levels: Array, rates: dict[str, float], doc: Array) -> Columns:
    owner, side, position = _explode(rng, keys, _SIDE_SETS)
    n = len(owner)
    doc = doc[owner]
    thickness = rng.normal(4.8, 1.3, n)
    flag = thickness > 4.0
    flag = np.where(rng.random(n) < 0.04, ~flag, flag)  # a thick ligament reported not hypertrophied
    m = {name: _missing(rng, n, rate * doc) for name, rate in rates.items()}
    return {
        "patient_key": pa.array(keys[owner], pa.int64()),
        "level": pa.array(levels[owner], pa.string()),
        "position": pa.array(position.astype(np.int32), pa.int32()),
        "side": pa.array(side, pa.string()),
        "lf_thickness_mm": _float(thickness, 1.0, 15, m["lf_thickness_mm"]),
        "lf_hypertrophy": pa.array(flag, pa.bool_(), mask=m["lf_hypertrophy"]),
        "foraminal_stenosis": _code(rng, n, _GRADES, (0.4, 0.3, 0.2, 0.1), rates["foraminal_stenosis"] * doc),
        "lateral_recess_stenosis": _code(
            rng, n, _GRADES, (0.4, 0.3, 0.2, 0.1), rates["lateral_recess_stenosis"] * doc
        ),
        "laminar_shelf": _bool(rng, n, 0.9, np.minimum(max(rates["laminar_shelf"], 0.7) * doc, 0.95)),
    }


def _group_position(owner: Array) -> Array:
    """0, 1, ... within each run of equal (sorted) owners."""
    if len(owner) == 0:
        return owner
    starts = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    sizes = np.diff(np.r_[starts, len(owner)])
    position: Array = np.arange(len(owner)) - np.repeat(starts, sizes)
    return position


def _antithrombotics(rng: Rng, keys: Array, recorded: Array) -> Columns:
    agents = list(antithrombotic_agents())
    weights = np.array([_COMMON_AGENTS.get(a, 0.1 / len(agents)) for a in agents])
    count = np.where(recorded & (rng.random(len(keys)) < 0.37), 1 + (rng.random(len(keys)) < 0.15), 0)
    owner = np.repeat(np.arange(len(keys)), count)
    position = _group_position(owner)
    first = rng.choice(len(agents), len(owner), p=weights / weights.sum())
    # A second agent is a different one than the patient's first: the model refuses an agent listed twice.
    shift = rng.integers(1, len(agents), len(owner))
    first_of_owner = first[np.flatnonzero(position == 0)[np.cumsum(position == 0) - 1]]
    pick = np.where(position == 0, first, (first_of_owner + shift) % len(agents))
    agent = np.asarray(agents, dtype=object)[pick]
    n = len(owner)
    other = agent == "other_antithrombotic"
    return {
        "patient_key": pa.array(keys[owner], pa.int64()),
        "position": pa.array(position.astype(np.int32), pa.int32()),
        "agent": pa.array(agent, pa.string()),
        "name": pa.array(np.full(n, "unlisted agent", dtype=object), pa.string(), mask=~other),
        "can_be_held": _bool(rng, n, 0.75, 0.45),
        "days_held": _float(rng.integers(0, 10, n).astype(float), 0, 365, _missing(rng, n, 0.85)),
    }


def _prior_procedures(rng: Rng, keys: Array, recorded: Array, as_of: dt.date) -> Columns:
    count = np.where(recorded & (rng.random(len(keys)) < 0.15), 1 + (rng.random(len(keys)) < 0.1), 0)
    owner = np.repeat(np.arange(len(keys)), count)
    n = len(owner)
    level_names = np.asarray([lv.value for lv in Level], dtype=object)
    at = level_names[rng.choice(len(level_names), n, p=(0.02, 0.08, 0.3, 0.5, 0.1))]
    levels = pa.array([[lv] for lv in at], pa.list_(pa.string()), mask=_missing(rng, n, 0.2))
    return {
        "patient_key": pa.array(keys[owner], pa.int64()),
        "position": pa.array(_group_position(owner).astype(np.int32), pa.int32()),
        "type": _code(rng, n, _PROCEDURES, (0.2, 0.15, 0.15, 0.1, 0.1, 0.2, 0.1), 0.0),
        "levels": levels,
        "date": _days_before(rng, n, as_of, 30, 9000, 0.3),
    }


def _epidurogram(rng: Rng, keys: Array, level_owner: Array, levels: Array) -> Columns:
    """Cells exist only once a procedure started: a few patients, both sides of each imaged level."""
    started = rng.random(len(keys)) < 0.03
    rows = np.flatnonzero(started[level_owner])
    owner = np.repeat(level_owner[rows], 2)
    n = len(owner)
    return {
        "patient_key": pa.array(keys[owner], pa.int64()),
        "position": pa.array(_group_position(owner).astype(np.int32), pa.int32()),
        "level": pa.array(np.repeat(levels[rows], 2), pa.string()),
        "side": pa.array(np.tile(np.asarray(["left", "right"], dtype=object), len(rows)), pa.string()),
        "appreciated": _bool(rng, n, 0.9, 0.2),
    }


def _imaging_rates(seed: int) -> dict[str, float]:
    """Each imaging fact's own missing rate, 30-60 %, fixed by the seed for the whole population."""
    facts = ("canal_area_mm2", "ap_diameter_mm", "central_stenosis", "schizas", "dominant_cause",
             "meyerding_grade", "slip_mm", "slip_percent", "instability", "translation_mm", "angulation_deg",
             "lf_thickness_mm", "lf_hypertrophy", "foraminal_stenosis", "lateral_recess_stenosis",
             "laminar_shelf")  # fmt: skip
    rng = np.random.default_rng([seed, 2**31])
    return {fact: float(rate) for fact, rate in zip(facts, rng.uniform(0.3, 0.6, len(facts)), strict=True)}


def chunk(seed: int, index: int, first_key: int, size: int, as_of: dt.date = AS_OF) -> dict[str, pa.Table]:
    """Patients ``first_key`` .. ``first_key + size - 1``: one Arrow table per table of the projection."""
    rng = np.random.default_rng([seed, index])
    rates = _imaging_rates(seed)
    keys = np.arange(first_key, first_key + size, dtype=np.int64)
    has_drugs = rng.random(size) < 0.8
    has_procs = rng.random(size) < 0.75
    # A quarter of the clinic has a thorough work-up (a fifth of the usual gaps); the rest has more gaps, so
    # that each fact's missing rate over the population stays the one drawn for it.
    thorough = rng.random(size) < THOROUGH
    doc = np.where(thorough, 0.2, (1 - THOROUGH * 0.2) / (1 - THOROUGH))
    level_cols, level_owner, level_names = _levels(rng, keys, rates, doc)
    side_rows = level_cols["patient_key"].to_numpy()
    built: dict[str, Columns] = {
        "patients": _patients(rng, keys, as_of, has_drugs, has_procs, doc),
        "levels": level_cols,
        "level_sides": _sides(rng, side_rows, level_names, rates, doc[level_owner]),
        "antithrombotics": _antithrombotics(rng, keys, has_drugs),
        "prior_procedures": _prior_procedures(rng, keys, has_procs, as_of),
        "epidurogram": _epidurogram(rng, keys, level_owner, level_names),
    }
    out: dict[str, pa.Table] = {}
    for name, schema in arrow_schemas().items():
        stray = set(built[name]) - set(schema.names)
        if stray:
            raise KeyError(f"{name} has no column {sorted(stray)}")
        rows = len(built[name]["patient_key"])
        arrays = [built[name].get(f.name, pa.nulls(rows, f.type)) for f in schema]
        out[name] = pa.Table.from_arrays(arrays, schema=schema)
    return out


def generate(
    n: int, out: Path, seed: int = 1, *, chunk_size: int = CHUNK, as_of: dt.date = AS_OF,
    progress: Callable[[int], None] | None = None,
) -> Written:  # fmt: skip
    """Write ``n`` patients as ``<out>/<table>.parquet`` (zstd), one row group per table per chunk."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    schemas = arrow_schemas()
    writers = {
        name: pq.ParquetWriter(out / f"{name}.parquet", s, compression="zstd") for name, s in schemas.items()
    }
    rows = dict.fromkeys(schemas, 0)
    try:
        for index, first in enumerate(range(0, n, chunk_size)):
            for name, table in chunk(seed, index, first, min(chunk_size, n - first), as_of).items():
                writers[name].write_table(table)
                rows[name] += table.num_rows
            if progress is not None:
                progress(min(first + chunk_size, n))
    finally:
        for writer in writers.values():
            writer.close()
    size = sum((out / f"{name}.parquet").stat().st_size for name in schemas)
    return Written(n, rows, size, time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a seeded synthetic population as Parquet tables.")
    parser.add_argument("n", type=int, help="number of patients")
    parser.add_argument("--out", type=Path, required=True, help="folder for <table>.parquet")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=CHUNK, help="patients per row group")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF, help="assessment date")
    args = parser.parse_args(argv)
    written = generate(args.n, args.out, args.seed, chunk_size=args.chunk, as_of=args.as_of)
    print(
        f"{written.patients} patients in {written.seconds:.1f} s, {written.bytes / 1e6:.1f} MB: "
        + ", ".join(f"{name} {count}" for name, count in written.rows.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
