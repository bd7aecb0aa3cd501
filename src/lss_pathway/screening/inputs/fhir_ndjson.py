"""A FHIR Bulk Data export (NDJSON) read patient by patient into the projection's Parquet tables.

The code meanings are those of ``fhir/``: each patient's resources go through the same validation and the
same reader (``fhir.validation.validate_items``, ``fhir.reader.read_sources``) as a Bundle sent to the API,
so a screen and a single-patient assessment read a chart alike; there is no second code table here.

Memory model. A Bulk export is grouped by resource type, not by patient, and may be far larger than memory.
The reader makes two passes: the first streams every line once (gzip or not), parses it only to find its
type and subject, and appends the raw line to an on-disk SQLite index keyed by the subject's Patient id
(Medication resources by their own id, for ``medicationReference``); the second reads one patient's lines
back from that index, maps them and hands the record to the ``RowSink``. In Python this holds one line,
one insert batch (``_BATCH`` lines) and one patient's resources at a time; SQLite's page cache is capped
(``_CACHE_KIB``). The index is a temporary file inside ``out`` (about the size of the export's mapped
resources, uncompressed), removed when the read ends. Resource types the mapping does not read (Encounter,
Immunization ...) are only counted, never parsed or stored.

Nothing is lost silently: a line that is not JSON, not an object, has no ``resourceType`` or no Patient
subject is skipped with its file and 1-based line; a patient whose resources do not make a valid record in
the tool's scope (an invalid resource, a contradiction, a minor, a deceased patient) is skipped with the
reason, naming the patient by its order in the export ("patient #17"), never by an identifier. The record's
``id`` (the ``patients.id`` column) is the FHIR ``Patient.id``, the link back to the EHR for a shortlist.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import sqlite3
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from lss_pathway.domain.parsing import InputError as RecordError
from lss_pathway.fhir.codes import MAPPED_TYPES
from lss_pathway.fhir.reader import read_sources
from lss_pathway.fhir.validation import validate_items
from lss_pathway.screening.inputs.report import InputError, InputReport
from lss_pathway.screening.sink import RowSink

_FILE = re.compile(r"^(?P<type>[A-Z][A-Za-z]+)(?:\.(?P<part>\d+))?\.ndjson(?:\.gz)?$")
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
_MEDICATION_REF = re.compile(r"(?:^|/)Medication/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
_BATCH = 5_000
_CACHE_KIB = 16_384
_MAX_ERRORS = 5  # errors quoted in one skipped patient's reason; the rest are counted

_SCHEMA = """
CREATE TABLE patient (ordinal INTEGER PRIMARY KEY, fhir_id TEXT UNIQUE, source TEXT, line INTEGER, body BLOB);
CREATE TABLE resource (seq INTEGER PRIMARY KEY, subject TEXT, source TEXT, line INTEGER, body BLOB);
CREATE TABLE medication (fhir_id TEXT PRIMARY KEY, source TEXT, line INTEGER, body BLOB);
"""


def read_fhir_ndjson(
    folder: Path, out: Path, *, today: dt.date, progress: Callable[[int], None] | None = None
) -> InputReport:
    """Read the export in ``folder`` into the projection's tables in ``out``.

    ``today`` is the as-of date of the read: no date in a record may pass it, and ages for the scope rule
    (adults only) are taken on it. Records carry no assessment date (the screen supplies its own).
    ``progress`` is called with the number of patients handled so far (written or skipped), once each.
    """
    files = export_files(folder)
    report = InputReport()
    for path in sorted(folder.iterdir()):
        if path.name.endswith((".ndjson", ".ndjson.gz")) and _FILE.match(path.name) is None:
            report.skip(path.name, None, "not named <Type>.ndjson or <Type>.<NNN>.ndjson: not read")
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=".ndjson-index-", dir=out) as scratch,
        closing(sqlite3.connect(Path(scratch) / "index.sqlite")) as db,
    ):
        db.executescript(
            f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE; "
            f"PRAGMA cache_size=-{_CACHE_KIB};" + _SCHEMA
        )
        _Index(db, report).load(files)
        with RowSink(out) as sink:
            _map_patients(db, sink, report, today, progress)
    return report


def export_files(folder: Path) -> list[tuple[str, Path]]:
    """``(resource type, file)`` in the export, Patient files first, parts in order; ``InputError`` when
    the folder is missing or holds no Patient file."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder (expected a FHIR Bulk Data export of .ndjson files)")
    found: list[tuple[str, int, Path]] = []
    for path in folder.iterdir():
        match = _FILE.match(path.name)
        if match is not None and path.is_file():
            found.append((match["type"], int(match["part"] or -1), path))
    if not any(kind == "Patient" for kind, _, _ in found):
        raise InputError(
            f"{folder}: no Patient file (Patient.ndjson, Patient.000.ndjson or .ndjson.gz); "
            "a screen needs the export's patients"
        )
    found.sort(key=lambda f: (f[0] != "Patient", f[0], f[1], f[2].name))
    return [(kind, path) for kind, _, path in found]


