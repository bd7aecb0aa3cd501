"""Benchmark floor for population screening: the textbook@1.1.0 candidacy criteria as hand-written DuckDB SQL.

This is what a data engineer would write without the rule-set compiler (issue 11): one query over the
Parquet tables of the columnar projection (``domain.schema``) giving every patient x level x side cell a
verdict. The compiled screen is later measured against it. Two checks in one run:

1. Parity with the per-patient engine (``lss_pathway.assess.assess``) on a seeded sample of patients: per
   cell and per criterion, the value (met / not met / unknown) and whether it holds the cell back, then the
   verdict. The as-of date is each record's ``assessment_date`` (the generator fixes it).
2. Timings on the whole population (default 1M patients, median of 3, 2 threads): the hand SQL beside two
   floors measured in the same run: ``count(*)`` over the six tables (Parquet metadata only) and a scan
   that reads every column the criteria read.

The verdict rule is the engine's (``criteria.candidacy.verdict``): NULL is unknown and SQL's AND / OR / NOT
are Kleene's logic. A cell is not a candidate when a blocking criterion is false; else undetermined when a
criterion holds it back (unknown and required, contradicting readings, or a confirmation that something
recorded speaks against); else a candidate. "Speaks against" (``Node.contested``) is: some sub-expression
of the test is false, at any depth, outside the parts that are met. ``conservative_care_tried`` never blocks and never holds a cell back
(it only adds a condition), so it is computed for the parity count but does not enter the verdict.

    python benchmarks/screen_hand_sql.py                      # 1M patients, 5k parity sample
    python benchmarks/screen_hand_sql.py --patients 20000 --sample 2000 --runs 3
"""

# ruff: noqa: E501  (the SQL keeps each criterion's clause on its own lines, wider than the Python limit)
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from lss_pathway.assess import assess
from lss_pathway.clinical.cauda_equina import ces_thresholds
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.criteria.facts import Scope
from lss_pathway.domain.drugs import antithrombotic_agents
from lss_pathway.domain.schema import record_from_rows, rows_by_patient, tables
from lss_pathway.rulesets.catalog import load_ruleset
from lss_pathway.screening.synthetic import generate

RULESET = "textbook@1.1.0"

# The rule set's parameters, written into the SQL by hand; checked against the rule set at start-up.
P = {
    "canal_area_relative_mm2": 100.0,
    "canal_ap_relative_mm": 12.0,
    "lf_hypertrophy_mm": 4.0,
    "instability_translation_mm": 4.0,
    "meyerding_max_grade": 1,
    "grade_i_max_slip_percent": 25.0,
    "abi_abnormal_max": 0.90,
    "abi_noncompressible_above": 1.40,
    "tbi_abnormal_max": 0.70,
    "ces_recent_days": 14,
    "min_conservative_care_months": 3.0,
}
CES_DAYS, PVR_ML = 14, 200.0  # clinical/cauda_equina data: GIRFT's window and the post-void residual
OPEN_SURGERY = ("laminectomy", "laminotomy", "fusion", "interspinous_spacer")

# (criterion, blocks): every criterion of the rule set, in its order.
CRITERIA = (
    "neurogenic_claudication", "not_vascular_claudication", "no_abnormal_vascular_index",
    "no_vascular_relief_pattern", "no_cauda_equina_emergency", "long_standing_cauda_equina_features_reviewed",
    "no_new_sexual_dysfunction", "neurologic_readings_agree", "no_severe_neurologic_deficit", "no_infection",
    "no_bleeding_disorder", "antithrombotics_can_be_held", "conservative_care_tried", "central_canal_stenosis",
    "no_instability", "lf_is_a_cause_of_stenosis", "spondylolisthesis_below_grade_2", "slip_readings_agree",
    "no_prior_surgery_at_level", "lf_hypertrophy_on_side", "no_severe_foraminal_or_lateral_stenosis",
    "no_severe_lateral_recess_stenosis", "laminar_shelf_present", "epidurogram_appreciated",
)  # fmt: skip
NOT_BLOCKING = ("conservative_care_tried",)
PATIENT_CRITERIA, LEVEL_CRITERIA = CRITERIA[:13], CRITERIA[13:18]
SIDE_CRITERIA = CRITERIA[18:23]  # the epidurogram is joined per cell

