"""Assembling one patient record from facts found in many places (FHIR resources, report text, images).

Every edge that extracts facts (the FHIR mapping, report NLP, imaging measurement) feeds them here, each
with a label saying where it came from. The same fact stated twice with different values is a
contradiction naming both sources; the nested record data (levels with their sides, antithrombotic
agents, prior procedures) is built from the flat facts; record validation errors name the source of the
value they concern (blame); and lists follow one rule: an item named makes the list known, a statement
that the list is empty makes it ``[]``, anything that names an item only vaguely makes it unknown.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.parsing import FieldError, InputError, record_from_data
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.scope import check_scope

Key = tuple[Any, ...]
"""A fact's place: the record path, with ``Level`` / ``Side`` members and agent keys as parts."""
LISTED = "listed"
ANTITHROMBOTICS = "safety.antithrombotics"
PRIOR_PROCEDURES = "prior_procedures"
OTHER_AGENT = "other_antithrombotic"
NAME_SEP = "\x00"
"""Separates ``other_antithrombotic`` from the drug's name in an agent key (one entry per name)."""


def show(value: Any) -> str:
    if isinstance(value, Enum):
        return repr(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value)


def key_path(key: Key) -> str:
    out = ""
    for i, part in enumerate(key):
        if isinstance(part, Enum) or (i == 2 and key[:2] == ("safety", "antithrombotics")):
            text = part.value if isinstance(part, Enum) else str(part).replace(NAME_SEP, ":")
            out += f"[{text}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def blamed(err: FieldError, blame: dict[str, str]) -> FieldError:
    """The error with the sources of the values under its field appended."""
    if not err.field:
        return err
    labels = [
        label
        for path, label in blame.items()
        if path == err.field or path.startswith((err.field + ".", err.field + "["))
    ]
    if not labels:
        return err
    return FieldError(err.field, f"{err.message} (from {', '.join(dict.fromkeys(labels))})")


def agent_entry(key: str) -> dict[str, Any]:
    agent, _, name = key.partition(NAME_SEP)
    return {"agent": agent, "name": name} if name else {"agent": agent}


