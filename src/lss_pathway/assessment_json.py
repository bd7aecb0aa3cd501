"""The assessment as JSON, schema 2: each criterion's static text once, explanations only when asked.

Schema 1 (``Assessment.to_dict``) repeats every criterion's statement, source and verification for each
place it was evaluated (67 entries, most of them the same text), describes the levels that were never
imaged one by one, and carries an explanation tree for every entry: 80-120 KB, most of it read by no
one. Schema 2 keeps everything else as it was (the same ``candidacy`` cells, referring to results as
``id@where``, and the same red flags, differential, stenosis, pathway, ICD-10 and missing facts) and
replaces the ``criteria`` list with:

- ``criteria``: a catalogue keyed by criterion id, the static fields once (kind, phase, confirmation,
  when_not_met, statement, verification, source);
- ``results``: keyed by ``id@where``: value, missing facts and conflicts (each left out when empty), and
  with ``explain=True`` the explanation tree;
- ``not_reported``: the levels with no imaging report, and the results they all share, keyed with the
  level written as ``{level}`` (``central_canal_stenosis@{level}``, ``lf_hypertrophy_on_side@{level}
  left``). A result that differs between those levels stays in ``results`` under its own reference.

A cell's reference is found in ``results``, or, for a level listed in ``not_reported.levels``, in
``not_reported.results`` with the level replaced by ``{level}``. Schema 1 stays available (``schema=1``)
for one release.
"""

from __future__ import annotations

from typing import Any, Literal

from lss_pathway.assess import _TRI, Assessment, _node, _to_dict, static_fields
from lss_pathway.criteria.candidacy import CriterionResult
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.anatomy import LEVELS

SCHEMA_VERSION_2 = "2.0"
SchemaVersion = Literal[1, 2]
LEVEL_PLACEHOLDER = "{level}"


def assessment_json(a: Assessment, *, schema: SchemaVersion = 2, explain: bool = False) -> dict[str, Any]:
    """The JSON document of an assessment in the schema asked for (1 always carries explanations)."""
    if schema == 1:
        return a.to_dict()
    catalogue: dict[str, dict[str, Any]] = {}
    results: dict[str, dict[str, Any]] = {}

    def result_entry(rules: RuleSet, result: CriterionResult, where: str) -> dict[str, Any]:
        """The per-place fields in ``results``; the static ones go to the catalogue, once per criterion."""
        criterion = result.criterion
        if criterion.id not in catalogue:
            catalogue[criterion.id] = static_fields(rules, criterion)
        node = result.node
        entry: dict[str, Any] = {"value": _TRI[result.value]}
        if node.missing:
            entry["missing"] = list(node.missing)
        if node.conflicts:
            entry["conflicts"] = list(node.conflicts)
        if explain:
            entry["explanation"] = _node(node)
        results[f"{criterion.id}@{where}"] = entry
        return entry

    document = _to_dict(a.explained() if explain else a, result_entry)
    del document["criteria"]
    levels = [lv.value for lv in LEVELS if a.record.imaging.level(lv) is None]
    shared = _shared_by(levels, results)
    document["schema_version"] = SCHEMA_VERSION_2
    document["explanations"] = "full" if explain else "none"
    document["criteria"] = catalogue
    document["results"] = results
    document["not_reported"] = {"levels": levels, "results": shared}
    return document


def _template(value: Any, level: str) -> Any:
    """The value with the level written as the placeholder, in every string it holds."""
    if isinstance(value, str):
        return value.replace(level, LEVEL_PLACEHOLDER)
    if isinstance(value, list):
        return [_template(v, level) for v in value]
    if isinstance(value, dict):
        return {k: _template(v, level) for k, v in value.items()}
    return value


def _template_result(result: dict[str, Any], level: str) -> dict[str, Any]:
    """``_template`` of one entry of ``results``: its value ("met", ...) never names a level, and its
    missing facts and conflicts are lists of strings; only an explanation tree needs the walk."""
    out: dict[str, Any] = {}
    for key, value in result.items():
        if key == "value":
            out[key] = value
        elif key == "explanation":
            out[key] = _template(value, level)
        else:
            out[key] = [item.replace(level, LEVEL_PLACEHOLDER) for item in value]
    return out


def _shared_by(levels: list[str], results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Move out of ``results`` what every not-reported level has in common (same key and content once the
    level is written as the placeholder); anything that differs between them stays where it was."""
    if not levels:
        return {}
    instances: dict[str, dict[str, tuple[str, Any]]] = {}
    for ref, result in results.items():
        where = ref.partition("@")[2]
        level = where.split(" ", 1)[0]
        if level in levels:
            key = _template(ref, level)
            instances.setdefault(key, {})[level] = (ref, _template_result(result, level))
    shared: dict[str, dict[str, Any]] = {}
    for key, by_level in instances.items():
        contents = [content for _, content in by_level.values()]
        if len(by_level) == len(levels) and all(c == contents[0] for c in contents[1:]):
            shared[key] = contents[0]
            for ref, _ in by_level.values():
                del results[ref]
    return shared