MACROS = """
CREATE OR REPLACE MACRO isfalse(x) AS coalesce(NOT x, false);
"""

# Per patient: the patient-scoped criteria, v_<id> (NULL = unknown) and h_<id> (holds the cell back).
PATIENT_SQL = """
p AS (
  SELECT pt.patient_key,
    symptoms_leg_symptoms = true
      AND (symptoms_provoked_by_walking = true OR symptoms_provoked_by_standing = true)
      AND (symptoms_relieved_by_sitting = true OR symptoms_relieved_by_flexion = true)  AS v_neurogenic_claudication,
    (exam_pedal_pulses_left = 'palpable' OR (exam_abi_left > {abi_abnormal_max} AND exam_abi_left <= {abi_noncompressible_above})
      OR exam_tbi_left > {tbi_abnormal_max} OR exam_vascular_cause_excluded = true)
    AND (exam_pedal_pulses_right = 'palpable' OR (exam_abi_right > {abi_abnormal_max} AND exam_abi_right <= {abi_noncompressible_above})
      OR exam_tbi_right > {tbi_abnormal_max} OR exam_vascular_cause_excluded = true)  AS v_not_vascular_claudication,
    -- confirmation: any(all(abi normal), all(abi non-compressible, tbi normal), work-up) on each leg
    ((exam_abi_left > {abi_abnormal_max} AND exam_abi_left <= {abi_noncompressible_above})
      OR (exam_abi_left > {abi_noncompressible_above} AND exam_tbi_left > {tbi_abnormal_max}) OR exam_vascular_cause_excluded = true)
    AND ((exam_abi_right > {abi_abnormal_max} AND exam_abi_right <= {abi_noncompressible_above})
      OR (exam_abi_right > {abi_noncompressible_above} AND exam_tbi_right > {tbi_abnormal_max}) OR exam_vascular_cause_excluded = true)
      AS v_no_abnormal_vascular_index,
    -- contested: a false part in a leg that is not met (a met leg's unused range says nothing; a measured
    -- ABI always fails one of the two ranges)
    (((exam_abi_left > {abi_abnormal_max} AND exam_abi_left <= {abi_noncompressible_above})
        OR (exam_abi_left > {abi_noncompressible_above} AND exam_tbi_left > {tbi_abnormal_max}) OR exam_vascular_cause_excluded = true) IS NOT TRUE
      AND (exam_abi_left IS NOT NULL OR isfalse(exam_tbi_left > {tbi_abnormal_max}) OR isfalse(exam_vascular_cause_excluded)))
    OR (((exam_abi_right > {abi_abnormal_max} AND exam_abi_right <= {abi_noncompressible_above})
        OR (exam_abi_right > {abi_noncompressible_above} AND exam_tbi_right > {tbi_abnormal_max}) OR exam_vascular_cause_excluded = true) IS NOT TRUE
      AND (exam_abi_right IS NOT NULL OR isfalse(exam_tbi_right > {tbi_abnormal_max}) OR isfalse(exam_vascular_cause_excluded)))
      AS c_no_abnormal_vascular_index,
    symptoms_relieved_by_standing_still = false OR exam_exercise_abi_normal = true OR exam_vascular_cause_excluded = true
      AS v_no_vascular_relief_pattern,
    coalesce(symptoms_relieved_by_standing_still, false) OR isfalse(exam_exercise_abi_normal)
      OR isfalse(exam_vascular_cause_excluded) AS c_no_vascular_relief_pattern,
    NOT ces.emergency AS v_no_cauda_equina_emergency,
    ces.cleared AS v_long_standing_cauda_equina_features_reviewed,
    red_flags_sexual_dysfunction = false OR (red_flags_specialist_review_cleared = true AND ces.sexual_days >= {ces_recent_days})
      AS v_no_new_sexual_dysfunction,
    coalesce(red_flags_sexual_dysfunction, false) OR isfalse(red_flags_specialist_review_cleared)
      OR isfalse(ces.sexual_days >= {ces_recent_days}) AS c_no_new_sexual_dysfunction,
    -- consistent(): never false; contradicting readings are unknown and hold the cell back
    coalesce(red_flags_bilateral_leg_deficit = true AND exam_neurologic_deficit = 'none', false) AS k_neurologic_readings_agree,
    CASE WHEN k_neurologic_readings_agree THEN NULL ELSE true END AS v_neurologic_readings_agree,
    exam_neurologic_deficit IN ('none', 'mild', 'moderate') AS v_no_severe_neurologic_deficit,
    safety_systemic_infection = false AND safety_local_infection = false AS v_no_infection,
    safety_bleeding_disorder = false AS v_no_bleeding_disorder,
    CASE WHEN NOT safety_antithrombotics_recorded THEN NULL WHEN d.any_refused THEN false WHEN d.any_open THEN NULL
      ELSE true END AS v_antithrombotics_can_be_held,
    coalesce(d.any_open, false) AS c_antithrombotics_can_be_held,
    conservative_care_months >= {min_conservative_care_months} AND conservative_care_physical_therapy = true
      AND conservative_care_home_exercise = true AND conservative_care_analgesics = true AS v_conservative_care_tried,
    prior_procedures_recorded, pu.open_levels_unknown
  FROM patients pt
  JOIN ces USING (patient_key)
  LEFT JOIN (
    SELECT patient_key, bool_or(can_be_held = false) AS any_refused, bool_or(can_be_held IS NULL) AS any_open
    FROM antithrombotics GROUP BY patient_key
  ) d USING (patient_key)
  LEFT JOIN (
    SELECT patient_key, bool_or(levels IS NULL) AS open_levels_unknown
    FROM prior_procedures WHERE type IN {open_surgery} GROUP BY patient_key
  ) pu USING (patient_key)
)"""

