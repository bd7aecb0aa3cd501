"""Turn candidate facts into one imaging section: one value per record path, or unknown with a note.

Choice order for a path: the most explicit reading wins (a stated grade over a level called normal, over a
whole-report statement); at equal weight the FINDINGS section wins over the IMPRESSION, and their
disagreement is noted; two different values at equal weight in one section are ambiguous and stay unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from pydantic import ValidationError

from lss_pathway.domain.anatomy import LEVELS, Level
from lss_pathway.domain.record import Imaging, LevelFindings, SideFindings, meyerding_from_percent
from lss_pathway.nlp.lexicon import lexicon, matched_index, structure
from lss_pathway.nlp.reading import EXPLICIT, ChunkNote, Fact, label_topic, place_kinds, read_chunk
from lss_pathway.nlp.schema import Evidence, Extraction, FactValue, Note, NoteKind, Span
from lss_pathway.nlp.segment import Chunk, Section, chunks, finding_label, sections

_FINDINGS_LIKE = ("findings", "body")
_OPEN = (NoteKind.UNGRADED, NoteKind.UNCERTAIN, NoteKind.LESSER_SIDE)
_RELATIVE = re.compile(
    r"\b(?:above|below|adjacent to|superior to|inferior to|cranial to|caudal to)\b[^.]*$", re.IGNORECASE
)


def extractor_name() -> str:
    return f"rules/{lexicon().version}+{structure().version}"


def _span(chunk: Chunk, start: int, end: int) -> Span:
    return Span(section=chunk.sentence.section.name, start=start, end=end, sentence=chunk.sentence.text)


def _evidence(text: str, fact: Fact) -> Evidence:
    return Evidence(
        path=fact.path,
        value=fact.value,
        text=text[fact.start : fact.end],
        span=_span(fact.chunk, fact.start, fact.end),
        rule_id=fact.rule_id,
        cue_ids=list(fact.cue_ids),
        derived=fact.derived,
    )


def _note(note: ChunkNote) -> list[Note]:
    span = _span(note.chunk, note.start, note.end)
    levels = note.levels or (None,)
    return [
        Note(
            kind=note.kind,
            message=note.message,
            level=level.value if level else None,
            side=note.side.value if note.side else None,
            path=note.path,
            span=span,
            rule_id=note.rule_id,
        )
        for level in levels
    ]


def _choose(text: str, facts: list[Fact], notes: list[Note]) -> Fact | None:
    best = max(f.priority for f in facts)
    top = [f for f in facts if f.priority == best]
    per_section: dict[str, list[Fact]] = defaultdict(list)
    for f in top:
        per_section["findings" if f.chunk.sentence.section.name in _FINDINGS_LIKE else "impression"].append(f)
    chosen: dict[str, Fact | None] = {}
    for name, group in per_section.items():
        values = {_key(f.value) for f in group}
        if len(values) == 1:
            chosen[name] = group[0]
        else:
            listed = ", ".join(sorted(str(v) for v in values))
            notes.append(
                _fact_note(
                    NoteKind.AMBIGUOUS,
                    f"{name} states different values ({listed}): left unknown",
                    group[0],
                    group[0],
                )
            )
            chosen[name] = None
    findings, impression = chosen.get("findings"), chosen.get("impression")
    if findings is not None and impression is not None and _key(findings.value) != _key(impression.value):
        message = f"FINDINGS say {findings.value}, IMPRESSION says {impression.value}: FINDINGS used"
        notes.append(_fact_note(NoteKind.SECTION_DISAGREEMENT, message, findings, impression))
    if "findings" in chosen:
        return findings
    return impression


def _fact_note(kind: NoteKind, message: str, about: Fact, where: Fact) -> Note:
    """A note on the path of ``about``, pointing at the words of ``where``."""
    return Note(
        kind=kind,
        message=message,
        level=about.level.value,
        side=about.side.value if about.side else None,
        path=about.path,
        span=_span(where.chunk, where.start, where.end),
        rule_id=where.rule_id,
    )


def _key(value: FactValue) -> str:
    return f"{type(value).__name__}:{value}"


def assemble(text: str, report_id: str | None = None) -> Extraction:
    facts: list[Fact] = []
    notes: list[Note] = []
    mentioned: set[Level] = set()
    open_questions: set[tuple[Level, str]] = set()  # a finding stated but not graded, hedged or lesser
    previous: tuple[str, ...] = ()
    last_sentence = None
    all_chunks = chunks(text)
    topics: dict[int, str | None] = {}  # a line's label place, per line start
    for index, chunk in enumerate(all_chunks):
        if chunk.ignored in ("transitional",):
            notes.append(
                Note(
                    kind=NoteKind.UNSUPPORTED_LEVEL,
                    message="level outside L1-L2..L5-S1: not read",
                    span=_span(chunk, chunk.start, chunk.end),
                )
            )
        same_sentence = chunk.sentence is last_sentence or chunk.sentence.continues
        if chunk.sentence is not last_sentence and (
            last_sentence is None or chunk.sentence.unit_start != last_sentence.unit_start
        ):
            previous = ()
        last_sentence = chunk.sentence
        following = all_chunks[index + 1] if index + 1 < len(all_chunks) else None
        if not previous and following is not None and following.sentence is chunk.sentence:
            previous, same_sentence = place_kinds(text, following), True
        unit = chunk.sentence.unit_start
        if unit not in topics:
            topics[unit] = label_topic(finding_label(text, unit))
        topic = topics[unit]
        reading = read_chunk(text, chunk, previous, same_sentence, topic)
        previous = reading.stenosis_kinds or previous
        if not chunk.from_context and not chunk.ignored:
            mentioned.update(chunk.levels)
        facts.extend(reading.facts)
        for chunk_note in reading.notes:
            notes.extend(_note(chunk_note))
            if chunk_note.kind in _OPEN and chunk_note.name:
                open_questions.update((level, chunk_note.name) for level in chunk_note.levels)
        notes.extend(_structural_notes(text, chunk))
    by_path: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        if f.scope == "remaining" and f.level in mentioned:
            continue
        if f.priority < EXPLICIT and (f.level, f.name) in open_questions:
            continue  # "bilateral subarticular narrowing ... otherwise normal": the recess is not 'none'
        by_path[f.path].append(f)
    chosen = {path: _choose(text, group, notes) for path, group in by_path.items()}
    notes = list(
        {(n.kind, n.level, n.side, n.message, n.span.start if n.span else None): n for n in notes}.values()
    )
    evidence = {path: _evidence(text, f) for path, f in chosen.items() if f is not None}
    _drop_inconsistent_percent(evidence, notes)
    _drop_implausible(evidence, notes)
    imaging_data = _imaging(evidence)
    for key, value in _study(text).items():
        imaging_data[key] = value[0]
        evidence[f"imaging.{key}"] = value[1]
    imaging = Imaging.model_validate(imaging_data)
    return Extraction(
        report_id=report_id, extractor=extractor_name(), imaging=imaging, evidence=evidence, notes=notes
    )


def _drop_inconsistent_percent(evidence: dict[str, Evidence], notes: list[Note]) -> None:
    for level in LEVELS:
        grade = evidence.get(f"imaging.levels[{level.value}].meyerding_grade")
        percent = evidence.get(f"imaging.levels[{level.value}].slip_percent")
        if grade and percent and meyerding_from_percent(float(percent.value)) != grade.value:
            notes.append(
                Note(
                    kind=NoteKind.AMBIGUOUS,
                    level=level.value,
                    path=percent.path,
                    span=percent.span,
                    message=f"slip {percent.value}% contradicts grade {grade.value}: percent not used",
                    rule_id=percent.rule_id,
                )
            )
            del evidence[percent.path]


def _drop_implausible(evidence: dict[str, Evidence], notes: list[Note]) -> None:
    """A value outside the record's plausibility range (a misread unit, a typo) is dropped and noted."""
    for path, ev in list(evidence.items()):
        name = path.rsplit(".", 1)[1]
        try:
            if ".sides[" in path:
                SideFindings.model_validate({"side": "left", name: ev.value})
            elif "levels[" in path:
                LevelFindings.model_validate({"level": "L4-L5", name: ev.value})
        except ValidationError:
            notes.append(
                Note(
                    kind=NoteKind.AMBIGUOUS,
                    path=path,
                    span=ev.span,
                    rule_id=ev.rule_id,
                    message=f"{ev.value} is outside the plausible range for {name}: not used",
                )
            )
            del evidence[path]


