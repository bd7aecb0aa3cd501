"""Which rule sets exist, and loading one by ``NAME`` (newest version) or ``NAME@VERSION``.

Files are ``data/<id>-<version>.yaml``. A set that ``extends`` another is resolved against the packaged
sets, so variants are stored as differences and evaluated as whole rule sets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from lss_pathway.criteria.expressions import RuleSyntaxError
from lss_pathway.criteria.ruleset import RuleSet, merge

DEFAULT_RULESET = "textbook"
_DATA = "lss_pathway.rulesets"


class RuleSetError(ValueError):
    """A rule set could not be found, parsed or resolved."""


@dataclass(frozen=True)
class Entry:
    id: str
    version: str
    filename: str

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@cache
def available() -> tuple[Entry, ...]:
    """Every packaged rule set version, found by file name only (nothing is parsed)."""
    entries = []
    for item in resources.files(_DATA).joinpath("data").iterdir():
        name = item.name
        if not name.endswith(".yaml") or name == "RELEASED.yaml":
            continue
        stem = name[: -len(".yaml")]
        rid, _, version = stem.rpartition("-")
        entries.append(Entry(rid, version, name))
    return tuple(sorted(entries, key=lambda e: (e.id, _version_key(e.version))))


def _resolve_ref(ref: str) -> Entry:
    rid, _, version = ref.partition("@")
    matches = [e for e in available() if e.id == rid and (not version or e.version == version)]
    if not matches:
        known = ", ".join(sorted({e.ref for e in available()}))
        raise RuleSetError(f"unknown rule set '{ref}'; available: {known}")
    return matches[-1]


def previous_version(rules: RuleSet) -> Entry | None:
    """The packaged version released just before this one, if any: what a reviewer compares it with."""
    earlier = [
        e for e in available() if e.id == rules.id and _version_key(e.version) < _version_key(rules.version)
    ]
    return earlier[-1] if earlier else None


def packaged_text(entry: Entry) -> str:
    return resources.files(_DATA).joinpath("data", entry.filename).read_text(encoding="utf-8")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_ruleset(data: Any, where: str = "rule set") -> RuleSet:
    """Validate raw data into a rule set, without resolving ``extends``."""
    if not isinstance(data, dict):
        raise RuleSetError(f"{where}: expected a mapping, got {type(data).__name__}")
    try:
        return RuleSet.model_validate(data)
    except RuleSyntaxError as exc:
        raise RuleSetError(f"{where}: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise RuleSetError(f"{where}: {problems}") from None


def resolve(rules: RuleSet) -> RuleSet:
    """Merge a rule set with its ancestors."""
    if rules.extends is None:
        return rules
    if "@" not in rules.extends:
        raise RuleSetError(f"{rules.ref}: 'extends' must pin a version (NAME@VERSION), got '{rules.extends}'")
    return merge(load_ruleset(rules.extends), rules)


def ruleset_from_text(text: str, where: str = "rule set") -> RuleSet:
    """Parse a rule set file's text (unresolved); used by the linter on files outside the package."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleSetError(f"{where}: malformed YAML: {exc}") from None
    return parse_ruleset(data, where)


@cache
def load_ruleset(ref: str = DEFAULT_RULESET) -> RuleSet:
    """Load and resolve a packaged rule set; cached, as released sets never change."""
    entry = _resolve_ref(ref)
    rules = ruleset_from_text(packaged_text(entry), entry.filename)
    if (rules.id, rules.version) != (entry.id, entry.version):
        raise RuleSetError(f"{entry.filename}: declares {rules.ref}, which does not match its file name")
    return resolve(rules)