# Cauda equina: each core feature on its own onset (else the shared one); a normal examination = no deficit.
CES_SQL = """
f AS (
  SELECT patient_key, red_flags_progressive_motor_deficit AS pmd, red_flags_post_void_residual_ml AS pvr,
    red_flags_specialist_review_cleared AS review,
    red_flags_saddle_anaesthesia AS saddle,
    coalesce(red_flags_saddle_anaesthesia_onset_days, red_flags_sacral_onset_days) AS saddle_days,
    red_flags_new_bladder_bowel_dysfunction AS bladder,
    coalesce(red_flags_bladder_bowel_onset_days, red_flags_sacral_onset_days) AS bladder_days,
    coalesce(red_flags_bilateral_leg_deficit, CASE WHEN exam_neurologic_deficit = 'none' THEN false END) AS legs,
    coalesce(red_flags_bilateral_leg_deficit_onset_days, red_flags_sacral_onset_days) AS legs_days,
    coalesce(red_flags_sexual_dysfunction_onset_days, red_flags_sacral_onset_days) AS sexual_days
  FROM patients
),
ces AS (
  SELECT patient_key, sexual_days,
    CASE
      WHEN pmd IS TRUE THEN true
      WHEN (saddle IS TRUE AND (saddle_days IS NULL OR saddle_days < {ces_days}))
        OR (bladder IS TRUE AND (bladder_days IS NULL OR bladder_days < {ces_days}))
        OR (legs IS TRUE AND (legs_days IS NULL OR legs_days < {ces_days})) THEN true
      WHEN ((saddle IS TRUE AND saddle_days >= {ces_days}) OR (bladder IS TRUE AND bladder_days >= {ces_days}))
        AND pvr >= {pvr_ml} THEN true
      WHEN pmd IS NULL OR saddle IS NULL OR bladder IS NULL OR legs IS NULL THEN NULL
      WHEN ((saddle IS TRUE AND saddle_days >= {ces_days}) OR (bladder IS TRUE AND bladder_days >= {ces_days}))
        AND pvr IS NULL THEN NULL
      ELSE false
    END AS emergency,
    CASE
      WHEN saddle IS NULL OR bladder IS NULL OR legs IS NULL THEN NULL
      WHEN NOT saddle AND NOT bladder AND NOT legs THEN true
      ELSE review
    END AS cleared
  FROM f
)"""

