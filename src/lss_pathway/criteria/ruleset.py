"""The rule-set model: versioned, sourced criteria that round-trip through YAML.

A rule set may ``extend`` a released one: it inherits the parent's sources, parameters, criteria and hold
table, may ``remove`` criteria by id, and replaces a criterion or parameter by giving the same id. Variants
therefore differ only in data.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_serializer, field_validator

from lss_pathway.criteria.expressions import Compare, Expr, Param, dump_expr, parse_expr, walk
from lss_pathway.criteria.facts import Scope
from lss_pathway.domain.vocabulary import PathwayStep


class Verification(StrEnum):
    """The digest's tags: verified, partly verified, recalled (unverified), unknown."""

    V = "V"
    P = "P"
    R = "R"
    U = "U"

    @property
    def label(self) -> str:
        return {"V": "verified", "P": "partly verified", "R": "unverified", "U": "unverified"}[self.value]


_STRENGTH = {Verification.V: 3, Verification.P: 2, Verification.R: 1, Verification.U: 0}


def weakest(levels: list[Verification]) -> Verification:
    return min(levels, key=lambda v: _STRENGTH[v]) if levels else Verification.U


class Kind(StrEnum):
    INDICATION = "indication"
    CONTRAINDICATION = "contraindication"
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"
    COVERAGE = "coverage"
    CONSISTENCY = "consistency"

    @property
    def blocks_when_not_met(self) -> str:
        """How an unmet criterion of this kind is described to a clinician."""
        return {
            "indication": "indication not met",
            "contraindication": "contraindication present",
            "inclusion": "inclusion criterion not met",
            "exclusion": "exclusion criterion present",
            "coverage": "coverage requirement not met",
            "consistency": "recorded readings contradict each other",
        }[self.value]


class Phase(StrEnum):
    PRE_PROCEDURE = "pre_procedure"
    INTRA_PROCEDURE = "intra_procedure"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Data):
    citation: str
    url: str


class Parameter(_Data):
    value: float | int | bool | str
    unit: str | None = None
    source: str
    verification: Verification
    note: str | None = None


class HoldRule(_Data):
    """How long an agent is stopped before a high-risk procedure, per the cited guideline."""

    stop_days: float | None = Field(None, ge=0, description="None: no fixed interval; agree with prescriber")
    requires: str | None = Field(None, description="An additional requirement, e.g. a normal INR")
    restart: str | None = None
    source: str
    verification: Verification
    note: str | None = None


class Criterion(_Data):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Kind
    scope: Scope
    phase: Phase = Phase.PRE_PROCEDURE
    statement: str = Field(description="Clinician-readable requirement; {param} placeholders are filled in")
    source: str
    verification: Verification
    test: Expr
    confirmation: bool = Field(
        False,
        description=(
            "A check clinicians confirm before the procedure rather than record routinely: while nothing "
            "about it is recorded the cell may still be a candidate, with this listed as pending; recorded "
            "as failed, it blocks. Intra-procedure criteria are always confirmations."
        ),
    )
    when_not_met: Literal["block", "condition"] = Field(
        "block",
        description="'condition': never blocks; while not met or unknown, a candidate carries it as such",
    )
    routes_to: tuple[PathwayStep, ...] = Field(
        (), description="The pathway steps suggested when not met (one step or a list)"
    )
    note: str | None = None

    @field_validator("routes_to", mode="before")
    @classmethod
    def _one_or_more_steps(cls, value: Any) -> Any:
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else value

    @field_serializer("routes_to")
    def _dump_steps(self, value: tuple[PathwayStep, ...]) -> str | list[str] | None:
        if not value:
            return None
        return value[0].value if len(value) == 1 else [v.value for v in value]

    @property
    def is_confirmation(self) -> bool:
        return self.confirmation or self.phase is Phase.INTRA_PROCEDURE

    @property
    def blocks(self) -> bool:
        """Whether "not met" makes the cell not a candidate (a condition-only criterion never does)."""
        return self.when_not_met == "block"

    @field_validator("test", mode="before")
    @classmethod
    def _parse_test(cls, value: Any) -> Expr:
        if isinstance(value, dict):
            return parse_expr(value)
        return value  # type: ignore[no-any-return]

    @field_serializer("test")
    def _dump_test(self, value: Expr) -> dict[str, Any]:
        return dump_expr(value)

    def params(self) -> list[str]:
        names = [
            n.value.name for n in walk(self.test) if isinstance(n, Compare) and isinstance(n.value, Param)
        ]
        names += re.findall(r"\{([a-z0-9_]+)\}", self.statement)
        return list(dict.fromkeys(names))


