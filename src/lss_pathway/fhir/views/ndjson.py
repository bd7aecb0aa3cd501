"""Reading FHIR Bulk Data NDJSON: which files hold a resource type, and every bad line reported.

A line that is not JSON, or not a FHIR resource (an object with a resourceType), is recorded with its
file and line number and the reading goes on: nothing is dropped without a record.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl")


@dataclass(frozen=True)
class LineError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def ndjson_files(source: Path, resource_type: str | None = None) -> list[Path]:
    """NDJSON files of a Bulk export folder (or the file itself); by resource type when the names say so.

    Bulk Data exports name files `<Type>.<n>.ndjson`; when none is named for the type, every NDJSON
    file is read (rows are filtered on resourceType either way).
    """
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: no such file or folder")
    files = sorted(p for p in source.iterdir() if p.is_file() and p.name.endswith(NDJSON_SUFFIXES))
    if not files:
        raise FileNotFoundError(f"{source}: no NDJSON files (*.ndjson, *.ndjson.gz, *.jsonl)")
    if resource_type:
        named = [p for p in files if p.name.split(".")[0] == resource_type]
        return named or files
    return files


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # a GzipFile reads bytes like IO[bytes]
    return path.open("rb")


def read_resources(
    files: Sequence[Path],
    errors: list[LineError],
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Resources of the files in order; bad lines go to `errors`. `progress` gets bytes read so far."""
    done = 0
    for path in files:
        with _open(path) as handle:
            for number, raw in enumerate(handle, start=1):
                done += len(raw)
                if progress is not None and number % 1000 == 0:
                    progress(done)
                if not raw.strip():
                    continue
                try:
                    value = json.loads(raw, parse_float=Decimal)
                except ValueError as exc:
                    errors.append(LineError(str(path), number, f"not JSON ({exc})"))
                    continue
                if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
                    errors.append(LineError(str(path), number, "not a FHIR resource (no resourceType)"))
                    continue
                yield value
    if progress is not None:
        progress(done)


def scan_errors(files: Sequence[Path]) -> list[LineError]:
    """Only the bad lines of the files (used when DuckDB reports malformed input)."""
    errors: list[LineError] = []
    for _ in read_resources(files, errors):
        continue  # reading is what records the errors; the resources themselves are not needed
    return errors


def total_bytes(files: Sequence[Path]) -> int:
    return sum(p.stat().st_size for p in files)
