"""Cut a report into sections, sentences and level-bound chunks, keeping character offsets.

A chunk is the stretch of a sentence that speaks of one group of levels: "mild stenosis at L3-4 and
moderate at L4-5" is two chunks. A sentence with no level of its own inherits the levels of the last
header or sentence that named one, until a blank line, a non-level label ("Conus:") or a new section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lss_pathway.domain.anatomy import LEVELS, Level, UnsupportedLevelError, parse_level
from lss_pathway.nlp.lexicon import Structure, matched_index, structure

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")
_LABEL = re.compile(r"^\s*(?:\d+[.)]\s*)?[A-Za-z][A-Za-z /&()-]{1,40}:")
_LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_COORDINATION = re.compile(r"^\s*(?:,|and|&|or|, and|,\s*and)?\s*(?:the\s*)?$", re.IGNORECASE)
_DELIMITER = re.compile(r",|;| and | but | while | whereas | with | where ", re.IGNORECASE)
_END_OF_UNREAD = re.compile(
    r"\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:\d+[.)][ \t]*)?(?:at[ \t]+)?(?:the[ \t]+)?(?:level[ \t]+)?(?:L[1-5]|T1[12])\b)",
    re.IGNORECASE,
)
_FINDING_LABEL = re.compile(
    r"canal|foram|recess|subarticular|stenosis|ligament|flav|\blf\b|thecal|dural|sac|disc|facet|listhesis|impression",
    re.IGNORECASE,
)
_OPEN_RANGE = re.compile(
    r"\s*(?:and|&)\s*(?:(?P<up>above|higher|cephalad)|(?P<down>below|lower|caudal))\b", re.IGNORECASE
)
_NOT_CONTEXT = re.compile(r"\bconus\b|\bcord\b|\bterminates?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    name: str
    reads: bool
    start: int
    end: int
    rule_id: str | None


@dataclass(frozen=True)
class Sentence:
    section: Section
    start: int
    end: int
    text: str
    unit_start: int = 0  # the logical line it belongs to
    continues: bool = False  # follows a semicolon: same sentence for ellipsis ("moderate left; mild right")


@dataclass(frozen=True)
class LevelMention:
    start: int
    end: int
    rule_id: str
    levels: tuple[Level, ...]
    kind: str  # lumbar | nonlumbar | transitional


@dataclass(frozen=True)
class Chunk:
    sentence: Sentence
    start: int
    end: int
    levels: tuple[Level, ...]
    ignored: str | None = None  # why the chunk gives no findings (nonlumbar, transitional)
    from_context: bool = False
    level_mentions: tuple[LevelMention, ...] = field(default_factory=tuple)
    column: str | None = None  # a table cell: the header of its column ('Right foramen')


def sections(text: str) -> list[Section]:
    rules = structure()
    found: list[Section] = []
    headers = list(rules.section_header.finditer(text))
    first = headers[0].start() if headers else len(text)
    if first > 0:
        found.append(Section("body", True, 0, first, None))
    for i, match in enumerate(headers):
        rule = rules.sections[matched_index(match)]
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        if not rule.reads:
            # An indication or technique ends at a blank line or at a level header even without FINDINGS:
            stop = _END_OF_UNREAD.search(text, match.end(), end)
            if stop is not None:
                found.append(Section(rule.name, False, match.end(), stop.start(), rule.id))
                found.append(Section("body", True, stop.start(), end, None))
                continue
        found.append(Section(rule.name, rule.reads, match.end(), end, rule.id))
    return found


def _units(text: str, section: Section) -> list[tuple[int, int, bool]]:
    """Logical lines (start, end, new paragraph?): wrapped lines joined, headers and list items kept apart."""
    units: list[list[int]] = []
    paragraph_break = True
    pos = section.start
    previous_open = False
    for line in text[section.start : section.end].splitlines(keepends=True):
        marker = _LIST_MARKER.match(line)
        stripped = line[marker.end() :].strip() if marker else line.strip()
        line_start = pos + (marker.end() if marker else len(line) - len(line.lstrip()))
        line_end = pos + len(line.rstrip())
        pos += len(line)
        if not stripped:
            paragraph_break = True
            previous_open = False
            continue
        starts_new = paragraph_break or not previous_open or bool(_LABEL.match(line) or marker)
        starts_new = starts_new or bool(structure().level_scanner.match(stripped))
        if starts_new or not units:
            # a numbered or bulleted item starts afresh, like a paragraph: it names its own levels
            units.append([line_start, line_end, int(paragraph_break or marker is not None)])
        else:
            units[-1][1] = line_end
        paragraph_break = False
        previous_open = stripped[-1] not in ".:;!?"
    return [(u[0], u[1], bool(u[2])) for u in units]


def _other_label(unit: str, rules: Structure) -> bool:
    """A label line about something other than a level ('Conus:', 'Alignment:') ends the level context;
    a finding label inside a level block ('Foramina: moderate') does not."""
    label = _LABEL.match(unit)
    if label is None or rules.level_scanner.search(label.group(0)):
        return False
    return not _FINDING_LABEL.search(label.group(0))


def finding_label(text: str, unit_start: int) -> str | None:
    """The label a line opens with when it names a finding place and no level ('Canal:', 'Foramina:')."""
    label = _LABEL.match(text[unit_start : unit_start + 60])
    if label is None or structure().level_scanner.search(label.group(0)):
        return None
    return label.group(0) if _FINDING_LABEL.search(label.group(0)) else None


def _mentions(text: str, start: int, end: int, rules: Structure) -> list[LevelMention]:
    found: list[LevelMention] = []
    for match in rules.level_scanner.finditer(text, start, end):
        rule = rules.levels[matched_index(match)]
        if rule.fixed:
            found.append(LevelMention(match.start(), match.end(), rule.id, (Level(rule.fixed),), "lumbar"))
            continue
        inner = re.match(rule.pattern, match.group(0), re.IGNORECASE)
        assert inner is not None  # the same pattern just matched this text
        groups = [g or "" for g in inner.groups()]
        if rule.id == "level.compact":
            r1, n1, r2, n2 = "L", groups[0], "L", groups[1]
        else:
            r1, n1, r2, n2 = groups[0], groups[1], groups[2] or groups[0], groups[3]
        r1, r2 = r1.upper(), r2.upper()
        if r1 == "L" and n2 == "1" and n1 == "5" and not groups[2]:
            r2 = "S"
        found.append(LevelMention(match.start(), match.end(), rule.id, *_resolve(r1, int(n1), r2, int(n2))))
    return [_open_range(text, m, end) for m in found]


def _open_range(text: str, mention: LevelMention, end: int) -> LevelMention:
    """'L3-4 and above: no stenosis' names L1-L2..L3-L4; 'L4-5 and below' names L4-L5..L5-S1."""
    tail = _OPEN_RANGE.match(text, mention.end, end)
    if tail is None or mention.kind != "lumbar" or len(mention.levels) != 1:
        return mention
    index = LEVELS.index(mention.levels[0])
    span = LEVELS[: index + 1] if tail.group("up") else LEVELS[index:]
    return LevelMention(mention.start, tail.end(), "level.range", tuple(span), "lumbar")


def _resolve(r1: str, n1: int, r2: str, n2: int) -> tuple[tuple[Level, ...], str]:
    if "L6" in (f"{r1}{n1}", f"{r2}{n2}"):
        return (), "transitional"
    if (r1, n1, r2, n2) == ("T", 12, "L", 1):
        return (), "thoracolumbar"
    if r1 == "L" and r2 == "L" and 1 <= n1 < n2 <= 5 and n2 - n1 > 1:
        return tuple(LEVELS[n1 - 1 : n2 - 1]), "lumbar"  # "L3-L5 laminectomy" spans two levels
    try:
        return (parse_level(f"{r1}{n1}-{r2}{n2}"),), "lumbar"
    except UnsupportedLevelError:
        return (), "nonlumbar"
    except ValueError:
        return (), "nonlumbar"


def _groups(text: str, mentions: list[LevelMention], rules: Structure) -> list[list[LevelMention]]:
    """Mentions joined by 'and', commas or a range word form one group; ranges are expanded."""
    groups: list[list[LevelMention]] = []
    for mention in mentions:
        if groups:
            last = groups[-1][-1]
            between = text[last.end : mention.start]
            if (
                rules.level_range.fullmatch(between)
                and last.kind == "thoracolumbar"
                and mention.kind == "lumbar"
            ):
                # "T12/L1 to L2/3: normal": the lumbar part of the range
                span = tuple(LEVELS[: LEVELS.index(mention.levels[-1]) + 1])
                groups[-1][-1] = LevelMention(last.start, mention.end, "level.range", span, "lumbar")
                continue
            if (
                rules.level_range.fullmatch(between)
                and last.kind == mention.kind == "lumbar"
                and len(last.levels) == 1
                and len(mention.levels) == 1
            ):
                lo, hi = LEVELS.index(last.levels[0]), LEVELS.index(mention.levels[0])
                span = tuple(LEVELS[min(lo, hi) : max(lo, hi) + 1])
                groups[-1][-1] = LevelMention(last.start, mention.end, "level.range", span, "lumbar")
                continue
            if _COORDINATION.fullmatch(between) or mention.levels == groups[-1][-1].levels:
                groups[-1].append(mention)
                continue
        groups.append([mention])
    return groups


def chunks(text: str) -> list[Chunk]:
    """Every readable chunk of the report in order (sections that are never read are skipped)."""
    rules = structure()
    out: list[Chunk] = []
    for section in sections(text):
        context: tuple[Level, ...] = ()
        context_ignored: str | None = None
        columns: list[str] | None = None
        for unit_start, unit_end, new_paragraph in _units(text, section):
            unit = text[unit_start:unit_end]
            if section.reads and "|" in unit:
                header = _table_header(unit, rules)
                if header is not None:
                    columns = header
                    continue
                if columns is not None:
                    row = _table_row(text, unit_start, unit_end, section, columns, rules)
                    if row is not None:
                        out.extend(row)
                        continue
            columns = None
            other_label = _other_label(unit, rules)
            if new_paragraph or other_label:
                context, context_ignored = (), None
            for sentence in _sentences(text, unit_start, unit_end, section):
                if not section.reads:
                    out.append(Chunk(sentence, sentence.start, sentence.end, (), ignored=section.name))
                    continue
                produced, new_context = _chunk_sentence(text, sentence, context, context_ignored, rules)
                out.extend(produced)
                if (
                    new_context is not None and not other_label
                ):  # "Alignment: ... L4 on L5. Otherwise normal."
                    context, context_ignored = new_context
    return out


def _table_header(unit: str, rules: Structure) -> list[str] | None:
    """'Level | Canal | Right foramen | Left foramen': the column names of a table of levels."""
    cells = [c.strip() for c in unit.split("|")]
    if len(cells) < 3 or rules.level_scanner.search(unit) or not re.fullmatch(r"levels?", cells[0], re.I):
        return None
    return cells[1:]


def _table_row(
    text: str, start: int, end: int, section: Section, columns: list[str], rules: Structure
) -> list[Chunk] | None:
    """'L3-4 | mild | normal | mild': one chunk per cell, bound to the row's level and the cell's column."""
    row = text[start:end]
    bars = [start + m.start() for m in re.finditer(r"\|", row)]
    if len(bars) != len(columns):
        return None
    mentions = _mentions(text, start, bars[0], rules)
    if len(mentions) != 1 or mentions[0].kind != "lumbar":
        return None
    sentence = Sentence(section, start, end, row, start)
    edges = [*bars, end]
    return [
        Chunk(sentence, edges[k] + 1, edges[k + 1], mentions[0].levels, None, False, (), columns[k])
        for k in range(len(columns))
    ]


def _sentences(text: str, start: int, end: int, section: Section) -> list[Sentence]:
    found: list[Sentence] = []
    piece_start = start
    continues = False
    for match in _SENTENCE_END.finditer(text, start, end):
        found.append(
            Sentence(section, piece_start, match.start(), text[piece_start : match.start()], start, continues)
        )
        continues = text[match.start() - 1] == ";"
        piece_start = match.end()
    if piece_start < end:
        found.append(Sentence(section, piece_start, end, text[piece_start:end], start, continues))
    return found


def _chunk_sentence(
    text: str,
    sentence: Sentence,
    context: tuple[Level, ...],
    context_ignored: str | None,
    rules: Structure,
) -> tuple[list[Chunk], tuple[tuple[Level, ...], str | None] | None]:
    mentions = _mentions(text, sentence.start, sentence.end, rules)
    if not mentions:
        return [
            Chunk(sentence, sentence.start, sentence.end, context, context_ignored, from_context=True)
        ], None
    if _NOT_CONTEXT.search(sentence.text):
        return [
            Chunk(sentence, sentence.start, sentence.end, (), "anatomy", level_mentions=tuple(mentions))
        ], None
    groups = _groups(text, mentions, rules)
    produced: list[Chunk] = []
    chunk_start = sentence.start
    for i, group in enumerate(groups):
        if i + 1 < len(groups):
            region_start, region_end = group[-1].end, groups[i + 1][0].start
            delimiters = list(_DELIMITER.finditer(text, region_start, region_end))
            chunk_end = delimiters[-1].start() if delimiters else region_end
        else:
            chunk_end = sentence.end
        levels = tuple(dict.fromkeys(lv for m in group for lv in m.levels))
        kinds = {m.kind for m in group}
        ignored = None if "lumbar" in kinds else ("transitional" if "transitional" in kinds else "nonlumbar")
        produced.append(Chunk(sentence, chunk_start, chunk_end, levels, ignored, False, tuple(group)))
        chunk_start = chunk_end
    last = produced[-1]
    return produced, (last.levels, last.ignored)
