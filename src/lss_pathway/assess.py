"""One patient in, one explainable assessment out: the library's main entry point.

Order matters and mirrors the clinic: red flags first, then the claudication differential, stenosis per
level, candidacy per level and side, the pathway, and a coding suggestion. ``to_dict`` gives the stable
JSON shape shared by the CLI and, later, the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from lss_pathway import __version__
from lss_pathway.clinical.cauda_equina import CesTriage, triage
from lss_pathway.clinical.claudication import Differential, differentiate
from lss_pathway.clinical.coding import CodeSuggestion, suggest_icd10
from lss_pathway.clinical.diagnosis import DiagnosisSupport, FourOfFive, diagnosis_support
from lss_pathway.clinical.red_flags import RedFlag, screen
from lss_pathway.clinical.reference import REFERENCE_VERSION
from lss_pathway.clinical.stenosis import LevelStenosis, grade_levels
from lss_pathway.criteria.candidacy import Candidacy, CriterionResult, Verdict, run_candidacy
from lss_pathway.criteria.evaluate import Node
from lss_pathway.criteria.facts import Scope
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Criterion, Kind, RuleSet
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.pathway.recommend import Recommendation, recommend
from lss_pathway.rulesets.catalog import DEFAULT_RULESET, load_ruleset

SCHEMA_VERSION = "1.1"


@dataclass(frozen=True, slots=True)
class Assessment:
    record: PatientRecord
    on_date: dt.date
    red_flags: list[RedFlag]
    differential: Differential
    stenosis: list[LevelStenosis]
    candidacy: Candidacy
    pathway: list[Recommendation]
    icd10: CodeSuggestion
    cauda_equina: CesTriage
    diagnosis: DiagnosisSupport

    @property
    def rules(self) -> RuleSet:
        return self.candidacy.rules

    @property
    def red_flags_present(self) -> list[RedFlag]:
        return [f for f in self.red_flags if f.status is Tri.MET]

    def missing_facts(self) -> list[str]:
        """Everything to document to settle the undetermined cells, in first-needed order."""
        cells = [c for c in self.candidacy.cells if c.verdict is Verdict.UNDETERMINED]
        return list(dict.fromkeys(m for c in cells for m in c.missing_facts))

    def explained(self) -> Assessment:
        """This assessment with its explanation trees (built on demand when it was made without them)."""
        if self.candidacy.explained:
            return self
        return replace(self, candidacy=self.candidacy.explain())

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self.explained())


def assess(
    record: PatientRecord,
    rules: RuleSet | str = DEFAULT_RULESET,
    *,
    today: dt.date | None = None,
    pretest: float | None = None,
    cook_reading: FourOfFive | None = None,
    explain: bool = True,
) -> Assessment:
    """Assess one patient as of its assessment date, else ``today`` (the calling edge's date);
    ``pretest`` (0-1) adds post-test probabilities to the diagnosis support. ``explain=False``: the
    candidacy without explanation trees (``Candidacy.explain`` adds them when asked)."""
    ruleset = load_ruleset(rules) if isinstance(rules, str) else rules
    on_date = record.on_date(today)
    ces = triage(record)
    red_flags = screen(record, ces)
    differential = differentiate(record)
    stenosis = grade_levels(record)
    candidacy = run_candidacy(record, ruleset, on_date, explain=explain)
    pathway = recommend(record, red_flags, differential, stenosis, candidacy)
    return Assessment(
        record,
        on_date,
        red_flags,
        differential,
        stenosis,
        candidacy,
        pathway,
        suggest_icd10(stenosis, differential),
        ces,
        diagnosis_support(record, pretest, cook_reading, on_date),
    )


# --- JSON shape ---------------------------------------------------------------------------------------


_TRI = {Tri.MET: "met", Tri.NOT_MET: "not_met", Tri.UNKNOWN: "unknown"}


def _node(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"label": node.label, "value": _TRI[node.value]}
    if node.facts:
        out["facts"] = [{"fact": f, "value": _json_value(v)} for f, v in node.facts]
    if node.missing:
        out["missing"] = list(node.missing)
    if node.children:
        out["children"] = [_node(c) for c in node.children]
    return out


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _criterion_entry(rules: RuleSet, result: CriterionResult, where: str) -> dict[str, Any]:
    return {**_criterion_fields(rules, result, where), "explanation": _node(result.node)}


_STATIC_KEY = "assessment-json"


def static_fields(rules: RuleSet, criterion: Criterion) -> dict[str, Any]:
    """A criterion's fields that do not depend on the patient, as plain JSON values (a fresh copy).

    Worked out once per rule set object and kept in its store: reading enum values, filling statements and
    finding the weakest verification for every evaluated criterion cost more than the rest of the JSON.
    """
    store: dict[str, tuple[Criterion, dict[str, Any]]] = rules.runner_store().setdefault(_STATIC_KEY, {})
    known = store.get(criterion.id)
    if known is None or known[0] is not criterion:
        source = rules.sources[criterion.source]
        fields: dict[str, Any] = {
            "kind": criterion.kind.value,
            "phase": criterion.phase.value,
            "confirmation": criterion.is_confirmation,
            "when_not_met": criterion.when_not_met,
            "statement": rules.statement(criterion),
            "verification": rules.verification_of(criterion).value,
            "source": {"citation": source.citation, "url": source.url},
        }
        if any(own is criterion for own in rules.criteria):  # not a draft criterion tried against it
            store[criterion.id] = (criterion, fields)
        known = (criterion, fields)
    return {**known[1], "source": dict(known[1]["source"])}


def _criterion_fields(rules: RuleSet, result: CriterionResult, where: str) -> dict[str, Any]:
    """A criterion entry without its explanation tree (the lean JSON's; the tree costs the most)."""
    criterion = result.criterion
    static = static_fields(rules, criterion)
    return {
        "id": criterion.id,
        "where": where,
        "kind": static["kind"],
        "phase": static["phase"],
        "confirmation": static["confirmation"],
        "when_not_met": static["when_not_met"],
        "statement": static["statement"],
        "value": _TRI[result.value],
        "verification": static["verification"],
        "source": static["source"],
        "missing": list(result.node.missing),
        "conflicts": list(result.node.conflicts),
    }


_BLOCKING_KINDS = (Kind.CONTRAINDICATION, Kind.EXCLUSION)
_LEVEL = {level: level.value for level in Level}
_SIDE = {side: side.value for side in Side}
_VERDICT = {verdict: verdict.value for verdict in Verdict}


EntryBuilder = Callable[[RuleSet, CriterionResult, str], dict[str, Any]]


def _placement(result: CriterionResult) -> tuple[str, bool]:
    """Where a cell lists a result (a bucket of its dict) and whether it is a contraindication there."""
    value = result.value
    if result.open_confirmation:
        return "pending_confirmations", False
    criterion = result.criterion
    if value is not Tri.MET and not criterion.blocks and not result.node.conflicts:
        return "conditional", False
    return _TRI[value], value is Tri.NOT_MET and criterion.kind in _BLOCKING_KINDS


def _criteria_and_cells(
    a: Assessment, entry: EntryBuilder = _criterion_entry
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each evaluated criterion once (``entry`` builds it: by default with its explanation); cells refer
    to them as ``id@where``. A result shared by several cells (a patient's, a level's) is placed once."""
    rules = a.rules
    evaluated: dict[str, dict[str, Any]] = {}
    placed: dict[tuple[int, str], tuple[str, str, bool]] = {}
    cells = []
    for cell in a.candidacy.cells:
        level, side = _LEVEL[cell.level], _SIDE[cell.side]
        where_by_scope = {Scope.PATIENT: "patient", Scope.LEVEL: level, Scope.SIDE: f"{level} {side}"}
        lists: dict[str, list[str]] = {
            "met": [],
            "not_met": [],
            "unknown": [],
            "contraindications": [],
            "pending_confirmations": [],
            "conditional": [],
        }
        for result in cell.results:
            where = where_by_scope[result.criterion.scope]
            known = placed.get((id(result), where))
            if known is None:
                ref = f"{result.criterion.id}@{where}"
                if ref not in evaluated:
                    evaluated[ref] = entry(rules, result, where)
                known = placed[id(result), where] = (ref, *_placement(result))
            ref, bucket, contraindication = known
            lists[bucket].append(ref)
            if contraindication:
                lists["contraindications"].append(ref)
        cells.append(
            {
                "level": level,
                "side": side,
                "verdict": _VERDICT[cell.verdict],
                "met": lists["met"],
                "not_met": lists["not_met"],
                "unknown": lists["unknown"],
                "contraindications": lists["contraindications"],
                "conditions": [
                    {"action": c.action, "source": c.source, "url": c.url, "verification": c.verification}
                    for c in cell.conditions
                ],
                "pending_confirmations": lists["pending_confirmations"],
                "conditional": lists["conditional"],
                "conflicts": cell.conflicts,
                "missing_facts": cell.missing_facts,
            }
        )
    return list(evaluated.values()), cells


def _to_dict(a: Assessment, entry: EntryBuilder = _criterion_entry) -> dict[str, Any]:
    criteria, cells = _criteria_and_cells(a, entry)
    d = a.differential
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "reference_version": REFERENCE_VERSION,
        "ruleset": {
            "id": a.rules.id,
            "version": a.rules.version,
            "title": a.rules.title,
            "verified_as_of": None if a.rules.verified_as_of is None else a.rules.verified_as_of.isoformat(),
        },
        "record_id": a.record.id,
        "assessment_date": a.on_date.isoformat(),
        "red_flags": [
            {
                "id": f.id,
                "label": f.label,
                "status": {"met": "present", "not_met": "absent", "unknown": "unknown"}[f.status.value],
                "action": f.action,
                "fact": f.fact,
                "source": {"citation": f.source, "url": f.url},
            }
            for f in a.red_flags
        ],
        "differential": {
            "pattern": d.pattern.value,
            "evidence": [{"feature": e.feature, "favours": e.favours, "fact": e.fact} for e in d.evidence],
            "legs": [
                {
                    "side": leg.side.value,
                    "abi": leg.abi,
                    "abi_band": None if leg.band is None else leg.band.value,
                    "tbi": leg.tbi,
                    "tbi_abnormal": leg.tbi_abnormal,
                }
                for leg in d.legs
            ],
            "advice": list(d.advice),
            "constellations": [
                {
                    "id": c.id,
                    "label": c.label,
                    "favours": c.favours,
                    "present": c.present,
                    "likelihood_ratio": c.likelihood_ratio,
                    "missing": list(c.missing),
                }
                for c in d.constellations
            ],
        },
        "cauda_equina": _ces_dict(a.cauda_equina),
        "diagnosis_support": _diagnosis_dict(a.diagnosis),
        "stenosis": [
            {
                "level": s.level.value,
                "rank": s.rank,
                "category": s.category.value,
                "canal_area_mm2": s.canal_area_mm2,
                "basis": list(s.basis),
            }
            for s in a.stenosis
        ],
        "candidacy": cells,
        "criteria": criteria,
        "pathway": [
            {"step": r.step.value, "title": r.title, "reasons": r.reasons, "levels": r.levels}
            for r in a.pathway
        ],
        "icd10": {"code": a.icd10.code, "label": a.icd10.label, "reason": a.icd10.reason},
        "missing_facts": a.missing_facts(),
        "disclaimer": "Decision support only: the decision rests with the treating clinician.",
    }


def _ces_dict(c: CesTriage) -> dict[str, Any]:
    return {
        "status": c.status.value,
        "features": list(c.features),
        "unknown": list(c.unknown),
        "notes": list(c.notes),
        "action": c.action,
        "source": {"citation": c.source, "url": c.url},
    }


def _diagnosis_dict(d: DiagnosisSupport) -> dict[str, Any]:
    return {
        "cook": d.cook.to_dict(),
        "findings": [
            {
                "id": f.id,
                "label": f.label,
                "present": f.present,
                "lr": f.lr,
                "ci": f.ci,
                "fact": f.fact,
                "source": f.source.to_dict(),
            }
            for f in d.findings
        ],
        "not_recorded": list(d.not_recorded),
        "consensus_checklist": {
            "items": [
                {"id": i.id, "label": i.label, "present": i.present, "fact": i.fact} for i in d.checklist
            ],
            "note": d.checklist_note,
        },
        "pretest_probability": d.pretest,
        "post_test_probability": d.post_test,
        "approximate": d.approximate,
        "notes": list(d.notes),
    }
