"""Evaluate one criterion's test in a context and keep the reasoning as an explanation tree.

Every node carries its three-valued result, the facts it read, and, when unknown, exactly which inputs
would settle it. A settled node reports no missing facts: a conjunction that is already not met does not
ask for more data. Contradicting readings of one finding are carried up as ``conflicts`` whatever the
node's value, so that a contradiction is never resolved silently by the logic around it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lss_pathway.criteria.expressions import (
    OPS,
    Agree,
    AllOf,
    AnyOf,
    Compare,
    Consistent,
    Expr,
    Hold,
    Not,
    Param,
    unsupported,
)
from lss_pathway.criteria.facts import FactSpec, Scope, fact_catalogue
from lss_pathway.criteria.logic import Tri, all_of, any_of
from lss_pathway.criteria.python_runner import Context, FactReader, fact_reader
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.drugs import agent_label


@dataclass(frozen=True, slots=True)
class Condition:
    """Something that must be done before the procedure for a criterion to hold (e.g. hold an agent)."""

    action: str
    source: str
    url: str
    verification: str


@dataclass(frozen=True, slots=True)
class Node:
    label: str
    value: Tri
    facts: tuple[tuple[str, Any], ...] = ()
    missing: tuple[str, ...] = ()
    children: tuple[Node, ...] = ()
    conditions: tuple[Condition, ...] = field(default=())
    conflicts: tuple[str, ...] = ()
    """"Reconcile" items: readings of one finding that contradict each other, anywhere below this node."""
    unsettled: bool = False
    """A recorded item whose own answer is still open (an antithrombotic listed, its hold not yet agreed)."""
    contested_below: bool = False
    """A verdicts-only node keeps no children: whether one of them was not met or contested."""

    def contested(self) -> bool:
        """Whether something recorded speaks against this node: a part not met, or an item left open.

        A confirmation that nothing speaks against is still pending (e.g. the left ABI normal, the right not
        measured); one that something speaks against needs the rest recorded to be decided.
        """
        if self.value is Tri.MET:
            return False  # met: the alternatives it did not need (ABI 1.0 is not also above 1.40) say nothing
        return (
            self.unsettled
            or self.contested_below
            or any(c.value is Tri.NOT_MET or c.contested() for c in self.children)
        )


def verdicts_only(node: Node) -> Node:
    """The node as a verdict reads it (value, what to document, conditions, conflicts, whether something
    speaks against it), without the facts read and the sub-nodes an explanation shows."""
    if not node.children and not node.facts:
        return node
    return Node(
        node.label,
        node.value,
        (),
        node.missing,
        (),
        node.conditions,
        node.conflicts,
        node.unsettled,
        node.contested(),
    )


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _conflicts(children: tuple[Node, ...]) -> tuple[str, ...]:
    return _dedupe([k for c in children for k in c.conflicts])


def _reading(node: Node) -> str:
    """What one reading recorded, e.g. ``imaging.levels[L4-L5].canal_area_mm2 = 70``."""
    known: list[str] = []

    def collect(n: Node) -> None:
        known.extend(f"{fact} = {_fmt(value)}" for fact, value in n.facts if value is not None)
        for child in n.children:
            collect(child)

    collect(node)
    return " and ".join(dict.fromkeys(known)) or node.label


def _conflict(children: tuple[Node, ...]) -> str:
    """Name both sides: the readings that say "met" against those that say "not met"."""
    met = [_reading(c) for c in children if c.value is Tri.MET]
    not_met = [_reading(c) for c in children if c.value is Tri.NOT_MET]
    return f"reconcile: {'; '.join(met)} contradicts {'; '.join(not_met)}"


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return "{" + ", ".join(_fmt(v) for v in value) + "}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda actual, expected: actual in expected,
    "not_in": lambda actual, expected: actual not in expected,
}

Compiled = Callable[[Context], Node]


def _missing(spec: FactSpec, reader: FactReader, ctx: Context) -> tuple[str, ...]:
    """Name the smallest thing to document: a whole unreported level or side rather than each field."""
    if spec.from_imaging:
        if ctx.level_findings is None:
            return (f"imaging.levels[{ctx.level}] (level not reported)",)
        if spec.scope is Scope.SIDE and ctx.side_findings is None:
            return (f"imaging.levels[{ctx.level}].sides[{ctx.side}] (side not reported)",)
    return reader.locate(ctx)


def compile_expr(expr: Expr, rules: RuleSet, explain: bool = True) -> Compiled:
    """Resolve everything static (fact specs, parameters, labels) once, leaving only per-patient work.

    ``explain=False`` compiles for verdicts only: the same logic, but comparisons do not record where
    their fact was read and the criterion's node keeps no sub-nodes (see ``verdicts_only``). Readings
    under ``agree`` and ``consistent`` are read in full, because a contradiction names them in its
    reconcile item.
    """
    compiled = _compile(expr, rules, explain)
    return compiled if explain else _pruned(compiled)


def _compile(expr: Expr, rules: RuleSet, explain: bool) -> Compiled:
    match expr:
        case Compare():
            return _compile_compare(expr, rules, explain)
        case AllOf(items) | AnyOf(items):
            return _compile_kleene(expr, tuple(_compile(item, rules, explain) for item in items))
        case Agree(items):
            return _compile_agree(tuple(_compile(item, rules, True) for item in items))
        case Consistent(items):
            return _compile_consistent(tuple(_compile(item, rules, True) for item in items))
        case Not(item):
            return _compile_not(_compile(item, rules, explain))
        case Hold():

            def hold(ctx: Context) -> Node:
                return _hold(ctx, rules)

            return hold
        case _:
            unsupported(expr, "compile_expr")


def _pruned(compiled: Compiled) -> Compiled:
    return lambda ctx: verdicts_only(compiled(ctx))


def _compile_compare(expr: Compare, rules: RuleSet, explain: bool) -> Compiled:
    spec = fact_catalogue()[expr.fact]
    reader = fact_reader(spec)
    expected = rules.param_value(expr.value.name) if isinstance(expr.value, Param) else expr.value
    label = f"{expr.fact} {OPS[expr.op]} {_fmt(expected)}"
    test = _OPERATORS[expr.op]
    unknown_facts = ((expr.fact, None),) if explain else ()
    met, not_met = Node(label, Tri.MET), Node(label, Tri.NOT_MET)

    def value_only(ctx: Context) -> Node:
        """For verdicts only: the value, and what to document while unknown."""
        actual = reader.get(ctx)
        if actual is None:
            return Node(label, Tri.UNKNOWN, unknown_facts, _missing(spec, reader, ctx))
        return met if test(actual, expected) else not_met

    def compare(ctx: Context) -> Node:
        actual = reader.get(ctx)
        if actual is None:
            return Node(label, Tri.UNKNOWN, unknown_facts, _missing(spec, reader, ctx))
        located = reader.locate(ctx)
        shown = located[0] if len(located) == 1 else f"{spec.path} ({ctx.where() or 'patient'})"
        return Node(label, Tri.MET if test(actual, expected) else Tri.NOT_MET, ((shown, actual),))

    return compare if explain else value_only


def _compile_kleene(expr: AllOf | AnyOf, items: tuple[Compiled, ...]) -> Compiled:
    combine = all_of if isinstance(expr, AllOf) else any_of
    label = "all of" if isinstance(expr, AllOf) else "any of"

    def combined(ctx: Context) -> Node:
        children = tuple(item(ctx) for item in items)
        value = combine(c.value for c in children)
        conflicts = _conflicts(children)
        if value is Tri.UNKNOWN:
            missing = _dedupe([m for c in children if c.value is Tri.UNKNOWN for m in c.missing])
            return Node(label, value, (), missing, children, (), conflicts)
        conditions = tuple(k for c in children if c.value is Tri.MET for k in c.conditions)
        return Node(label, value, (), (), children, conditions if value is Tri.MET else (), conflicts)

    return combined


def _compile_agree(measures: tuple[Compiled, ...]) -> Compiled:
    def agreed(ctx: Context) -> Node:
        children = tuple(item(ctx) for item in measures)
        known = {c.value for c in children if c.value is not Tri.UNKNOWN}
        below = _conflicts(children)
        if len(known) == 1:
            return Node("agreeing measures", known.pop(), (), (), children, (), below)
        if not known:
            missing = _dedupe([m for c in children for m in c.missing])
            return Node("agreeing measures", Tri.UNKNOWN, (), missing, children, (), below)
        conflict = _conflict(children)
        return Node(
            "agreeing measures (they conflict)",
            Tri.UNKNOWN,
            (),
            (conflict,),
            children,
            (),
            (*below, conflict),
        )

    return agreed


def _compile_consistent(readings: tuple[Compiled, ...]) -> Compiled:
    def consistent(ctx: Context) -> Node:
        children = tuple(item(ctx) for item in readings)
        known = {c.value for c in children if c.value is not Tri.UNKNOWN}
        below = _conflicts(children)
        if len(known) <= 1:
            return Node("readings agree", Tri.MET, (), (), children, (), below)
        conflict = _conflict(children)
        return Node("readings contradict", Tri.UNKNOWN, (), (conflict,), children, (), (*below, conflict))

    return consistent


def _compile_not(inner: Compiled) -> Compiled:
    def negated(ctx: Context) -> Node:
        child = inner(ctx)
        return Node("not", ~child.value, (), child.missing, (child,), (), child.conflicts)

    return negated


def evaluate(expr: Expr, ctx: Context, rules: RuleSet) -> Node:
    """Evaluate once; hot paths use ``compile_expr`` and reuse the result across patients."""
    return compile_expr(expr, rules)(ctx)


def _hold(ctx: Context, rules: RuleSet) -> Node:
    """Each current antithrombotic that can be held becomes a condition; one that cannot blocks."""
    agents = ctx.record.safety.antithrombotics
    label = "every current antithrombotic can be held for its interval"
    if agents is None:
        return Node(label, Tri.UNKNOWN, (("safety.antithrombotics", None),), ("safety.antithrombotics",))
    children: list[Node] = []
    for i, agent in enumerate(agents):
        where = f"safety.antithrombotics[{i}]"
        name = agent_label(agent.agent) + (f" ({agent.name})" if agent.name else "")
        rule = rules.antithrombotic_holds.get(agent.agent)
        facts: tuple[tuple[str, Any], ...] = (
            (f"{where}.agent", agent.agent),
            (f"{where}.can_be_held", agent.can_be_held),
            (f"{where}.days_held", agent.days_held),
        )
        if rule is None and agent.can_be_held is False:
            children.append(Node(f"{name} cannot be held", Tri.NOT_MET, facts))
            continue
        if rule is None:
            children.append(
                Node(
                    f"{name}: no hold interval in rule set {rules.ref}",
                    Tri.UNKNOWN,
                    facts,
                    (f"hold interval for {agent.agent} (add to the rule set or decide with the prescriber)",),
                )
            )
            continue
        source = rules.sources[rule.source]
        interval = (
            f"stop {rule.stop_days:g} days before"
            if rule.stop_days is not None
            else "hold decided with the prescriber (no fixed interval)"
        )
        if rule.requires:
            interval += f", and {rule.requires}"
        if rule.restart:
            interval += f"; restart {rule.restart} after"
        # can_be_held alone decides, so that learning days_held can never flip the verdict.
        if agent.can_be_held is True:
            stop, held = rule.stop_days, agent.days_held
            if stop is not None and held is not None and held >= stop:
                action = f"{name}: held {held:g} days already; keep held until the procedure ({interval})"
            elif stop is not None and held is not None and held > 0:
                action = f"{name}: held {held:g} of {stop:g} days; {stop - held:g} more ({interval})"
            else:
                action = f"{name}: {interval}"
            condition = Condition(action, source.citation, source.url, rule.verification.value)
            children.append(Node(f"{name} can be held ({interval})", Tri.MET, facts, (), (), (condition,)))
        elif agent.can_be_held is False:
            children.append(Node(f"{name} cannot be held", Tri.NOT_MET, facts))
        else:
            children.append(
                Node(
                    f"{name}: can it be held?", Tri.UNKNOWN, facts, (f"{where}.can_be_held",), unsettled=True
                )
            )
    value = all_of(c.value for c in children)
    missing = _dedupe([m for c in children for m in c.missing]) if value is Tri.UNKNOWN else ()
    conditions = tuple(k for c in children for k in c.conditions) if value is Tri.MET else ()
    return Node(label, value, (), missing, tuple(children), conditions)
