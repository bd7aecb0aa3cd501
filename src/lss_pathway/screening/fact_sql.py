"""The compiled runner's side of the fact catalogue: each declared fact as a column expression.

``criteria.facts`` declares every fact a rule may read; the per-patient runner reads them from a record
(``criteria.python_runner``) and this module gives the same facts over the columnar projection
(``domain.schema``), for the screening query ``screening.compiler`` builds. A raw fact is its column (a
patient fact on ``pt``, a level finding on ``l``, a side finding on ``s``); a derived fact is an
expression over columns the query prepares (``pt``'s derived columns, the per-level procedure rows ``pl``,
the epidurogram row ``e``). NULL is unknown, exactly where the Python runner returns ``None``.

The SQL is written in the portable subset that DuckDB runs and sqlglot translates for Spark: no macros,
no dialect-only functions; dates through ``year``/``month``/``day``, ``date_diff`` and ``add_months``
(a DuckDB macro the runner defines, Spark's own function).
"""

from __future__ import annotations

from lss_pathway.criteria.facts import FactSpec, Scope
from lss_pathway.domain.schema import leaf


class NoColumn(KeyError):
    """A fact the compiled runner cannot read (a new derivation without its SQL)."""


def months_between(start: str, end: str) -> str:
    """Calendar months as ``python_runner._months_between`` counts them: whole months by the calendar
    (a study on 31 January is one month old on 28/29 February), then the part month as days over that
    month's length, rounded to two decimals. Expects ``start`` and ``end`` to be plain column names."""
    whole0 = f"((year({end}) - year({start})) * 12 + month({end}) - month({start}))"
    whole = f"({whole0} - CASE WHEN add_months({start}, {whole0}) > {end} THEN 1 ELSE 0 END)"
    anchor = f"add_months({start}, {whole})"
    following = f"add_months({start}, {whole} + 1)"
    return (
        f"round({whole} + date_diff('day', {anchor}, {end}) * 1.0 "
        f"/ date_diff('day', {anchor}, {following}), 2)"
    )


# Derived facts: the column of ``pt`` (the patients CTE with its derived columns) or a per-cell expression.
DERIVED: dict[str, str] = {
    "age": "pt.d_age",
    "months_since_imaging": "pt.d_months_since_imaging",
    "weeks_since_last_esi": "pt.d_weeks_since_last_esi",
    "any_procedure_at_level": (
        "CASE WHEN NOT pt.prior_procedures_recorded THEN NULL WHEN pl.any_here THEN TRUE "
        "WHEN pt.d_any_levels_unknown THEN NULL ELSE FALSE END"
    ),
    "open_surgery_at_level": (
        "CASE WHEN NOT pt.prior_procedures_recorded THEN NULL WHEN pl.open_here THEN TRUE "
        "WHEN pt.d_open_levels_unknown THEN NULL ELSE FALSE END"
    ),
    "any_lumbar_surgery": "pt.d_any_lumbar_surgery",
    "months_since_lumbar_surgery": "pt.d_months_since_lumbar_surgery",
    "no_cauda_equina_emergency": "(NOT pt.d_ces_emergency)",
    "long_standing_cauda_equina_cleared": "pt.d_ces_cleared",
    "sexual_dysfunction_days": "pt.d_sexual_days",
    "no_neurologic_deficit_found": "CASE WHEN pt.exam_neurologic_deficit = 'none' THEN TRUE END",
    "epidurogram_appreciated": "e.appreciated",
}
"""The SQL of every derivation the catalogue names (a test keeps the two in step)."""


def fact_column(spec: FactSpec) -> str:
    """The column expression of a declared fact in the cell query."""
    if spec.derivation is not None:
        try:
            return DERIVED[spec.derivation]
        except KeyError:
            raise NoColumn(f"no SQL for the derived fact {spec.path} ({spec.derivation})") from None
    if spec.scope is Scope.LEVEL:
        return "l." + leaf("imaging.levels[]." + spec.path.removeprefix("level.")).name
    if spec.scope is Scope.SIDE:
        return "s." + leaf("imaging.levels[].sides[]." + spec.path.removeprefix("side.")).name
    return "pt." + "_".join(leaf(spec.path).attrs)
