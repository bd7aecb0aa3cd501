"""What a reader kept and what it skipped, so that nothing is lost silently on a long run.

A bad line, an unreadable resource or a record that fails validation is skipped with its place (file and
line, or table and row) and the reason, and the run goes on; the screen prints the counts and writes the
list beside its outputs. Input that cannot be screened at all (a missing folder, no patients file, a
table without its required columns) raises ``InputError`` instead, which the CLI turns into exit 2.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class InputError(ValueError):
    """The source cannot be screened at all; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str
    """The file or table, e.g. ``Condition.000.ndjson`` or ``condition_occurrence``."""
    line: int | None
    """1-based line (NDJSON, CSV) or row number; ``None`` when it concerns a whole patient or file."""
    reason: str
    """Why, without patient identifiers (no names, no record ids)."""


@dataclass(slots=True)
class InputReport:
    patients: int = 0
    """Patients written to the tables."""
    skipped: list[Skipped] = field(default_factory=list)
    read: Counter[str] = field(default_factory=Counter)
    """Items read, by kind (resource type or table)."""
    ignored: Counter[str] = field(default_factory=Counter)
    """Items read but not mapped to any fact (e.g. unrelated conditions), by kind; not an error."""

    def skip(self, source: str, line: int | None, reason: str) -> None:
        self.skipped.append(Skipped(source, line, reason))