def _imaging(evidence: dict[str, Evidence]) -> dict[str, Any]:
    levels: dict[str, dict[str, Any]] = {}
    for path, ev in evidence.items():
        level_text = path.split("[", 1)[1].split("]", 1)[0]
        entry = levels.setdefault(level_text, {"level": level_text, "sides": {}})
        name = path.rsplit(".", 1)[1]
        if ".sides[" in path:
            side = path.split(".sides[", 1)[1].split("]", 1)[0]
            entry["sides"].setdefault(side, {"side": side})[name] = ev.value
        else:
            entry[name] = ev.value
    ordered = [levels[lv.value] for lv in LEVELS if lv.value in levels]
    for entry in ordered:
        entry["sides"] = [entry["sides"][s] for s in ("left", "right") if s in entry["sides"]]
    return {"levels": ordered}


def _study(text: str) -> dict[str, tuple[Any, Evidence]]:
    """Modality and date: from the title and technique first, else from the first mention anywhere."""
    rules = structure()
    found: dict[str, tuple[Any, Evidence]] = {}
    all_sections = sections(text)
    preferred = [s for s in all_sections if s.name in ("body", "technique")] + [
        s for s in all_sections if s.name not in ("body", "technique", "comparison", "history")
    ]
    for candidate in preferred:
        match = rules.modality_scanner.search(text, candidate.start, candidate.end)
        if match:
            rule = rules.modality[matched_index(match)]
            found["modality"] = (
                rule.value,
                _study_evidence(
                    text, candidate, "imaging.modality", rule.value, match.start(), match.end(), rule.id
                ),
            )
            break
    date = rules.date.search(text)
    body = next((s for s in all_sections if s.name == "body" and s.start == 0), None)
    if date is None and body is not None:
        date = rules.title_date.search(text, body.start, body.end)
    if date:
        raw = date.group(1)
        try:
            parsed = (
                dt.date.fromisoformat(raw) if "-" in raw else dt.datetime.strptime(raw, "%m/%d/%Y").date()
            )
        except ValueError:
            parsed = None
        if parsed is not None:
            section = next((s for s in all_sections if s.start <= date.start() <= s.end), None)
            found["date"] = (
                parsed,
                _study_evidence(
                    text, section, "imaging.date", parsed.isoformat(), date.start(1), date.end(1), "date"
                ),
            )
    return found