GRID_SQL = """
grid AS (
  SELECT patient_key, lv.level, sd.side
  FROM patients
  CROSS JOIN (VALUES ('L1-L2'), ('L2-L3'), ('L3-L4'), ('L4-L5'), ('L5-S1')) lv(level)
  CROSS JOIN (VALUES ('left'), ('right')) sd(side)
),
open_at AS (
  SELECT DISTINCT patient_key, unnest(levels) AS level FROM prior_procedures WHERE type IN {open_surgery}
)"""

# The level criteria over a row ``l`` of levels (NULL columns when the level was not reported).
LEVEL_EXPRS = """
    -- agree(): readings that are recorded must agree; both answers at once = unknown + reconcile
    (l.canal_area_mm2 < {canal_area_relative_mm2}) IS TRUE OR (l.central_stenosis IN ('moderate', 'severe')) IS TRUE
      OR (l.schizas IN ('B', 'C', 'D')) IS TRUE OR (l.ap_diameter_mm < {canal_ap_relative_mm}) IS TRUE AS central_t,
    isfalse(l.canal_area_mm2 < {canal_area_relative_mm2}) OR isfalse(l.central_stenosis IN ('moderate', 'severe'))
      OR isfalse(l.schizas IN ('B', 'C', 'D')) OR isfalse(l.ap_diameter_mm < {canal_ap_relative_mm}) AS central_f,
    CASE WHEN central_t AND central_f THEN NULL WHEN central_t THEN true WHEN central_f THEN false END
      AS v_central_canal_stenosis,
    central_t AND central_f AS k_central_canal_stenosis,
    (l.instability = false) IS TRUE OR (l.translation_mm < {instability_translation_mm}) IS TRUE AS inst_t,
    isfalse(l.instability = false) OR isfalse(l.translation_mm < {instability_translation_mm}) AS inst_f,
    CASE WHEN inst_t AND inst_f THEN NULL WHEN inst_t THEN true WHEN inst_f THEN false END AS v_no_instability,
    inst_t AND inst_f AS k_no_instability,
    l.dominant_cause IN ('lf_hypertrophy', 'mixed') AS v_lf_is_a_cause_of_stenosis,
    (l.meyerding_grade <= {meyerding_max_grade}) IS TRUE OR (l.slip_percent <= {grade_i_max_slip_percent}) IS TRUE AS slip_t,
    isfalse(l.meyerding_grade <= {meyerding_max_grade}) OR isfalse(l.slip_percent <= {grade_i_max_slip_percent}) AS slip_f,
    CASE WHEN slip_t AND slip_f THEN NULL WHEN slip_t THEN true WHEN slip_f THEN false END
      AS v_spondylolisthesis_below_grade_2,
    slip_t AND slip_f AS k_spondylolisthesis_below_grade_2,
    ((l.meyerding_grade = 0) IS TRUE OR (l.slip_mm = 0) IS TRUE OR (l.slip_percent = 0) IS TRUE)
      AND (isfalse(l.meyerding_grade = 0) OR isfalse(l.slip_mm = 0) OR isfalse(l.slip_percent = 0))
      AS k_slip_readings_agree,
    CASE WHEN k_slip_readings_agree THEN NULL ELSE true END AS v_slip_readings_agree"""

# The side criteria over a row ``s`` of level_sides, with the patient ``p`` and ``o`` (open surgery here).
SIDE_EXPRS = """
    CASE WHEN NOT p.prior_procedures_recorded THEN NULL WHEN o.level IS NOT NULL THEN true
      WHEN p.open_levels_unknown THEN NULL ELSE false END AS prior_open_surgery,
    prior_open_surgery = false OR s.laminar_shelf = true AS v_no_prior_surgery_at_level,
    coalesce(prior_open_surgery, false) OR isfalse(s.laminar_shelf) AS c_no_prior_surgery_at_level,
    (s.lf_hypertrophy = true) IS TRUE OR (s.lf_thickness_mm > {lf_hypertrophy_mm}) IS TRUE AS lf_t,
    isfalse(s.lf_hypertrophy = true) OR isfalse(s.lf_thickness_mm > {lf_hypertrophy_mm}) AS lf_f,
    CASE WHEN lf_t AND lf_f THEN NULL WHEN lf_t THEN true WHEN lf_f THEN false END AS v_lf_hypertrophy_on_side,
    lf_t AND lf_f AS k_lf_hypertrophy_on_side,
    NOT (s.foraminal_stenosis = 'severe') AS v_no_severe_foraminal_or_lateral_stenosis,
    NOT (s.lateral_recess_stenosis = 'severe') AS v_no_severe_lateral_recess_stenosis,
    s.laminar_shelf = true AS v_laminar_shelf_present"""