class _RunnerStore:
    """What runners derive from one rule set object (compiled criteria), tied to that very object.

    pydantic shares private attributes with a ``model_copy`` (which may replace the criteria), so the store
    remembers its owner weakly and a copy, a deep copy or an unpickled rule set starts with an empty one.
    """

    __slots__ = ("entries", "owner")

    def __init__(self, owner: RuleSet | None = None):
        self.owner = None if owner is None else weakref.ref(owner)
        self.entries: dict[str, Any] = {}

    def __reduce__(self) -> tuple[type[_RunnerStore], tuple[()]]:
        return _RunnerStore, ()

    def __eq__(self, other: object) -> bool:
        """Scratch space is no part of a rule set's identity: equal rule sets stay equal once run."""
        return isinstance(other, _RunnerStore)

    __hash__ = None  # type: ignore[assignment]


class RuleSet(_Data):
    id: str = Field(pattern=r"^[a-z][a-z0-9.\-]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: str
    description: str
    status: str = Field("released", pattern=r"^(released|draft)$")
    verified_as_of: dt.date | None = Field(
        None, description="The date the sources' text (e.g. a payer's coverage text) was last checked"
    )
    extends: str | None = Field(None, description="NAME@VERSION of a released rule set")
    remove: list[str] = Field(default_factory=list, description="Inherited criterion ids to drop")
    sources: dict[str, Source] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    criteria: list[Criterion] = Field(default_factory=list)
    antithrombotic_holds: dict[str, HoldRule] = Field(default_factory=dict)
    _runners: _RunnerStore = PrivateAttr(default_factory=_RunnerStore)

    def runner_store(self) -> dict[str, Any]:
        """Scratch space where runners keep what they compile from this object, keyed by runner name.

        Owned by the rule set, so it lives and dies with it: a rule set garbage-collected can never lend
        its compiled criteria to a new one that happens to reuse its address.
        """
        store = self._runners
        if store.owner is None or store.owner() is not self:
            store = _RunnerStore(self)
            self._runners = store
        return store.entries

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def param_value(self, name: str) -> Any:
        return self.parameters[name].value

    def statement(self, criterion: Criterion) -> str:
        """The statement with its parameters filled in from this rule set's data."""
        cached = self._statements.get(criterion.id)
        if cached is not None and criterion is self._criteria_by_id.get(criterion.id):
            return cached
        return self._fill(criterion)

    def _fill(self, criterion: Criterion) -> str:
        def fill(match: re.Match[str]) -> str:
            param = self.parameters.get(match.group(1))
            if param is None:
                return match.group(0)
            return f"{param.value:g}" if isinstance(param.value, float) else str(param.value)

        return re.sub(r"\{([a-z0-9_]+)\}", fill, criterion.statement)

    @cached_property
    def _criteria_by_id(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.criteria}

    @cached_property
    def _statements(self) -> dict[str, str]:
        """Filled statements, computed once: released rule sets never change."""
        return {c.id: self._fill(c) for c in self.criteria}

    def verification_of(self, criterion: Criterion) -> Verification:
        """A criterion is only as verified as the weakest of its own tag and the parameters it reads."""
        if criterion is self._criteria_by_id.get(criterion.id):
            return self._verifications[criterion.id]
        return self._weakest_for(criterion)

    @cached_property
    def _verifications(self) -> dict[str, Verification]:
        return {c.id: self._weakest_for(c) for c in self.criteria}

    def _weakest_for(self, criterion: Criterion) -> Verification:
        tags = [criterion.verification]
        tags += [self.parameters[n].verification for n in criterion.params() if n in self.parameters]
        return weakest(tags)


def merge(parent: RuleSet, child: RuleSet) -> RuleSet:
    """Resolve ``child extends parent`` into one self-contained rule set."""
    criteria = [c for c in parent.criteria if c.id not in set(child.remove)]
    by_id = {c.id: i for i, c in enumerate(criteria)}
    for criterion in child.criteria:
        if criterion.id in by_id:
            criteria[by_id[criterion.id]] = criterion
        else:
            by_id[criterion.id] = len(criteria)
            criteria.append(criterion)
    return child.model_copy(
        update={
            "sources": {**parent.sources, **child.sources},
            "parameters": {**parent.parameters, **child.parameters},
            "criteria": criteria,
            "antithrombotic_holds": {**parent.antithrombotic_holds, **child.antithrombotic_holds},
        }
    )
