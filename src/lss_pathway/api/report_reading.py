"""Radiology reports in FHIR input, read by the report reader and merged into the mapped record.

The FHIR mapping reads coded data only; a lumbar MR / CT report (a DiagnosticReport with a plain-text
``presentedForm`` or ``conclusion``, or a DocumentReference with a plain-text attachment) is read here, by
the same extractor as ``lss extract``, for ``/v1/fhir/assessments`` and the CDS Hooks services. The two
edges meet in ``api`` so that neither imports the other.

Which report: lumbar MR / CT by LOINC code (``data/report_codes.yaml``), the project imaging-modality
code, or code / type text naming the lumbar spine and MR or CT; final (DiagnosticReport final, amended,
corrected, appended; DocumentReference current and not preliminary); about this patient; dated no later
than the assessment. Of several, the most recent study is read. A fact the coded data leaves unknown is
filled and marked report-derived (report, section, span, rule id); a fact the coded data states
differently is a conflict: the coded value is kept and the conflict reported (``nlp.merge``). Nothing is
fetched: a URL attachment is listed as not read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError

from lss_pathway.criteria.labels import locate
from lss_pathway.criteria.labels import reading as fact_words
from lss_pathway.domain.packaged import packaged_yaml
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import Modality
from lss_pathway.fhir import codes
from lss_pathway.fhir.results import MappingResult
from lss_pathway.nlp import extract
from lss_pathway.nlp.fhir_text import FhirReading, report_texts
from lss_pathway.nlp.merge import Conflict, merge_extraction
from lss_pathway.nlp.schema import Evidence, Extraction, Span

REPORT_TYPES = ("DiagnosticReport", "DocumentReference")
_REPORT_FINAL = {"final", "amended", "corrected", "appended"}
_DOC_NOT_FINAL = {"preliminary", "entered-in-error"}
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([^/]+)$")
CARD_FACTS = 12
"""At most this many report-derived facts are listed on a card (stated ones first); the rest are counted."""


@dataclass(frozen=True)
class ReportCodes:
    loinc: Mapping[str, Modality]
    generic: frozenset[str]
    lumbar: re.Pattern[str]
    modality: re.Pattern[str]


@cache
def report_codes() -> ReportCodes:
    data = packaged_yaml("lss_pathway.api", "data/report_codes.yaml")

    def words(key: str) -> re.Pattern[str]:
        return re.compile(r"\b(?:" + "|".join(data["words"][key]) + r")\b", re.IGNORECASE)

    return ReportCodes(
        {str(row["code"]): Modality(row["modality"]) for row in data["loinc"]},
        frozenset(str(row["code"]) for row in data["generic"]),
        words("lumbar"),
        words("modality"),
    )


@dataclass(frozen=True)
class NotRead:
    report: str
    reason: str


@dataclass(frozen=True)
class ReportReading:
    """What the FHIR input's reports gave: the merged record, the report read, and the ones not read."""

    record: PatientRecord
    report: str | None = None
    source: str | None = None
    date: dt.date | None = None
    extraction: Extraction | None = None
    filled: tuple[Evidence, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    agreed: tuple[str, ...] = ()
    not_read: tuple[NotRead, ...] = ()
    skipped: tuple[str, ...] = ()
    prefix: str | None = None
    """Where the report read sits in the input (``entry[3].resource``, ``resources[3]``)."""

    @property
    def derived(self) -> dict[str, Evidence]:
        return {e.path: e for e in self.filled}

    def to_dict(self) -> dict[str, Any]:
        read: dict[str, Any] | None = None
        if self.extraction is not None:
            read = {
                "report": self.report,
                "source": self.source,
                "date": self.date.isoformat() if self.date else None,
                "extractor": self.extraction.extractor,
                "filled_from_report": {e.path: _evidence(e, self.report) for e in self.filled},
                "conflicts": [
                    c.model_dump(mode="json", exclude_none=True) | {"report": self.report}
                    for c in self.conflicts
                ],
                "agreed": list(self.agreed),
                "notes": [n.model_dump(mode="json", exclude_none=True) for n in self.extraction.notes],
                "skipped_attachments": list(self.skipped),
            }
        return {"read": read, "not_read": [{"report": n.report, "reason": n.reason} for n in self.not_read]}

    def card_lines(self) -> list[str]:
        """Markdown for a CDS card: the report-derived facts with their sentences, and every conflict."""
        lines: list[str] = []
        if self.extraction is not None:
            when = f", {self.date.isoformat()}" if self.date else ""
            lines += [
                "",
                f"**Imaging facts read from the radiology report** {self.report}{when} "
                "(report-derived: check each against the report):",
                "",
            ]
            # findings first (a grade above none, a measure, true), then stated negatives, then implied ones
            shown = sorted(self.filled, key=lambda e: (e.derived is not None, e.value in ("none", False, 0)))
            shown = shown[:CARD_FACTS]
            for evidence in shown:
                words = fact_words(evidence.path, evidence.value)
                lines.append(
                    f"- {words}: \u201c{_quote(evidence.span.sentence)}\u201d "
                    f"({evidence.span.section}, characters {evidence.span.start}-{evidence.span.end}, "
                    f"rule `{evidence.rule_id}`)"
                )
            if len(self.filled) > len(shown):
                lines.append(
                    f"- and {len(self.filled) - len(shown)} more (levels stated normal, and the like)"
                )
            if not self.filled:
                lines.append("- none beyond what the coded data already states")
        if self.conflicts:
            lines += [
                "",
                "**The radiology report and the coded data disagree** (the coded value is used; reconcile):",
                "",
            ]
            for conflict in self.conflicts:
                said = fact_words(conflict.path, conflict.report_value, here=locate(conflict.path).where)
                lines.append(
                    f"- {fact_words(conflict.path, conflict.record_value)} in the coded data, but the report "
                    f"says {said}: "
                    f"\u201c{_quote(conflict.evidence.span.sentence)}\u201d"
                )
        return lines


def _quote(sentence: str, limit: int = 160) -> str:
    text = " ".join(sentence.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"


def _evidence(evidence: Evidence, report: str | None) -> dict[str, Any]:
    return {"report": report} | evidence.model_dump(mode="json", exclude_none=True)


# --- which reports ---------------------------------------------------------------------------------------


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    items = concept.get("coding") if isinstance(concept, Mapping) else None
    return [c for c in items if isinstance(c, Mapping)] if isinstance(items, list) else []


def _texts(concept: Any) -> list[str]:
    found = [concept.get("text")] if isinstance(concept, Mapping) else []
    found += [c.get("display") for c in _codings(concept)]
    return [t for t in found if isinstance(t, str) and t.strip()]


def lumbar_imaging(resource: Mapping[str, Any]) -> tuple[bool, Modality | None, str]:
    """Whether the report is a lumbar spine MR / CT report, the modality its code names, and a description."""
    table = report_codes()
    concept = (
        resource.get("code") if resource.get("resourceType") == "DiagnosticReport" else resource.get("type")
    )
    texts = _texts(concept)
    if resource.get("resourceType") == "DocumentReference":
        texts += [t for t in [resource.get("description")] if isinstance(t, str)]
        for content in resource.get("content") or []:
            title = (content.get("attachment") or {}).get("title") if isinstance(content, Mapping) else None
            if isinstance(title, str):
                texts.append(title)
    described = "; ".join(texts) or "no code text"
    for coding in _codings(concept):
        code, system = str(coding.get("code") or ""), coding.get("system")
        if system == codes.LOINC and code in table.loinc:
            return True, table.loinc[code], f"LOINC {code}"
        if system == codes.IMAGING_MODALITY and code in {m.value for m in Modality}:
            return True, Modality(code), f"project imaging-modality code {code}"
    for text in texts:
        if table.lumbar.search(text) and table.modality.search(text):
            return True, None, f"'{text}'"
    return False, None, described


def _status_problem(resource: Mapping[str, Any]) -> str | None:
    status = resource.get("status")
    if resource.get("resourceType") == "DiagnosticReport":
        return None if status in _REPORT_FINAL else f"status '{status}': only final reports are read"
    if status != "current":
        return f"status '{status}': only current documents are read"
    doc_status = resource.get("docStatus")
    return f"docStatus '{doc_status}': not a final report" if doc_status in _DOC_NOT_FINAL else None


def _full_date(value: Any) -> dt.date | None:
    match = _FULL_DATE.match(value) if isinstance(value, str) else None
    return dt.date(int(match[1]), int(match[2]), int(match[3])) if match else None


def study_date(resource: Mapping[str, Any]) -> dt.date | None:
    """The study's date: DiagnosticReport effective[x] (else issued); DocumentReference context.period
    start (else date)."""
    if resource.get("resourceType") == "DiagnosticReport":
        period = resource.get("effectivePeriod")
        start = period.get("start") if isinstance(period, Mapping) else None
        return _full_date(resource.get("effectiveDateTime") or start or resource.get("issued"))
    context = resource.get("context")
    period = context.get("period") if isinstance(context, Mapping) else None
    start = period.get("start") if isinstance(period, Mapping) else None
    return _full_date(start or resource.get("date"))


def _subject_problem(resource: Mapping[str, Any], patients: set[str]) -> str | None:
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(ref, str) or ref in patients:
        return None
    match = _PATIENT_REF.search(ref)
    if match is None:
        return f"the subject {ref} is not the patient"
    return (
        None if not patients or f"Patient/{match[1]}" in patients else "the report is about another patient"
    )


def _name(resource: Mapping[str, Any], prefix: str) -> str:
    rid = resource.get("id")
    return (
        f"{resource['resourceType']}/{rid}"
        if isinstance(rid, str)
        else f"{resource['resourceType']} ({prefix})"
    )


@dataclass(frozen=True)
class _Candidate:
    name: str
    prefix: str
    resource: Mapping[str, Any]
    day: dt.date | None
    modality: Modality | None
    coded_as: str
    texts: FhirReading


# --- reading ----------------------------------------------------------------------------------------------


def read_reports(
    record: PatientRecord, items: Iterable[tuple[str, Mapping[str, Any], str | None]]
) -> ReportReading:
    """Read the most recent final lumbar MR / CT report among ``items`` ((prefix, resource, fullUrl)) into
    ``record``: unknown facts filled and marked, disagreements kept as conflicts."""
    items = list(items)
    patients = {f"Patient/{r['id']}" for _, r, _ in items if r.get("resourceType") == "Patient" and "id" in r}
    patients |= {url for _, r, url in items if r.get("resourceType") == "Patient" and url}
    not_read: list[NotRead] = []
    candidates: list[_Candidate] = []
    for prefix, resource, _ in items:
        if resource.get("resourceType") not in REPORT_TYPES:
            continue
        name = _name(resource, prefix)
        lumbar, modality, described = lumbar_imaging(resource)
        problem = (
            (None if lumbar else f"not a lumbar spine MR or CT report ({described})")
            or _status_problem(resource)
            or _subject_problem(resource, patients)
        )
        day = study_date(resource)
        as_of = record.on_date(dt.date.today())
        if problem is None and day is not None and day > as_of:
            problem = f"dated {day}, after the assessment date {as_of}"
        texts = report_texts(resource) if problem is None else None
        if texts is not None and not texts.texts:
            problem = (
                f"no readable text ({'; '.join(texts.skipped) or 'no plain-text report, no conclusion'})"
            )
        if problem is not None or texts is None:
            not_read.append(NotRead(name, problem or "not read"))
            continue
        candidates.append(_Candidate(name, prefix, resource, day, modality, described, texts))
    chosen = _latest(candidates, not_read)
    if chosen is None:
        return ReportReading(record, not_read=tuple(not_read))
    texts = chosen.texts
    first = texts.texts[0]
    extraction = _with_coded_modality(extract(first.text, chosen.name), chosen)
    try:
        merged = merge_extraction(record, extraction)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"] if exc.errors() else "invalid"
        not_read.append(NotRead(chosen.name, f"its facts do not fit the record ({message})"))
        return ReportReading(record, not_read=tuple(not_read))
    return ReportReading(
        merged.record,
        chosen.name,
        first.source,
        chosen.day or extraction.imaging.date,
        extraction,
        tuple(merged.filled),
        tuple(merged.conflicts),
        tuple(merged.agreed),
        tuple(not_read),
        texts.skipped,
        chosen.prefix,
    )


def _latest(candidates: list[_Candidate], not_read: list[NotRead]) -> _Candidate | None:
    """The most recent dated readable report; an undated one only when it is the only one."""
    dated = sorted((c for c in candidates if c.day is not None), key=lambda c: c.day or dt.date.min)
    if not dated:
        if len(candidates) > 1:
            not_read += [
                NotRead(c.name, "several undated lumbar reports: which is current is unknown")
                for c in candidates
            ]
            return None
        return candidates[0] if candidates else None
    chosen = dated[-1]
    for other in candidates:
        if other is not chosen:
            when = f"dated {other.day}" if other.day else "undated"
            not_read.append(
                NotRead(other.name, f"{when}: the most recent study ({chosen.name}, {chosen.day}) is read")
            )
    return chosen


def _with_coded_modality(extraction: Extraction, chosen: _Candidate) -> Extraction:
    """The modality the report's LOINC code names, when its text does not say (marked as from the code)."""
    if extraction.imaging.modality is not None or chosen.modality is None:
        return extraction
    text = f"{chosen.coded_as} ({chosen.modality.value})"
    evidence = Evidence(
        path="imaging.modality",
        value=chosen.modality.value,
        text=text,
        span=Span(section="code", start=0, end=len(text), sentence=text),
        rule_id="fhir.report-code",
        derived="the report's code names the modality; its text does not",
    )
    return extraction.model_copy(
        update={
            "imaging": extraction.imaging.model_copy(update={"modality": chosen.modality}),
            "evidence": extraction.evidence | {evidence.path: evidence},
        }
    )


def with_reports(
    mapped: MappingResult, items: Iterable[tuple[str, Mapping[str, Any], str | None]]
) -> tuple[MappingResult, ReportReading]:
    """The mapping's result with the report read into it; the report read leaves the ignored list."""
    reading = read_reports(mapped.record, items)
    if reading.prefix is None:
        return mapped, reading
    ignored = tuple(
        i for i in mapped.ignored if i.path != reading.prefix and not i.path.startswith(reading.prefix + ".")
    )
    return MappingResult(reading.record, ignored), reading


def bundle_items(bundle: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], str | None]]:
    """(prefix, resource, fullUrl) for each entry of a Bundle the mapping has already checked."""
    out: list[tuple[str, Mapping[str, Any], str | None]] = []
    for i, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource")
        if isinstance(resource, Mapping) and isinstance(resource.get("resourceType"), str):
            url = entry.get("fullUrl")
            out.append((f"entry[{i}].resource", resource, url if isinstance(url, str) else None))
    return out