# Every cell with every criterion: the faithful form, for the per-criterion parity count.
CELLS_SQL = """
cells AS (
  SELECT g.level, g.side, p.*,{level_exprs},{side_exprs},
    e.appreciated = true AS v_epidurogram_appreciated
  FROM grid g
  JOIN p USING (patient_key)
  LEFT JOIN levels l ON l.patient_key = g.patient_key AND l.level = g.level
  LEFT JOIN level_sides s ON s.patient_key = g.patient_key AND s.level = g.level AND s.side = g.side
  LEFT JOIN epidurogram e ON e.patient_key = g.patient_key AND e.level = g.level AND e.side = g.side
  LEFT JOIN open_at o ON o.patient_key = g.patient_key AND o.level = g.level
)"""

# The same criteria, each evaluated once at its own grain (patient, reported level, reported side) and
# folded into "blocks" / "holds back" there; the 10 cells of a patient then only combine those flags. An
# unreported level or side blocks nothing and holds the cell back (its stenosis or LF readings are
# unknown), so its flags default to (false, true); an epidurogram recorded as not appreciated blocks.
FAST_SQL = """
pv AS (SELECT patient_key, {patient_block} AS p_block, {patient_hold} AS p_hold FROM p),
lc AS (SELECT l.patient_key, l.level,{level_exprs} FROM levels l),
-- what a side needs of its patient (joining p here would evaluate every patient criterion a second time)
pp AS (
  SELECT patient_key, prior_procedures_recorded, pu.open_levels_unknown
  FROM patients LEFT JOIN (
    SELECT patient_key, bool_or(levels IS NULL) AS open_levels_unknown
    FROM prior_procedures WHERE type IN {open_surgery} GROUP BY patient_key
  ) pu USING (patient_key)
),
lv AS (SELECT patient_key, level, {level_block} AS l_block, {level_hold} AS l_hold FROM lc),
sc AS (
  SELECT s.patient_key, s.level, s.side,{side_exprs}
  FROM level_sides s
  JOIN pp p USING (patient_key)
  LEFT JOIN open_at o ON o.patient_key = s.patient_key AND o.level = s.level
),
sv AS (SELECT patient_key, level, side, {side_block} AS s_block, {side_hold} AS s_hold FROM sc),
cells AS (
  SELECT g.patient_key, g.level, g.side,
    CASE WHEN pv.p_block OR coalesce(lv.l_block, false) OR coalesce(sv.s_block, false) OR coalesce(NOT e.appreciated, false)
      THEN 'not_candidate'
      WHEN pv.p_hold OR coalesce(lv.l_hold, true) OR coalesce(sv.s_hold, true) THEN 'undetermined'
      ELSE 'candidate' END AS verdict
  FROM grid g
  JOIN pv USING (patient_key)
  LEFT JOIN lv ON lv.patient_key = g.patient_key AND lv.level = g.level
  LEFT JOIN sv ON sv.patient_key = g.patient_key AND sv.level = g.level AND sv.side = g.side
  LEFT JOIN epidurogram e ON e.patient_key = g.patient_key AND e.level = g.level AND e.side = g.side
)"""