def _lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as stream:
        yield from stream


class _Index:
    """The first pass: every mapped line into the SQLite index, keyed by the patient it is about."""

    def __init__(self, db: sqlite3.Connection, report: InputReport):
        self.db = db
        self.report = report
        self.rows: dict[str, list[tuple[Any, ...]]] = {"patient": [], "resource": [], "medication": []}

    def load(self, files: list[tuple[str, Path]]) -> None:
        for kind, path in files:
            if kind in MAPPED_TYPES:
                self.read_file(path)
            else:
                self.count_file(kind, path)
        self.flush()
        self.db.execute("CREATE INDEX resource_subject ON resource (subject, seq)")
        self.report_orphans()

    def read_file(self, path: Path) -> None:
        line = 0
        try:
            for line, raw in enumerate(_lines(path), start=1):
                if raw.strip():
                    self.read_line(path.name, line, raw)
        except (OSError, EOFError, zlib.error) as exc:
            self.report.skip(path.name, line + 1, f"the file cannot be read from this line on ({exc})")

    def count_file(self, kind: str, path: Path) -> None:
        """A type the mapping does not read: counted as read and ignored, never parsed."""
        count = 0
        try:
            count = sum(1 for raw in _lines(path) if raw.strip())
        except (OSError, EOFError, zlib.error) as exc:
            self.report.skip(path.name, None, f"the file cannot be read to its end ({exc})")
        self.report.read[kind] += count
        self.report.ignored[kind] += count

    def read_line(self, source: str, line: int, raw: bytes) -> None:
        try:
            resource = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            self.report.skip(source, line, "not valid JSON")
            return
        if not isinstance(resource, dict):
            self.report.skip(source, line, f"not a JSON object (a {type(resource).__name__})")
            return
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            self.report.skip(source, line, "no resourceType")
            return
        self.report.read[kind] += 1
        if kind not in MAPPED_TYPES:
            self.report.ignored[kind] += 1
            return
        rid = resource.get("id")
        if kind in ("Patient", "Medication"):
            if not isinstance(rid, str) or not rid:
                self.report.skip(source, line, f"a {kind} without an id: nothing can refer to it")
                return
            self.add("patient" if kind == "Patient" else "medication", (rid, source, line, raw))
            return
        subject = resource.get("subject")
        ref = subject.get("reference") if isinstance(subject, dict) else None
        if not isinstance(ref, str):
            self.report.skip(source, line, f"a {kind} without a subject reference: it is about no patient")
            return
        match = _PATIENT_REF.search(ref)
        if match is None:
            self.report.skip(source, line, f"the {kind}'s subject is not a Patient reference")
            return
        self.add("resource", (match[1], source, line, raw))

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        for row in self.rows["patient"]:
            try:
                self.db.execute("INSERT INTO patient (fhir_id, source, line, body) VALUES (?,?,?,?)", row)
            except sqlite3.IntegrityError:
                self.report.skip(row[1], row[2], "a second Patient with the id of an earlier one; not read")
        self.db.executemany(
            "INSERT INTO resource (subject, source, line, body) VALUES (?,?,?,?)", self.rows["resource"]
        )
        self.db.executemany("INSERT OR IGNORE INTO medication VALUES (?,?,?,?)", self.rows["medication"])
        for rows in self.rows.values():
            rows.clear()

    def report_orphans(self) -> None:
        orphans = self.db.execute(
            "SELECT source, line FROM resource WHERE subject NOT IN (SELECT fhir_id FROM patient) "
            "ORDER BY seq"
        )
        for source, line in orphans:
            self.report.skip(source, line, "its subject is not a Patient of this export")