def _study_evidence(
    text: str, section: Section | None, path: str, value: str, start: int, end: int, rule_id: str
) -> Evidence:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    span = Span(section=section.name if section else "body", start=start, end=end, sentence=line.strip())
    return Evidence(path=path, value=value, text=text[start:end], span=span, rule_id=rule_id)


def _structural_notes(text: str, chunk: Chunk) -> list[Note]:
    """Transitional anatomy and post-operative levels: noted, never used to renumber or to set a field."""
    if chunk.sentence.section.name in ("history", "technique", "comparison"):
        return []
    rules = structure()
    found: list[Note] = []
    for match in rules.note_scanner.finditer(text, chunk.start, chunk.end):
        rule = rules.notes[matched_index(match)]
        kind = NoteKind(rule.kind)
        levels = chunk.levels if kind is not NoteKind.TRANSITIONAL_ANATOMY else ()
        if _RELATIVE.search(text[chunk.start : match.start()]):
            levels = ()  # "stenosis at L3-4 above the laminectomy": the operated level is another one
        for level in levels or (None,):
            found.append(
                Note(
                    kind=kind,
                    message=f"{kind.value.replace('_', ' ')}: '{match.group(0)}'",
                    level=level.value if level else None,
                    span=_span(chunk, match.start(), match.end()),
                    rule_id=rule.id,
                )
            )
    return found
