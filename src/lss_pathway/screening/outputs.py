"""What a screen produces from its cell table, as SQL every runner executes the same way.

- ``patients``: per patient, the best verdict (candidate, else undetermined, else not a candidate), the
  candidate cells, and ``criteria_to_settle``: how many criteria hold the patient's closest undetermined
  cell back (each needs at least one fact, so it is a lower bound on the facts to obtain);
- ``shortlist``: undetermined patients, closest to a decision first, with that cell and what holds it;
- ``attrition``: per blocking criterion in the rule set's order, like an ATLAS inclusion report: patients
  still with a cell no criterion so far excludes, those this criterion removes, and those it holds
  undetermined somewhere;
- ``summary``: patients by best verdict and cells by verdict.

Counts meant to leave the team go through ``shareable``: below the small-cell floor they read "<floor",
and the rest are rounded to 5 so that a suppressed count cannot be recovered from the difference of two
shown ones.
"""

from __future__ import annotations

from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.anatomy import LEVELS, SIDES
from lss_pathway.screening.compiler import compile_ruleset

NEXT_STEP = {
    "candidate": "refer for mild: make the pending confirmations",
    "undetermined": "document what holds the closest cell back (see the shortlist)",
    "not_candidate": "not a mild candidate: the per-patient assessment gives the pathway step",
}


def patients_sql(cells: str = "screen_cells") -> str:
    candidate_cells = ", ".join(
        f"max(CASE WHEN level = '{lv.value}' AND side = '{sd.value}' AND verdict = 'candidate' "
        f"THEN '{lv.value} {sd.value}' END)"
        for lv in LEVELS
        for sd in SIDES
    )
    steps = " ".join(f"WHEN '{verdict}' THEN '{text}'" for verdict, text in NEXT_STEP.items())
    return (
        "SELECT b.*, CASE b.best_verdict " + steps + " END AS next_step FROM ("
        "SELECT c.patient_key, max(pt.id) AS record_id, "
        "CASE WHEN max(CASE WHEN verdict = 'candidate' THEN 1 ELSE 0 END) = 1 THEN 'candidate' "
        "WHEN max(CASE WHEN verdict = 'undetermined' THEN 1 ELSE 0 END) = 1 THEN 'undetermined' "
        "ELSE 'not_candidate' END AS best_verdict, "
        f"concat_ws(', ', {candidate_cells}) AS candidate_cells, "
        "min(CASE WHEN verdict = 'undetermined' THEN n_held END) AS criteria_to_settle "
        f"FROM {cells} c JOIN patients pt ON pt.patient_key = c.patient_key "
        "GROUP BY c.patient_key) b"
    )


def shortlist_sql(limit: int, cells: str = "screen_cells", patients: str = "screen_patients") -> str:
    return (
        "SELECT p.patient_key, p.record_id, p.criteria_to_settle, c.level, c.side, c.held "
        f"FROM {patients} p JOIN (SELECT patient_key, level, side, held, ROW_NUMBER() OVER "
        "(PARTITION BY patient_key ORDER BY n_held, level, side) AS closest "
        f"FROM {cells} WHERE verdict = 'undetermined') c "
        "ON c.patient_key = p.patient_key AND c.closest = 1 "
        "WHERE p.best_verdict = 'undetermined' "
        f"ORDER BY p.criteria_to_settle, p.patient_key LIMIT {int(limit)}"
    )


def attrition_sql(rules: RuleSet, cells: str = "screen_cells") -> tuple[str, list[str]]:
    """One row of counts, and the criterion ids in the order its columns follow them."""
    blocking = [c.id for c in compile_ruleset(rules).criteria if c.blocks]
    parts = ["count(DISTINCT patient_key) AS total"]
    for i, cid in enumerate(blocking):
        excluded = " OR ".join(f"x__{c}" for c in blocking[: i + 1])
        parts += [
            f"count(DISTINCT CASE WHEN NOT ({excluded}) THEN patient_key END) AS r__{cid}",
            f"count(DISTINCT CASE WHEN h__{cid} THEN patient_key END) AS h__{cid}",
            f"sum(CASE WHEN x__{cid} THEN 1 ELSE 0 END) AS x__{cid}",
        ]
    return f"SELECT {', '.join(parts)} FROM {cells}", blocking


SUMMARY_SQL = (
    "SELECT 'patients' AS unit, best_verdict AS verdict, count(*) AS n FROM screen_patients "
    "GROUP BY best_verdict UNION ALL "
    "SELECT 'cells' AS unit, verdict, count(*) AS n FROM screen_cells GROUP BY verdict"
)


def shareable(count: int, floor: int) -> str:
    """A count fit to leave the team: "<floor" when small (but not zero), else rounded to 5."""
    if 0 < count < floor:
        return f"<{floor}"
    return str(5 * round(count / 5))