def _map_patients(
    db: sqlite3.Connection,
    sink: RowSink,
    report: InputReport,
    today: dt.date,
    progress: Callable[[int], None] | None,
) -> None:
    """The second pass: one patient's resources at a time, through the FHIR reader, into the sink."""
    patients = db.cursor().execute("SELECT ordinal, fhir_id, source, line FROM patient ORDER BY ordinal")
    for done, (ordinal, fhir_id, source, line) in enumerate(patients, start=1):  # streamed, not fetched
        (body,) = db.execute("SELECT body FROM patient WHERE ordinal = ?", (ordinal,)).fetchone()
        items: list[tuple[str, Any, str | None]] = [(f"{source}:{line}", json.loads(body), None)]
        rows = db.execute(
            "SELECT source, line, body FROM resource WHERE subject = ? ORDER BY seq", (fhir_id,)
        )
        items += [(f"{src}:{ln}", json.loads(raw), None) for src, ln, raw in rows]
        items += _medications(db, items)
        try:
            sources, ignored = validate_items(items)
            result = read_sources(sources, ignored, None, fhir_id, today=today)
        except RecordError as exc:
            report.skip(source, line, f"patient #{ordinal} of the export: {_anonymous(exc, fhir_id, items)}")
        else:
            sink.add(result.record)
            report.patients += 1
            seen = {(item.resource_type, item.resource_id or item.path) for item in ignored}
            for kind, _ in seen:
                report.ignored[kind] += 1
        if progress is not None:
            progress(done)


def _medications(db: sqlite3.Connection, items: list[tuple[str, Any, str | None]]) -> list[Any]:
    """The Medication resources the patient's medication orders and statements refer to."""
    wanted: dict[str, None] = {}
    for _, resource, _ in items:
        ref = resource.get("medicationReference")
        target = ref.get("reference") if isinstance(ref, dict) else None
        match = _MEDICATION_REF.search(target) if isinstance(target, str) else None
        if match is not None:
            wanted[match[1]] = None
    found: list[tuple[str, Any, str | None]] = []
    for rid in wanted:
        row = db.execute("SELECT source, line, body FROM medication WHERE fhir_id = ?", (rid,)).fetchone()
        if row is not None:
            found.append((f"{row[0]}:{row[1]}", json.loads(row[2]), None))
    return found


def _anonymous(error: RecordError, patient_id: str, items: list[tuple[str, Any, str | None]]) -> str:
    """The reasons a patient's record failed, without its Patient id or the ids of its resources (they
    appear in messages as ``Type/id``, in labels and references)."""
    ids = sorted({r["id"] for _, r, _ in items if isinstance(r.get("id"), str) and r["id"]} | {patient_id})
    messages = [str(e) for e in error.errors[:_MAX_ERRORS]]
    if len(error.errors) > _MAX_ERRORS:
        messages.append(f"and {len(error.errors) - _MAX_ERRORS} more")
    text = "; ".join(messages)
    alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    text = re.sub(rf" \(([A-Za-z]+)/(?:{alternatives})\)", r" (\1)", text)  # labels: "file:line (Condition)"
    text = re.sub(rf"\b([A-Za-z]+)/(?:{alternatives})(?![A-Za-z0-9\-.])", r"\1/[id]", text)
    return re.sub(rf"(?<![A-Za-z0-9\-.]){re.escape(patient_id)}(?![A-Za-z0-9\-.])", "[patient]", text)