# Which criteria hold a cell back when unknown: required ones always; confirmations only when contested.
CONFIRMATIONS_CONTESTED = {
    "no_abnormal_vascular_index", "no_vascular_relief_pattern", "no_new_sexual_dysfunction",
    "antithrombotics_can_be_held", "no_prior_surgery_at_level",
}  # fmt: skip
# Confirmations whose test cannot be contested while unknown (a single comparison, all() of comparisons,
# or not(comparison)): they never hold a cell back.
CONFIRMATIONS_OPEN = {
    "no_infection", "no_bleeding_disorder", "lf_is_a_cause_of_stenosis", "no_severe_lateral_recess_stenosis",
    "laminar_shelf_present", "epidurogram_appreciated",
}  # fmt: skip
WITH_CONFLICTS = {
    "neurologic_readings_agree", "central_canal_stenosis", "no_instability", "spondylolisthesis_below_grade_2",
    "slip_readings_agree", "lf_hypertrophy_on_side",
}  # fmt: skip


def _hold(criterion: str) -> str:
    if criterion in NOT_BLOCKING or criterion in CONFIRMATIONS_OPEN:
        held = "false"
    elif criterion in CONFIRMATIONS_CONTESTED:
        held = f"(v_{criterion} IS NULL AND c_{criterion})"
    else:
        held = f"(v_{criterion} IS NULL)"
    if criterion in WITH_CONFLICTS:
        held = f"({held} OR k_{criterion})"
    return held


def _values() -> dict[str, object]:
    return {**P, "ces_days": CES_DAYS, "pvr_ml": PVR_ML, "open_surgery": str(OPEN_SURGERY)}


def _ctes(*parts: str, **extra: str) -> str:
    values = {**_values(), **extra}
    return ",\n".join(part.format(**values) for part in parts)


def _shared() -> dict[str, str]:
    values = _values()
    return {"level_exprs": LEVEL_EXPRS.format(**values), "side_exprs": SIDE_EXPRS.format(**values)}


def cells_query() -> str:
    """Per cell: every criterion's value and hold flag, and the verdict."""
    ctes = _ctes(CES_SQL, PATIENT_SQL, GRID_SQL, CELLS_SQL, **_shared())
    blocking = " OR ".join(f"isfalse(v_{c})" for c in CRITERIA if c not in NOT_BLOCKING)
    held = " OR ".join(_hold(c) for c in CRITERIA)
    columns = ",\n  ".join(f"v_{c}, {_hold(c)} AS h_{c}" for c in CRITERIA)
    return f"""WITH {ctes}
SELECT patient_key, level, side,
  CASE WHEN {blocking} THEN 'not_candidate' WHEN {held} THEN 'undetermined' ELSE 'candidate' END AS verdict,
  {columns}
FROM cells"""


def _block(group: tuple[str, ...]) -> str:
    return " OR ".join(f"isfalse(v_{c})" for c in group if c not in NOT_BLOCKING)


def _held(group: tuple[str, ...]) -> str:
    return " OR ".join(_hold(c) for c in group)


def fast_query() -> str:
    """Per cell: the verdict only, each criterion evaluated at its own grain (the timed query)."""
    flags = {
        "patient_block": _block(PATIENT_CRITERIA), "patient_hold": _held(PATIENT_CRITERIA),
        "level_block": _block(LEVEL_CRITERIA), "level_hold": _held(LEVEL_CRITERIA),
        "side_block": _block(SIDE_CRITERIA), "side_hold": _held(SIDE_CRITERIA),
    }  # fmt: skip
    ctes = _ctes(CES_SQL, PATIENT_SQL, GRID_SQL, FAST_SQL, **_shared(), **flags)
    return f"WITH {ctes}\nSELECT patient_key, level, side, verdict FROM cells"


def verdict_counts_query() -> str:
    return f"SELECT verdict, count(*) AS n FROM ({fast_query()}) GROUP BY verdict ORDER BY verdict"


# --- set-up ----------------------------------------------------------------------------------------------


