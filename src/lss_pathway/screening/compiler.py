"""Compile a rule set into one SQL query that gives every patient x level x side cell its verdict.

The per-patient engine (``criteria.evaluate`` and ``criteria.candidacy``) and this compiler read the same
rule-set files, so a screen and a single assessment cannot disagree; the parity tests hold them to it cell
by cell. Each expression node compiles to three SQL expressions:

- ``v``, its value: NULL is unknown, and SQL's AND / OR / NOT are Kleene's logic, as in ``criteria.logic``;
- ``k``, whether readings below it contradict each other (a "reconcile" item: ``agree``, ``consistent``);
- ``c``, whether something recorded speaks against it (``Node.contested``): not met, and some part below
  not met or an antithrombotic whose hold is still open.

From those, per criterion, the verdict rule of ``criteria.candidacy.verdict``: not a candidate when a
blocking criterion is false; else undetermined when one holds the cell back (a reconcile item; unknown and
blocking, unless it is a confirmation that nothing speaks against); else a candidate.

The query reads the six tables of the columnar projection (``domain.schema``) by name, as views or
tables, and is written in a portable subset of SQL (see ``fact_sql``): DuckDB runs it as it is, and the
Spark runner translates it with sqlglot.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

from lss_pathway.clinical.cauda_equina import ces_thresholds
from lss_pathway.criteria.expressions import (
    Agree,
    AllOf,
    AnyOf,
    Compare,
    Consistent,
    Expr,
    Hold,
    Not,
    Param,
    Scalar,
    unsupported,
)
from lss_pathway.criteria.facts import Scope, fact_catalogue
from lss_pathway.criteria.python_runner import LUMBAR_SURGERY, OPEN_SURGERY
from lss_pathway.criteria.ruleset import Criterion, RuleSet
from lss_pathway.domain.anatomy import LEVELS, SIDES
from lss_pathway.domain.schema import leaf
from lss_pathway.screening.fact_sql import fact_column, months_between

TRUE, FALSE = "TRUE", "FALSE"

_SQL_OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


@dataclass(frozen=True, slots=True)
class Compiled:
    """One node as SQL: its value (NULL = unknown), its reconcile flag and its contested flag."""

    v: str
    k: str = FALSE
    c: str = FALSE


def _or(parts: list[str]) -> str:
    kept = [p for p in dict.fromkeys(parts) if p != FALSE]
    if TRUE in kept:
        return TRUE
    if not kept:
        return FALSE
    return kept[0] if len(kept) == 1 else "(" + " OR ".join(kept) + ")"


def _and(parts: list[str]) -> str:
    kept = [p for p in dict.fromkeys(parts) if p != TRUE]
    if FALSE in kept:
        return FALSE
    if not kept:
        return TRUE
    return kept[0] if len(kept) == 1 else "(" + " AND ".join(kept) + ")"


def is_true(sql: str) -> str:
    """Known true (never NULL); ``IS TRUE`` is not in every dialect, ``coalesce`` is."""
    return sql if sql in (TRUE, FALSE) else f"coalesce({sql}, FALSE)"


def is_false(sql: str) -> str:
    if sql in (TRUE, FALSE):
        return FALSE if sql == TRUE else TRUE
    return f"coalesce(NOT {sql}, FALSE)"


def literal(value: Scalar) -> str:
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, int | float):
        return repr(value)
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: tuple[str | int | float | bool, ...]) -> str:
    return ", ".join(literal(v) for v in values)


def _contested(value: str, children: list[Compiled]) -> str:
    """``Node.contested``: not met, and some child not met or itself contested."""
    return _and([f"NOT {is_true(value)}", _or([_or([is_false(ch.v), ch.c]) for ch in children])])


class Compiler:
    """A rule set compiled once; ``cells_sql(as_of)`` is the query for a population."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        # In the order a cell lists its results: patient criteria, then level, then side ones.
        self.criteria = tuple(sorted(rules.criteria, key=lambda c: list(Scope).index(c.scope)))

    # --- expressions ------------------------------------------------------------------------------------

    def expr(self, node: Expr) -> Compiled:
        match node:
            case Compare():
                return Compiled(self._compare(node))
            case AllOf(items) | AnyOf(items):
                children = [self.expr(i) for i in items]
                joiner = " AND " if isinstance(node, AllOf) else " OR "
                value = "(" + joiner.join(ch.v for ch in children) + ")"
                return Compiled(value, _or([ch.k for ch in children]), _contested(value, children))
            case Agree(items) | Consistent(items):
                children = [self.expr(i) for i in items]
                said_met = _or([is_true(ch.v) for ch in children])
                said_not = _or([is_false(ch.v) for ch in children])
                both = _and([said_met, said_not])
                if isinstance(node, Agree):
                    value = (
                        f"(CASE WHEN {both} THEN NULL WHEN {said_met} THEN TRUE "
                        f"WHEN {said_not} THEN FALSE ELSE NULL END)"
                    )
                else:
                    value = f"(CASE WHEN {both} THEN NULL ELSE TRUE END)"
                reconcile = _or([*(ch.k for ch in children), both])
                return Compiled(value, reconcile, _contested(value, children))
            case Not(item):
                inner = self.expr(item)
                value = f"(NOT {inner.v})"
                return Compiled(value, inner.k, _contested(value, [inner]))
            case Hold():
                return Compiled("hold_v", FALSE, "hold_c")
            case _:
                unsupported(node, "screening.compiler")

    def _compare(self, node: Compare) -> str:
        column = fact_column(fact_catalogue()[node.fact])
        expected = self.rules.param_value(node.value.name) if isinstance(node.value, Param) else node.value
        if node.op in ("in", "not_in"):
            values = tuple(expected) if isinstance(expected, tuple | list) else (expected,)
            test = f"{column} IN ({_in_list(values)})"
            return f"({test})" if node.op == "in" else f"(NOT ({test}))"
        if isinstance(expected, tuple):
            raise TypeError(f"{node.fact}: '{node.op}' compares with one value, not a list")
        return f"({column} {_SQL_OPS[node.op]} {literal(expected)})"

    # --- criteria and the verdict -------------------------------------------------------------------------

    @cached_property
    def compiled(self) -> dict[str, Compiled]:
        return {c.id: self.expr(c.test) for c in self.criteria}

    def _criterion_columns(self, scope: Scope) -> list[str]:
        out = []
        for criterion in self.criteria:
            if criterion.scope is scope:
                found = self.compiled[criterion.id]
                out += [f"{found.v} AS v__{criterion.id}", f"{found.k} AS k__{criterion.id}",
                        f"{found.c} AS c__{criterion.id}"]  # fmt: skip
        return out

    @staticmethod
    def _open(criterion: Criterion) -> str:
        """A confirmation still pending: unknown, and nothing recorded speaks against it."""
        if not criterion.is_confirmation:
            return FALSE
        cid = criterion.id
        return f"(v__{cid} IS NULL AND NOT k__{cid} AND NOT c__{cid})"

    def _holds(self, criterion: Criterion) -> str:
        cid = criterion.id
        if not criterion.blocks:
            return f"k__{cid}"
        return f"(k__{cid} OR (v__{cid} IS NULL AND NOT {self._open(criterion)}))"

    def _list(self, criteria: list[Criterion], test: str) -> str:
        """The ids of the criteria for which ``test`` holds, comma-separated ('' when none)."""
        parts = [f"CASE WHEN {test.format(c=c.id, holds=self._holds(c), open=self._open(c))} "
                 f"THEN '{c.id}' END" for c in criteria]  # fmt: skip
        return f"coalesce(concat_ws(',', {', '.join(parts)}), '')" if parts else "''"

    # --- the query -----------------------------------------------------------------------------------------

    def cells_sql(self, as_of: dt.date, *, flags: bool = False) -> str:
        """Every cell of every patient: ``patient_key, level, side, verdict, not_met, held, pending``.

        ``as_of`` stands in for a record without an assessment date, as ``record.on_date(today)`` does.
        ``not_met`` lists the blocking criteria not met, ``held`` those holding the cell undetermined and
        ``pending`` the confirmations still to make, each as comma-separated criterion ids. ``flags`` adds
        ``n_held`` (how many criteria hold the cell back) and, per criterion, ``x__<id>`` (it excludes the
        cell) and ``h__<id>`` (it holds the cell back), for the attrition table and the shortlist.

        Each criterion is evaluated once at its own grain (patient, patient x level, cell) and reduced
        there to flags and lists; a cell combines the three, in the engine's order.
        """
        prefixes = ("p_", "l_", "s_")

        def joined(column: str) -> str:
            parts = ", ".join(f"nullif({p}{column}, '')" for p in prefixes)
            return f"coalesce(concat_ws(',', {parts}), '')"

        outputs = [
            "CASE WHEN p_x OR l_x OR s_x THEN 'not_candidate' "
            "WHEN p_h OR l_h OR s_h THEN 'undetermined' ELSE 'candidate' END AS verdict",
            f"{joined('not_met')} AS not_met",
            f"{joined('held')} AS held",
            f"{joined('pending')} AS pending",
        ]
        if flags:
            outputs.append("p_n + l_n + s_n AS n_held")
            outputs += [f"{f}__{c.id}" for c in self.criteria for f in ("x", "h")]
        return (
            "WITH "
            + ",\n".join([*self._patient_ctes(as_of), *self._grain_ctes(flags)])
            + "\nSELECT patient_key, level, side, "
            + ", ".join(outputs)
            + "\nFROM ss"
        )

    def _scoped(self, scope: Scope) -> list[Criterion]:
        return [c for c in self.criteria if c.scope is scope]

    def _summary(self, scope: Scope, flags: bool, prefix: str) -> list[str]:
        """One grain's criteria reduced: any excludes (``x``), any holds (``h``), the three lists and, with
        ``flags``, the count held (``n``) and each criterion's own two flags; named with ``prefix``."""
        criteria = self._scoped(scope)
        blocking = [c for c in criteria if c.blocks]
        out = [
            f"{_or([is_false(f'v__{c.id}') for c in blocking])} AS {prefix}x",
            f"{_or([self._holds(c) for c in criteria])} AS {prefix}h",
            f"{self._list(blocking, 'coalesce(NOT v__{c}, FALSE)')} AS {prefix}not_met",
            f"{self._list(criteria, '{holds}')} AS {prefix}held",
            f"{self._list(criteria, '{open}')} AS {prefix}pending",
        ]
        if flags:
            held = [f"CASE WHEN {self._holds(c)} THEN 1 ELSE 0 END" for c in criteria]
            out.append(f"({' + '.join(held) or '0'}) AS {prefix}n")
            for c in criteria:
                blocked = is_false(f"v__{c.id}") if c.blocks else FALSE
                out += [f"{blocked} AS x__{c.id}", f"{self._holds(c)} AS h__{c.id}"]
        return out

    @staticmethod
    def _names(expressions: list[str]) -> list[str]:
        return [e.rsplit(" AS ", 1)[1] for e in expressions]

    def criteria_sql(self, as_of: dt.date) -> str:
        """Every cell with each criterion's value, reconcile and contested flags (``v__<id>``, ``k__<id>``,
        ``c__<id>``): what the per-criterion reference cases compare, runner against runner."""
        return (
            "WITH " + ",\n".join([*self._patient_ctes(as_of), *self._grain_ctes(None)]) + "\nSELECT * FROM sg"
        )

    def _patient_ctes(self, as_of: dt.date) -> list[str]:
        recent_days, residual_ml = ces_thresholds()
        col = _patient_column
        open_types, lumbar_types = (
            _in_list(tuple(sorted(OPEN_SURGERY))),
            _in_list(tuple(sorted(LUMBAR_SURGERY))),
        )
        holds = tuple(sorted(self.rules.antithrombotic_holds))
        has_rule = f"agent IN ({_in_list(holds)})" if holds else FALSE
        birth, as_of_col = col("patient.birth_date"), "as_of"
        later_birthday = (
            f"CASE WHEN month({as_of_col}) < month({birth}) OR (month({as_of_col}) = month({birth}) "
            f"AND day({as_of_col}) < day({birth})) THEN 1 ELSE 0 END"
        )

        def onset(feature_column: str) -> str:
            return f"coalesce({col(feature_column)}, {col('red_flags.sacral_onset_days')})"

        return [
            f"pt0 AS (SELECT *, coalesce({col('assessment_date')}, DATE '{as_of.isoformat()}') AS as_of "
            "FROM patients)",
            # Prior procedures, per patient: unknown levels, and the latest lumbar surgery.
            "pp AS (SELECT patient_key, "
            "bool_or(levels IS NULL) AS any_levels_unknown, "
            f"bool_or(levels IS NULL AND type IN ({open_types})) AS open_levels_unknown, "
            f"sum(CASE WHEN type IN ({lumbar_types}) THEN 1 ELSE 0 END) AS lumbar_count, "
            f"bool_or(type IN ({lumbar_types}) AND date IS NULL) AS lumbar_undated, "
            f"max(CASE WHEN type IN ({lumbar_types}) THEN date END) AS lumbar_latest "
            "FROM prior_procedures GROUP BY patient_key)",
            # Antithrombotics, per patient (``evaluate._hold``): an agent that cannot be held is not met;
            # one whose hold is open, or without a hold interval in this rule set, is unknown; an open hold
            # of an agent the rule set has an interval for is "unsettled" (it speaks against the cell).
            "dr AS (SELECT patient_key, "
            "bool_or(coalesce(can_be_held = FALSE, FALSE)) AS any_not_met, "
            f"bool_or(can_be_held IS NULL OR (can_be_held AND NOT {has_rule})) AS any_unknown, "
            f"bool_or(can_be_held IS NULL AND {has_rule}) AS any_unsettled "
            "FROM antithrombotics GROUP BY patient_key)",
            # Cauda equina (``domain.cauda_equina``): each core feature on its own onset, else the shared one;
            # a normal neurological examination documents no deficit in both legs.
            "cf AS (SELECT patient_key, "
            f"{col('red_flags.progressive_motor_deficit')} AS pmd, "
            f"{col('red_flags.post_void_residual_ml')} AS pvr, "
            f"{col('red_flags.specialist_review_cleared')} AS review, "
            f"{col('red_flags.saddle_anaesthesia')} AS saddle, "
            f"{onset('red_flags.saddle_anaesthesia_onset_days')} AS saddle_days, "
            f"{col('red_flags.new_bladder_bowel_dysfunction')} AS bladder, "
            f"{onset('red_flags.bladder_bowel_onset_days')} AS bladder_days, "
            f"coalesce({col('red_flags.bilateral_leg_deficit')}, "
            f"CASE WHEN {col('exam.neurologic_deficit')} = 'none' THEN FALSE END) AS legs, "
            f"{onset('red_flags.bilateral_leg_deficit_onset_days')} AS legs_days "
            "FROM pt0)",
            "ces AS (SELECT patient_key, CASE "
            "WHEN coalesce(pmd, FALSE) THEN TRUE "
            f"WHEN (coalesce(saddle, FALSE) AND (saddle_days IS NULL OR saddle_days < {recent_days})) "
            f"OR (coalesce(bladder, FALSE) AND (bladder_days IS NULL OR bladder_days < {recent_days})) "
            f"OR (coalesce(legs, FALSE) AND (legs_days IS NULL OR legs_days < {recent_days})) THEN TRUE "
            f"WHEN ((coalesce(saddle, FALSE) AND saddle_days >= {recent_days}) "
            f"OR (coalesce(bladder, FALSE) AND bladder_days >= {recent_days})) "
            f"AND pvr >= {residual_ml!r} THEN TRUE "
            "WHEN pmd IS NULL OR saddle IS NULL OR bladder IS NULL OR legs IS NULL THEN NULL "
            f"WHEN ((coalesce(saddle, FALSE) AND saddle_days >= {recent_days}) "
            f"OR (coalesce(bladder, FALSE) AND bladder_days >= {recent_days})) AND pvr IS NULL THEN NULL "
            "ELSE FALSE END AS emergency, "
            "CASE WHEN saddle IS NULL OR bladder IS NULL OR legs IS NULL THEN NULL "
            "WHEN NOT saddle AND NOT bladder AND NOT legs THEN TRUE ELSE review END AS cleared "
            "FROM cf)",
            "pt AS (SELECT pt0.*, "
            f"coalesce({col('patient.age_years')}, CASE WHEN {birth} IS NOT NULL THEN "
            f"year(as_of) - year({birth}) - {later_birthday} END) AS d_age, "
            f"CASE WHEN {col('imaging.date')} IS NOT NULL THEN "
            f"{months_between(col('imaging.date'), 'as_of')} END AS d_months_since_imaging, "
            f"round(date_diff('day', {col('conservative_care.last_esi_date')}, as_of) / 7.0, 2) "
            "AS d_weeks_since_last_esi, "
            "coalesce(pp.any_levels_unknown, FALSE) AS d_any_levels_unknown, "
            "coalesce(pp.open_levels_unknown, FALSE) AS d_open_levels_unknown, "
            "CASE WHEN prior_procedures_recorded IS NOT TRUE THEN NULL "
            "ELSE coalesce(pp.lumbar_count, 0) > 0 END AS d_any_lumbar_surgery, "
            "CASE WHEN coalesce(pp.lumbar_count, 0) = 0 OR pp.lumbar_undated THEN NULL ELSE "
            f"{months_between('pp.lumbar_latest', 'as_of')} END AS d_months_since_lumbar_surgery, "
            f"{onset('red_flags.sexual_dysfunction_onset_days')} AS d_sexual_days, "
            "ces.emergency AS d_ces_emergency, ces.cleared AS d_ces_cleared "
            "FROM pt0 LEFT JOIN pp ON pp.patient_key = pt0.patient_key "
            "JOIN ces ON ces.patient_key = pt0.patient_key)",
            # The hold node and the patient-scoped criteria, once per patient.
            "hv AS (SELECT pt.patient_key, "
            "CASE WHEN safety_antithrombotics_recorded IS NOT TRUE THEN NULL "
            "WHEN coalesce(dr.any_not_met, FALSE) THEN FALSE "
            "WHEN coalesce(dr.any_unknown, FALSE) THEN NULL ELSE TRUE END AS hold_v, "
            "coalesce(dr.any_not_met, FALSE) OR coalesce(dr.any_unsettled, FALSE) AS hold_unsettled "
            "FROM pt LEFT JOIN dr ON dr.patient_key = pt.patient_key)",
            "hold AS (SELECT patient_key, hold_v, "
            "(NOT coalesce(hold_v, FALSE) AND hold_unsettled) AS hold_c FROM hv)",
            "pc AS (SELECT pt.patient_key, hold.hold_v, hold.hold_c, "
            + ", ".join(self._criterion_columns(Scope.PATIENT))
            + " FROM pt JOIN hold ON hold.patient_key = pt.patient_key)",
        ]

    def _reads(self, scopes: tuple[Scope, ...], alias: str) -> list[str]:
        """The columns of ``alias`` (``pt``, ``l``, ``pl``) that the criteria of ``scopes`` read."""
        text = " ".join(c for scope in scopes for c in self._criterion_columns(scope))
        return sorted(set(re.findall(rf"\b{alias}\.(\w+)", text)))

    def _grain_ctes(self, flags: bool | None) -> list[str]:
        """The patient row (``pk``), then the level criteria per patient x level (``lg``), then the side
        criteria per cell (``sg``). Each finer grain carries what it needs of the coarser one along
        (``pt.X`` as ``pt__X``, a level's ``l.X`` and ``pl.X`` as ``l__X`` and ``pl__X``) instead of joining
        the wide patient row again. An unreported level or side reads as NULL findings, as the engine reads
        it. ``flags`` None keeps every criterion's own columns (``criteria_sql``); otherwise each grain is
        reduced to its summary (``ps``, ``ls``, ``ss``)."""
        levels = " UNION ALL ".join(f"SELECT '{lv.value}' AS level" for lv in LEVELS)
        sides = " UNION ALL ".join(f"SELECT '{sd.value}' AS side" for sd in SIDES)
        open_types = _in_list(tuple(sorted(OPEN_SURGERY)))
        both = (Scope.LEVEL, Scope.SIDE)
        pt_cols = self._reads(both, "pt")
        side_l, side_pl = self._reads((Scope.SIDE,), "l"), self._reads((Scope.SIDE,), "pl")
        needs_l = bool(self._reads((Scope.LEVEL,), "l") or side_l)
        needs_pl = bool(self._reads((Scope.LEVEL,), "pl") or side_pl)

        def carried(sql: str, *aliases: str) -> str:
            for alias in aliases:
                sql = re.sub(rf"\b{alias}\.(\w+)", rf"{alias}__\1", sql)
            return sql

        patient_cols = [f"pt.{c} AS pt__{c}" for c in pt_cols]
        ctes = [
            "pl AS (SELECT patient_key, lvl AS level, TRUE AS any_here, "
            f"bool_or(type IN ({open_types})) AS open_here "
            "FROM (SELECT patient_key, type, unnest(levels) AS lvl FROM prior_procedures) x "
            "GROUP BY patient_key, lvl)",
            f"pk AS (SELECT {', '.join(['pc.*', *patient_cols])} FROM pc "
            "JOIN pt ON pt.patient_key = pc.patient_key)",
        ]
        if flags is None:
            patient, patient_names = "pk", ["pk.*"]  # with its patient_key
        else:
            summary = self._summary(Scope.PATIENT, flags, "p_")
            carried_pt = [f"pt__{c}" for c in pt_cols]
            ctes.append(f"ps AS (SELECT {', '.join(['patient_key', *summary, *carried_pt])} FROM pk)")
            patient, patient_names = (
                "ps",
                [f"ps.{n}" for n in [*self._names(summary), *(f"pt__{c}" for c in pt_cols)]],
            )
        keys = ["g.level"] if flags is None else ["g.patient_key", "g.level"]
        level_cols = [carried(c, "pt") for c in self._criterion_columns(Scope.LEVEL)]
        level_carry = [f"l.{c} AS l__{c}" for c in side_l] + [f"pl.{c} AS pl__{c}" for c in side_pl]
        joins = (
            ["LEFT JOIN levels l ON l.patient_key = g.patient_key AND l.level = g.level"] if needs_l else []
        )
        joins += ["LEFT JOIN pl ON pl.patient_key = g.patient_key AND pl.level = g.level"] if needs_pl else []
        ctes.append(
            f"lg AS (SELECT {', '.join([*keys, *patient_names, *level_cols, *level_carry])} "
            f"FROM (SELECT pt0.patient_key, lv.level FROM pt0 CROSS JOIN ({levels}) lv) g "
            f"JOIN {patient} ON {patient}.patient_key = g.patient_key {' '.join(joins)})"
        )
        level = "lg"
        if flags is not None:
            summary = self._summary(Scope.LEVEL, flags, "l_")
            passed = [*self._names(self._summary(Scope.PATIENT, flags, "p_")), *(f"pt__{c}" for c in pt_cols),
                      *(f"l__{c}" for c in side_l), *(f"pl__{c}" for c in side_pl)]  # fmt: skip
            ctes.append(f"ls AS (SELECT {', '.join(['patient_key', 'level', *passed, *summary])} FROM lg)")
            level = "ls"
        side_cols = [carried(c, "pt", "l", "pl") for c in self._criterion_columns(Scope.SIDE)]
        reads = " ".join(side_cols)
        joins = [
            sql
            for alias, sql in (
                ("s.", "LEFT JOIN level_sides s ON s.patient_key = g.patient_key AND s.level = g.level "
                       "AND s.side = g.side"),
                ("e.", "LEFT JOIN epidurogram e ON e.patient_key = g.patient_key AND e.level = g.level "
                       "AND e.side = g.side"),
            )
            if re.search(r"\b" + re.escape(alias), reads)
        ]  # fmt: skip
        ctes.append(
            f"sg AS (SELECT {', '.join(['g.*', *side_cols])} "
            f"FROM (SELECT {level}.*, sd.side FROM {level} CROSS JOIN ({sides}) sd) g {' '.join(joins)})"
        )
        if flags is not None:
            kept = [*self._names(self._summary(Scope.PATIENT, flags, "p_")),
                    *self._names(self._summary(Scope.LEVEL, flags, "l_"))]  # fmt: skip
            summary = self._summary(Scope.SIDE, flags, "s_")
            ctes.append(
                f"ss AS (SELECT {', '.join(['patient_key', 'level', 'side', *kept, *summary])} FROM sg)"
            )
        return ctes


def _patient_column(path: str) -> str:
    """The ``patients`` column of a patient-level leaf (``exam.abi.left`` -> ``exam_abi_left``)."""
    return "_".join(leaf(path).attrs)


def compile_ruleset(rules: RuleSet) -> Compiler:
    """The compiled form of a rule set, kept in the rule set's own runner store."""
    store = rules.runner_store()
    found = store.get("sql")
    if not isinstance(found, Compiler):
        found = Compiler(rules)
        store["sql"] = found
    return found
