"""The worked examples offered by "load an example": read from a directory, chosen by name only."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lss_pathway.domain.parsing import parse_record
from lss_pathway.domain.record import PatientRecord

# In a source checkout the examples sit next to src/; an installed wheel has none unless configured.
CHECKOUT_EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@dataclass(frozen=True, slots=True)
class Example:
    name: str
    summary: str
    path: Path


def default_examples_dir() -> Path | None:
    return CHECKOUT_EXAMPLES if CHECKOUT_EXAMPLES.is_dir() else None


def list_examples(directory: Path | None) -> list[Example]:
    if directory is None or not directory.is_dir():
        return []
    paths = sorted(directory.glob("*.yaml"))
    return list(_parsed(tuple((p, p.stat().st_mtime_ns) for p in paths)))


@lru_cache(maxsize=8)
def _parsed(files: tuple[tuple[Path, int], ...]) -> tuple[Example, ...]:
    """Parsed once per set of files and modification times: every form page lists the examples."""
    found = []
    for path, _ in files:
        record = parse_record(path.read_text(encoding="utf-8"), "yaml")
        found.append(Example(path.stem, record.summary or path.stem, path))
    return tuple(found)


def load_example(directory: Path | None, name: str) -> PatientRecord | None:
    """Only a name from the listing is accepted, so a request cannot point at any other file."""
    for example in list_examples(directory):
        if example.name == name:
            return parse_record(example.path.read_text(encoding="utf-8"), "yaml")
    return None
