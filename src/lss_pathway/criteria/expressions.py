"""Criterion tests as data: a small expression tree read from YAML and written back unchanged.

Forms (one key decides the node):

- ``{fact: PATH, op: OP, value: V}`` compares a fact; ``V`` may be ``{param: NAME}`` to use a rule-set
  parameter, so that thresholds are stated once with their source;
- ``{all: [...]}``, ``{any: [...]}``, ``{not: X}`` combine with Kleene logic;
- ``{agree: [...]}`` takes alternative measures of one finding (a Meyerding grade and a slip
  percentage): the known ones decide, and if they disagree the result is unknown, reported as a conflict
  to reconcile. Kleene ``any`` would instead let one unknown measure keep a known "grade II" undecided;
- ``{consistent: [...]}`` checks that alternative readings of one finding do not contradict each other
  (e.g. a Meyerding grade 0 and a slip in mm): met while they agree or too few are known, unknown with a
  "reconcile" item when they disagree; never "not met", so it can only hold a cell back for review;
- ``{hold: antithrombotics}`` checks every current antithrombotic against the rule set's hold table and
  yields conditions (hold X for N days) rather than a flat yes or no.

Kept deliberately free of Python callables so that the same tree can later be compiled to SQL.

Every walk over a tree (dumping, linting, evaluating, describing, compiling) dispatches with ``match`` and
ends in :func:`unsupported`, whose argument is typed ``Never``: mypy then refuses a walk that forgets a
node type, and at run time a node a walk does not know fails loudly instead of falling through to
whatever the last branch happened to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Never, NoReturn

OPS: dict[str, str] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "in": "in",
    "not_in": "not in",
}
Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"]
Scalar = str | int | float | bool


class UnsupportedNode(TypeError):
    """A walk met an expression node it has no rule for (a node type added without teaching it)."""


def unsupported(node: Never, walk: str) -> NoReturn:
    """The last case of every walk: exhaustive for mypy (like ``assert_never``), loud at run time."""
    raise UnsupportedNode(f"{walk}: no rule for expression node {type(node).__name__}")


class RuleSyntaxError(ValueError):
    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True, slots=True)
class Param:
    name: str


@dataclass(frozen=True, slots=True)
class Compare:
    fact: str
    op: Op
    value: Scalar | tuple[Scalar, ...] | Param


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Agree:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Consistent:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr


@dataclass(frozen=True, slots=True)
class Hold:
    what: Literal["antithrombotics"]


Expr = Compare | AllOf | AnyOf | Agree | Consistent | Not | Hold


def parse_expr(data: Any, where: str = "test") -> Expr:
    if not isinstance(data, dict):
        raise RuleSyntaxError(where, f"expected a mapping, got {type(data).__name__}")
    keys = set(data)
    if "fact" in keys:
        extra = keys - {"fact", "op", "value"}
        if extra or keys != {"fact", "op", "value"}:
            raise RuleSyntaxError(where, "a comparison needs exactly 'fact', 'op' and 'value'")
        op = data["op"]
        if op not in OPS:
            raise RuleSyntaxError(where, f"unknown op '{op}'; allowed: {', '.join(OPS)}")
        return Compare(str(data["fact"]), op, _parse_value(data["value"], op, where))
    if len(keys) != 1:
        raise RuleSyntaxError(
            where, f"expected one of fact/all/any/agree/consistent/not/hold, got keys {sorted(keys)}"
        )
    (key,) = keys
    body = data[key]
    if key in ("all", "any", "agree", "consistent"):
        if not isinstance(body, list) or not body:
            raise RuleSyntaxError(where, f"'{key}' needs a non-empty list")
        items = tuple(parse_expr(item, f"{where}.{key}[{i}]") for i, item in enumerate(body))
        if key == "all":
            return AllOf(items)
        if key == "consistent":
            return Consistent(items)
        return AnyOf(items) if key == "any" else Agree(items)
    if key == "not":
        return Not(parse_expr(body, f"{where}.not"))
    if key == "hold":
        if body != "antithrombotics":
            raise RuleSyntaxError(where, "'hold' supports only 'antithrombotics'")
        return Hold("antithrombotics")
    raise RuleSyntaxError(where, f"unknown node '{key}'; expected fact/all/any/agree/consistent/not/hold")


def _parse_value(value: Any, op: str, where: str) -> Scalar | tuple[Scalar, ...] | Param:
    if isinstance(value, dict):
        if set(value) != {"param"}:
            raise RuleSyntaxError(where, "a mapping value must be {param: NAME}")
        return Param(str(value["param"]))
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise RuleSyntaxError(where, f"'{op}' needs a non-empty list value")
        return tuple(value)
    if isinstance(value, list):
        raise RuleSyntaxError(where, f"'{op}' needs a single value, not a list")
    if not isinstance(value, (str, int, float, bool)):
        raise RuleSyntaxError(where, f"unsupported value {value!r}")
    return value


def dump_expr(expr: Expr) -> dict[str, Any]:
    match expr:
        case Compare(fact, op, value):
            shown: Any = value
            if isinstance(value, Param):
                shown = {"param": value.name}
            elif isinstance(value, tuple):
                shown = list(value)
            return {"fact": fact, "op": op, "value": shown}
        case AllOf(items):
            return {"all": [dump_expr(i) for i in items]}
        case AnyOf(items):
            return {"any": [dump_expr(i) for i in items]}
        case Agree(items):
            return {"agree": [dump_expr(i) for i in items]}
        case Consistent(items):
            return {"consistent": [dump_expr(i) for i in items]}
        case Not(item):
            return {"not": dump_expr(item)}
        case Hold(what):
            return {"hold": what}
        case _:
            unsupported(expr, "dump_expr")


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node (none for a comparison or a hold)."""
    match expr:
        case AllOf(items) | AnyOf(items) | Agree(items) | Consistent(items):
            return items
        case Not(item):
            return (item,)
        case Compare() | Hold():
            return ()
        case _:
            unsupported(expr, "children")


def walk(expr: Expr) -> list[Expr]:
    """Every node of the tree, parents before children."""
    out: list[Expr] = [expr]
    for item in children(expr):
        out += walk(item)
    return out