def _check_parameters() -> None:
    rules = load_ruleset(RULESET)
    for name, value in P.items():
        assert rules.param_value(name) == value, (
            f"{name}: rule set says {rules.param_value(name)}, SQL {value}"
        )
    assert ces_thresholds() == (CES_DAYS, PVR_ML), ces_thresholds()
    # Every agent has a hold interval, so an agent whose hold is undecided is always "unsettled".
    assert set(antithrombotic_agents()) <= set(rules.antithrombotic_holds)
    assert tuple(c.id for c in rules.criteria) == CRITERIA, "the rule set's criteria changed"
    assert {c.id for c in rules.criteria if not c.blocks} == set(NOT_BLOCKING)
    confirmations = {c.id for c in rules.criteria if c.is_confirmation}
    assert confirmations == CONFIRMATIONS_CONTESTED | CONFIRMATIONS_OPEN, confirmations
    by_scope = {scope.value: tuple(c.id for c in rules.criteria if c.scope is scope) for scope in Scope}
    assert by_scope == {"patient": PATIENT_CRITERIA, "level": LEVEL_CRITERIA,
                        "level_side": (*SIDE_CRITERIA, "epidurogram_appreciated")}, by_scope  # fmt: skip


def connect(folder: Path, threads: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    for name in tables():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')")
    con.execute(MACROS)
    return con


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process over all its threads, result): on a shared machine the
    wall time includes waiting for a core, the CPU time does not."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


# --- parity ----------------------------------------------------------------------------------------------


def parity(con: duckdb.DuckDBPyConnection, keys: list[int]) -> dict[str, Any]:
    """Compare the SQL's cells with the engine's, per criterion (value and hold) and per verdict."""
    con.execute("CREATE OR REPLACE TEMP TABLE sample AS SELECT unnest(?::BIGINT[]) AS patient_key", [keys])
    sql_cells = con.execute(
        f"SELECT * FROM ({cells_query()}) WHERE patient_key IN (SELECT patient_key FROM sample)"
    ).fetchall()
    names = [d[0] for d in con.description]
    by_cell = {(r[0], r[1], r[2]): dict(zip(names, r, strict=True)) for r in sql_cells}
    fast = con.execute(
        f"SELECT * FROM ({fast_query()}) WHERE patient_key IN (SELECT patient_key FROM sample)"
    ).fetchall()
    fast_verdict = {(r[0], r[1], r[2]): r[3] for r in fast}
    rows: dict[str, list[dict[str, Any]]] = {}
    for name in tables():
        query = f"SELECT * FROM {name} WHERE patient_key IN (SELECT patient_key FROM sample)"
        found = con.execute(query).fetchall()  # plain Python values: dates, lists, None (never NaN)
        columns = [d[0] for d in con.description]
        rows[name] = [dict(zip(columns, row, strict=True)) for row in found]
    rules = load_ruleset(RULESET)
    to_tri = {True: "met", False: "not_met", None: "unknown"}
    value_off: Counter[str] = Counter()
    hold_off: Counter[str] = Counter()
    verdicts: Counter[tuple[str, str]] = Counter()
    cells = agree = fast_agree = 0
    engine_seconds = 0.0
    for _, patient_rows in rows_by_patient(rows):
        record = record_from_rows(patient_rows)
        started = time.perf_counter()
        result = assess(record, rules)
        engine_seconds += time.perf_counter() - started
        key = patient_rows["patients"][0]["patient_key"]
        for cell in result.candidacy.cells:
            mine = by_cell[(key, cell.level.value, cell.side.value)]
            cells += 1
            same = mine["verdict"] == cell.verdict.value
            agree += same
            fast_agree += fast_verdict[(key, cell.level.value, cell.side.value)] == cell.verdict.value
            verdicts[(cell.verdict.value, mine["verdict"])] += 1
            for r in cell.results:
                cid = r.criterion.id
                if to_tri[mine[f"v_{cid}"]] != r.value.value:
                    value_off[cid] += 1
                if bool(mine[f"h_{cid}"]) != r.holds_back:
                    hold_off[cid] += 1
    return {
        "patients": len(keys),
        "cells": cells,
        "agree": agree,
        "fast_agree": fast_agree,
        "verdicts": verdicts,
        "value_off": value_off,
        "hold_off": hold_off,
        "engine_ms_per_patient": 1000 * engine_seconds / max(len(keys), 1),
    }


# --- main ------------------------------------------------------------------------------------------------