class FactAssembly:
    """The facts found so far about one patient, with where each came from."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.facts: dict[Key, tuple[Any, str]] = {}
        self.levels: dict[Level, dict[Side, None]] = {}
        self.epidurogram: dict[tuple[Level, Side], None] = {}
        self.agents: dict[str, str] = {}  # agent key -> label of the first source naming it
        self.uncertain: list[str] = []  # labels naming an antithrombotic whose agent is not identified
        self.procedures: list[tuple[dict[str, Any], str]] = []
        self.uncertain_procedures: list[str] = []  # labels naming a spine operation not identified
        self.unsupported_lists: list[tuple[str, str]] = []  # (field, what): said non-empty, none named

    def set(self, key: Key, value: Any, label: str) -> None:
        """Record a fact; a different value for the same fact is a contradiction naming both sources."""
        old = self.facts.get(key)
        if old is None:
            self.facts[key] = (value, label)
        elif old[0] != value:
            self.errors.append(
                FieldError(
                    key_path(key),
                    f"contradiction: {old[1]} says {show(old[0])} but {label} says {show(value)}",
                )
            )

    def touch_level(self, level: Level, side: Side | None = None) -> None:
        """The level (and side) exists in the imaging report, whatever else is known about it."""
        sides = self.levels.setdefault(level, {})
        if side is not None:
            sides.setdefault(side, None)

    def claim_list(self, field: str, has_items: bool, label: str) -> None:
        """A source says whether the list (antithrombotics, prior procedures) has any item."""
        self.set((LISTED, field), has_items, label)

    def build(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The nested record data and, for each of its paths, the label of the source it came from."""
        data: dict[str, Any] = {}
        blame: dict[str, str] = {}
        level_facts: dict[Level, dict[str, Any]] = {lv: {} for lv in self.levels}
        side_facts: dict[tuple[Level, Side], dict[str, Any]] = {
            (lv, sd): {} for lv, sides in self.levels.items() for sd in sides
        }
        epi_facts: dict[tuple[Level, Side], dict[str, Any]] = {cell: {} for cell in self.epidurogram}
        agent_facts: dict[str, dict[str, Any]] = {agent: {} for agent in self.agents}
        for key, (value, label) in self.facts.items():
            if key[0] == LISTED:
                continue
            if key[:2] == ("imaging", "levels"):
                if key[3] == "sides":
                    side_facts[(key[2], key[4])][key[5]] = (value, label)
                else:
                    level_facts[key[2]][key[3]] = (value, label)
            elif key[0] == "procedure":
                epi_facts[(key[2], key[3])][key[4]] = (value, label)
            elif key[:2] == ("safety", "antithrombotics"):
                agent_facts[key[2]][key[3]] = (value, label)
            else:
                node = data
                for part in key[:-1]:
                    node = node.setdefault(part, {})
                node[key[-1]] = value.value if isinstance(value, Enum) else value
                blame[".".join(str(p.value if isinstance(p, Enum) else p) for p in key)] = label

        def fill(target: dict[str, Any], facts: dict[str, Any], path: str) -> dict[str, Any]:
            for name, (value, label) in facts.items():
                target[name] = value.value if isinstance(value, Enum) else value
                blame[f"{path}.{name}"] = label
            return target

        levels = []
        for i, (level, sides) in enumerate(self.levels.items()):
            entry = fill({"level": level.value}, level_facts[level], f"imaging.levels[{i}]")
            entry["sides"] = [
                fill({"side": side.value}, side_facts[(level, side)], f"imaging.levels[{i}].sides[{j}]")
                for j, side in enumerate(sides)
            ]
            levels.append(entry)
        if levels:
            data.setdefault("imaging", {})["levels"] = levels
        if self.epidurogram:
            data["procedure"] = {
                "epidurogram": [
                    fill(
                        {"level": lv.value, "side": sd.value},
                        epi_facts[(lv, sd)],
                        f"procedure.epidurogram[{i}]",
                    )
                    for i, (lv, sd) in enumerate(self.epidurogram)
                ]
            }
        antithrombotics = self.listed(
            ANTITHROMBOTICS, [*self.agents.values(), *self.uncertain], "antithrombotic"
        )
        if self.uncertain:
            antithrombotics = None
        elif self.agents:
            antithrombotics = [
                fill(agent_entry(agent), agent_facts[agent], f"safety.antithrombotics[{i}]")
                for i, agent in enumerate(self.agents)
            ]
        if antithrombotics is not None:
            data.setdefault("safety", {})["antithrombotics"] = antithrombotics
        prior = self.listed(
            PRIOR_PROCEDURES,
            [*(label for _, label in self.procedures), *self.uncertain_procedures],
            "prior spine procedure",
        )
        if self.uncertain_procedures:
            prior = None
        elif self.procedures:
            prior = [entry for entry, _ in self.procedures]
            for i, (_, label) in enumerate(self.procedures):
                blame[f"prior_procedures[{i}]"] = label
        if prior is not None:
            data["prior_procedures"] = prior
        return data, blame

    def listed(self, field: str, labels: list[str], what: str) -> list[Any] | None:
        """[] when a source says the list is empty (and none names an item), else None (unknown)."""
        claim = self.facts.get((LISTED, field))
        if claim is None:
            return None
        value, label = claim
        if value is False:
            if labels:
                self.errors.append(
                    FieldError(field, f"contradiction: {label} says there is none but {labels[0]} names one")
                )
            return []
        if not labels:
            self.unsupported_lists.append((field, what))
        return None

    def record(
        self, data: dict[str, Any], blame: dict[str, str], today: dt.date | None = None
    ) -> PatientRecord:
        """The validated record (in the tool's scope); errors name the sources of the values concerned.

        ``today``: the calling edge's date, which dates in the record may not pass."""
        if self.errors:
            raise InputError(self.errors)
        try:
            return check_scope(record_from_data(data, today=today), today)
        except InputError as exc:
            raise InputError([blamed(err, blame) for err in exc.errors]) from None