def annotate_explanation(result: dict[str, Any], reading: ReportReading) -> None:
    """Mark each explanation fact that came from the report (or that the report contradicts) in place."""
    derived = reading.derived
    conflicts = {c.path: c for c in reading.conflicts}
    if not derived and not conflicts:
        return

    def walk(node: dict[str, Any]) -> None:
        for fact in node.get("facts", []):
            evidence = derived.get(fact.get("fact"))
            if evidence is not None:
                fact["from_report"] = _provenance(evidence, reading.report)
            conflict = conflicts.get(fact.get("fact"))
            if conflict is not None:
                fact["report_conflict"] = {"report_value": conflict.report_value} | _provenance(
                    conflict.evidence, reading.report
                )
        for child in node.get("children", []):
            walk(child)

    criteria = result.get("criteria")
    if isinstance(criteria, list):  # schema 1: the trees sit in the criteria list
        entries: list[Any] = criteria
    else:  # schema 2: in the results, and only when the explanation was asked for
        entries = [
            *result.get("results", {}).values(),
            *result.get("not_reported", {}).get("results", {}).values(),
        ]
    for entry in entries:
        if "explanation" in entry:
            walk(entry["explanation"])


def _provenance(evidence: Evidence, report: str | None) -> dict[str, Any]:
    span = evidence.span
    return {
        "report": report,
        "section": span.section,
        "start": span.start,
        "end": span.end,
        "text": evidence.text,
        "sentence": span.sentence,
        "rule_id": evidence.rule_id,
    }