SCAN_FLOOR = """SELECT
  (SELECT count(*) FROM patients WHERE symptoms_leg_symptoms OR exam_abi_left > 0 OR red_flags_sacral_onset_days > 0
     OR safety_antithrombotics_recorded OR prior_procedures_recorded OR conservative_care_months > 0)
  + (SELECT count(*) FROM levels WHERE canal_area_mm2 > 0 OR translation_mm > 0 OR slip_percent > 0)
  + (SELECT count(*) FROM level_sides WHERE lf_thickness_mm > 0 OR laminar_shelf)
  + (SELECT count(*) FROM antithrombotics WHERE can_be_held)
  + (SELECT count(*) FROM prior_procedures WHERE len(levels) > 0)
  + (SELECT count(*) FROM epidurogram WHERE appreciated)"""
COUNT_FLOOR = " + ".join(f"(SELECT count(*) FROM {name})" for name in tables())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=5000, help="patients compared with the engine")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, help="folder of the population (generated there if empty)")
    args = parser.parse_args()
    _check_parameters()
    folder = args.data or Path(tempfile.gettempdir()) / f"lss-screen-{args.patients}-{args.seed}"
    if not (folder / "patients.parquet").exists():
        written = generate(args.patients, folder, args.seed)
        print(
            f"generated {written.patients} patients in {written.seconds:.1f} s ({written.bytes / 1e6:.1f} MB)"
        )
    con = connect(folder, args.threads)

    keys = sorted(random.Random(args.seed).sample(range(args.patients), min(args.sample, args.patients)))
    found = parity(con, keys)
    print(f"\nparity with the engine ({RULESET}), {found['patients']} patients, {found['cells']} cells:")
    print(f"  verdicts agree: {found['agree']} / {found['cells']} (per-criterion query),"
          f" {found['fast_agree']} / {found['cells']} (timed per-grain query)")  # fmt: skip
    for (engine, sql), n in sorted(found["verdicts"].items()):
        print(f"    engine {engine:>13} / sql {sql:>13}: {n}")
    for cid in CRITERIA:
        print(f"  {cid:45} value off {found['value_off'][cid]:6}   hold off {found['hold_off'][cid]:6}")
    print(f"  engine: {found['engine_ms_per_patient']:.2f} ms per patient (assess, one thread)")

    query, scan, count = verdict_counts_query(), SCAN_FLOOR, f"SELECT {COUNT_FLOOR}"
    labels = ("count(*) floor", "scan floor", "hand SQL")
    walls: dict[str, list[float]] = {label: [] for label in labels}
    cpus: dict[str, list[float]] = {label: [] for label in labels}
    counts: Any = None
    for _ in range(args.runs):  # interleaved, so that load on the machine hits all three alike
        for label, sql in zip(labels, (count, scan, query), strict=True):
            wall, cpu, out = _timed(lambda sql=sql: con.execute(sql).fetchall())
            walls[label].append(wall)
            cpus[label].append(cpu)
            counts = out if label == "hand SQL" else counts
    median = {label: statistics.median(times) for label, times in walls.items()}
    median_cpu = {label: statistics.median(times) for label, times in cpus.items()}
    print(f"\ntimings, {args.patients} patients x 10 cells, median of {args.runs}, {args.threads} threads:")
    for label in labels:
        print(f"  {label:15} {median[label]:8.3f} s wall {median_cpu[label]:8.3f} s CPU")
    print(f"  hand SQL / scan floor: {median['hand SQL'] / median['scan floor']:.1f}x wall,"
          f" {median_cpu['hand SQL'] / median_cpu['scan floor']:.1f}x CPU;"
          f" hand SQL / count(*) floor: {median['hand SQL'] / median['count(*) floor']:.0f}x wall")  # fmt: skip
    print("  verdicts:", ", ".join(f"{v} {n}" for v, n in counts))
    engine_total = found["engine_ms_per_patient"] * args.patients / 1000
    print(
        f"  per-patient engine, extrapolated: {engine_total:.0f} s ({engine_total / median['hand SQL']:.0f}x)"
    )
    assert {v for v, _ in counts} <= {v.value for v in Verdict}


if __name__ == "__main__":
    main()
