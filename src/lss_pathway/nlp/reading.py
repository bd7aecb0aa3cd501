"""Read one chunk (a stretch of text about one group of levels) into candidate facts and notes.

The chunk is cut into typed tokens by the lexicon; then a binder attaches each grade and side to the
finding it qualifies ("mild left and moderate right foraminal stenosis" gives two facts), negation and
hedging cues mark the findings in their scope, and measurements attach to the nearest thing they can
measure. Nothing here decides between two readings of the same fact: that is :mod:`assemble`'s job.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Protocol

from lss_pathway.domain.anatomy import LEVELS, Level, Side
from lss_pathway.domain.vocabulary import Grade
from lss_pathway.nlp.lexicon import TokenRule, lexicon, matched_index, structure
from lss_pathway.nlp.schema import FactValue, NoteKind
from lss_pathway.nlp.segment import Chunk

EXPLICIT, LEVEL_DEFAULT, REPORT_DEFAULT = 2, 1, 0
ANCHORS = {"loc", "lf", "lf_mention", "listhesis", "instability", "shelf", "schizas"}
NOUNS = ANCHORS | {"other"}
_CUES = {"neg_fwd", "neg_bwd", "level_normal", "hedge_fwd", "hedge_bwd"}
_SKIP_FORWARD = {"grade", "side", "conj", "proc", "cmp", "filler"}
_GRADE_ORDER = [Grade.NONE, Grade.MILD, Grade.MODERATE, Grade.SEVERE]
_GRADE_WORDS = [
    (Grade.SEVERE, re.compile(r"severe|marked|high[- ]grade|critical", re.IGNORECASE)),
    (Grade.MODERATE, re.compile(r"moderate", re.IGNORECASE)),
    (Grade.MILD, re.compile(r"mild|minimal|slight", re.IGNORECASE)),
]
_MEAS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:x\s*\d+(?:\.\d+)?\s*)?(.*)", re.IGNORECASE)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_LEVEL_NORMAL_TAIL = re.compile(
    r"^[\s.,;:)]*(?:(?:in appearance|appearances?|at (?:this|each|these|both|all) levels?|otherwise|levels?"
    r"|the|and|disc levels)[\s.,;]*)*$",
    re.IGNORECASE,
)
_INNER_SIDE = re.compile(r"\b(?:left|right|bilateral)\b", re.IGNORECASE)
_PLURAL_PLACE = re.compile(r"foramina\b|recesses|zones|gutters", re.IGNORECASE)
_STENOSIS_WORD = re.compile(r"^stenos[ie]s|stenotic$", re.IGNORECASE)


class FactSink(Protocol):
    """Records one value for the chunk's levels (and ``side``), with the tokens it was read from."""

    def __call__(
        self,
        side: Side | None,
        name: str,
        value: FactValue,
        token: Token,
        cues: list[Token],
        derived: str | None = None,
        weight: int | None = None,
    ) -> None: ...


class NoteSink(Protocol):
    def __call__(
        self,
        kind: NoteKind,
        message: str,
        token: Token,
        side: Side | None = None,
        path_name: str | None = None,
    ) -> None: ...


@dataclass
class Token:
    rule: TokenRule
    start: int
    end: int
    text: str
    bound_to: int | None = None  # index of the anchor a grade or side qualifies

    @property
    def type(self) -> str:
        return self.rule.type


@dataclass(frozen=True)
class Fact:
    """One candidate value for one record path, with where it was read."""

    level: Level
    side: Side | None
    name: str
    value: FactValue
    priority: int
    chunk: Chunk
    start: int
    end: int
    rule_id: str
    cue_ids: tuple[str, ...] = ()
    derived: str | None = None
    scope: str = "level"  # level | all | remaining | remaining-place

    @property
    def path(self) -> str:
        return fact_path(self.level, self.side, self.name)


def fact_path(level: Level, side: Side | None, name: str) -> str:
    base = f"imaging.levels[{level.value}]"
    return f"{base}.sides[{side.value}].{name}" if side else f"{base}.{name}"


@dataclass(frozen=True)
class ChunkNote:
    kind: NoteKind
    message: str
    chunk: Chunk
    start: int
    end: int
    rule_id: str | None
    levels: tuple[Level, ...] = ()
    side: Side | None = None
    path: str | None = None
    name: str | None = None  # the field the note is about, when it is about one


@dataclass
class Reading:
    facts: list[Fact] = field(default_factory=list)
    notes: list[ChunkNote] = field(default_factory=list)
    stenosis_kinds: tuple[str, ...] = ()  # anchor kinds of this chunk, for an elliptical next chunk


def tokens_of(text: str, chunk: Chunk) -> list[Token]:
    masked = list(text[chunk.start : chunk.end])
    for mention in chunk.level_mentions:
        for i in range(max(mention.start, chunk.start), min(mention.end, chunk.end)):
            masked[i - chunk.start] = " "
    lex = lexicon()
    return [
        Token(lex.tokens[matched_index(m)], chunk.start + m.start(), chunk.start + m.end(), m.group(0))
        for m in lex.scanner.finditer("".join(masked))
    ]


def place_kinds(text: str, chunk: Chunk) -> tuple[str, ...]:
    """Stenosis places a chunk names, for a grade-only neighbour ('severe L4-5 and moderate L3-4 canal')."""
    tokens = tokens_of(text, chunk)
    kinds = tuple(str(t.rule.value) for t in tokens if t.type == "loc")
    if not kinds and any(t.type == "proc" and _STENOSIS_WORD.search(t.text) for t in tokens):
        return ("central_stenosis",)
    return kinds


def grade_of(token: Token) -> Grade:
    """The grade a grade word or range names; a range ("moderate to severe") takes its higher end."""
    if token.rule.value:
        return Grade(token.rule.value)
    found = [g for g, pattern in _GRADE_WORDS if pattern.search(token.text)]
    if not found:
        raise ValueError(f"grade rule {token.rule.id} matched '{token.text}' without naming a grade")
    return max(found, key=_GRADE_ORDER.index)


def _sides(token: Token) -> tuple[Side, ...]:
    return (Side.LEFT, Side.RIGHT) if token.rule.value == "both" else (Side(str(token.rule.value)),)


def label_topic(label: str | None) -> str | None:
    """The one stenosis place a line's label names ('Canal:', 'Foraminal stenosis:'), if exactly one."""
    if not label:
        return None
    lex = lexicon()
    kinds = {
        lex.tokens[matched_index(m)].value
        for m in lex.scanner.finditer(label)
        if lex.tokens[matched_index(m)].type == "loc"
    }
    return str(kinds.pop()) if len(kinds) == 1 else None


def read_chunk(
    text: str,
    chunk: Chunk,
    previous_kinds: tuple[str, ...] = (),
    same_sentence: bool = True,
    topic: str | None = None,
) -> Reading:
    tokens = tokens_of(text, chunk)
    reading = Reading()
    if chunk.ignored == "anatomy":
        _report_wide(chunk, tokens, reading)  # "..., alignment is maintained, the conus is normal at L1"
    if chunk.ignored:
        return reading
    if not same_sentence and not any(t.type == "side" for t in tokens):
        previous_kinds = ()  # "Moderate left foraminal stenosis. Mild right." carries over; "Mild." does not
    if chunk.column is not None:
        tokens = _table_cell(chunk.column, tokens)
        previous_kinds, topic = (), None
    tokens = _implied_anchors(tokens, previous_kinds)
    if topic and tokens and not any(t.type in NOUNS for t in tokens):
        # "Canal: ... L2-3 and L5-S1 are capacious."; "Canal stenosis: ...; none at L5-S1": the label's place
        rule = TokenRule("loc.label", "loc", "", topic)
        tokens.insert(0, Token(rule, tokens[0].start, tokens[0].start, ""))
    cut = _remaining_cut(tokens)
    local, remaining = tokens[:cut], tokens[cut:]
    # "the other foramina are patent": every foramen not otherwise described, even at a level named before
    rest = "remaining-place" if _names_place_after_scope(tokens, cut) else "remaining"
    if chunk.levels and not (chunk.from_context and any(t.type == "all_levels" for t in tokens)):
        _read_tokens(text, chunk, local, chunk.levels, EXPLICIT, "level", reading)
        if remaining:
            _read_tokens(text, chunk, remaining, tuple(LEVELS), REPORT_DEFAULT, rest, reading)
    elif any(t.type == "all_levels" for t in tokens):
        _read_tokens(text, chunk, tokens, tuple(LEVELS), REPORT_DEFAULT, "all", reading)
    elif remaining:
        _read_tokens(text, chunk, remaining, tuple(LEVELS), REPORT_DEFAULT, rest, reading)
    else:
        _report_wide(chunk, tokens, reading)
    reading.stenosis_kinds = tuple(str(t.rule.value) for t in tokens if t.type == "loc")
    return reading


def _table_cell(column: str, tokens: list[Token]) -> list[Token]:
    """A cell reads as its column's place and side followed by the cell's words ('Right foramen' + 'mild')."""
    lex = lexicon()
    header = [lex.tokens[matched_index(m)] for m in lex.scanner.finditer(column)]
    places = [r for r in header if r.type == "loc"]
    sides = [r for r in header if r.type == "side"]
    if len(places) != 1 or len(sides) > 1 or not tokens:
        return []
    at = tokens[0].start
    return [Token(r, at, at, "") for r in (*places, *sides)] + tokens


def _names_place_after_scope(tokens: list[Token], cut: int) -> bool:
    scope = next((k for k in range(cut, len(tokens)) if tokens[k].type == "other_levels"), None)
    return scope is not None and tokens[scope].rule.id == "scope.other-places"


def _remaining_cut(tokens: list[Token]) -> int:
    """Index where a clause about 'the remaining levels' starts, or len(tokens) if there is none."""
    for i, token in enumerate(tokens):
        if token.type == "other_levels":
            j = i
            while j > 0 and not (tokens[j - 1].type in ("conj", "scope_end") and tokens[j - 1].text in ",;"):
                if tokens[j - 1].type == "scope_end":
                    break
                j -= 1
            return j
    return len(tokens)


def _implied_anchors(tokens: list[Token], previous_kinds: tuple[str, ...]) -> list[Token]:
    """Bare 'stenosis' with no named place is central; a grade-only chunk continues the previous place."""
    if any(t.type == "loc" for t in tokens):
        return _negated_bare_stenosis(tokens)
    out = list(tokens)
    for i, token in enumerate(tokens):
        if token.type == "proc" and _STENOSIS_WORD.search(token.text):
            rule = TokenRule("loc.central.implied", "loc", token.rule.pattern, "central_stenosis")
            out[i] = Token(rule, token.start, token.end, token.text)
            return out
    kinds = set(previous_kinds)
    if len(kinds) == 1 and not any(t.type in NOUNS for t in tokens):
        # "moderate at L4-5", "mild right", "left is patent": the place of the neighbouring clause
        first_cue = next((k for k, t in enumerate(tokens) if t.type in _CUES), len(tokens))
        qualifiers = [k for k, t in enumerate(tokens[:first_cue]) if t.type in ("grade", "side")]
        graded = any(t.type == "grade" for t in tokens)
        if qualifiers and (graded or first_cue < len(tokens)):
            last = tokens[qualifiers[-1]]
            rule = TokenRule("loc.ellipsis", "loc", "", kinds.pop())
            out.insert(qualifiers[-1] + 1, Token(rule, last.end, last.end, ""))
    return out


def _negated_bare_stenosis(tokens: list[Token]) -> list[Token]:
    """'Mild narrowing of the thecal sac without stenosis': the canal is read twice (mild, none), so it
    stays unknown as ambiguous rather than taking either reading."""
    if not any(t.type == "loc" and t.rule.value == "central_stenosis" for t in tokens):
        return tokens
    out = list(tokens)
    for i, token in enumerate(tokens):
        if (
            i > 0
            and tokens[i - 1].type == "neg_fwd"
            and token.type == "proc"
            and _STENOSIS_WORD.search(token.text)
        ):
            rule = TokenRule("loc.central.implied", "loc", token.rule.pattern, "central_stenosis")
            out[i] = Token(rule, token.start, token.end, token.text)
    return out


def _bind(tokens: list[Token]) -> None:
    """Attach every grade and side to the finding it qualifies (forward first, else backward)."""
    for i, token in enumerate(tokens):
        if token.type not in ("grade", "side", "cmp"):
            continue
        j = i + 1
        passed_proc = False
        while j < len(tokens) and tokens[j].type in _SKIP_FORWARD:
            if passed_proc and tokens[j].type == "conj" and token.type == "grade":
                break  # the clause ended: the grade qualified a place named before it
            passed_proc = passed_proc or tokens[j].type == "proc"
            j += 1
        if j < len(tokens) and tokens[j].type in NOUNS:
            token.bound_to = j if tokens[j].type in ANCHORS else None
            continue
        k = i - 1
        while k >= 0 and tokens[k].type not in NOUNS and tokens[k].type != "scope_end":
            k -= 1
        if k >= 0 and tokens[k].type in ANCHORS:
            token.bound_to = k


def _scoped(tokens: list[Token], kind: str) -> dict[int, Token]:
    """Anchors inside the scope of a negation (kind 'neg') or hedging (kind 'hedge') cue, with the cue."""
    found: dict[int, Token] = {}
    graded = {t.bound_to for t in tokens if t.type == "grade" and t.bound_to is not None}
    for i, cue in enumerate(tokens):
        forward = cue.type == f"{kind}_fwd"
        backward = cue.type == f"{kind}_bwd" or (kind == "neg" and cue.type == "level_normal")
        if kind == "neg" and cue.type in ("level_normal", "neg_bwd") and i + 1 < len(tokens):
            forward = tokens[i + 1].type in ANCHORS
            backward = not forward
        if forward:
            for j in range(i + 1, len(tokens)):
                t = tokens[j]
                if t.type == "scope_end" or (
                    kind == "neg" and (t.type == "grade" and t.bound_to is not None) and not _resolves(cue)
                ):
                    break
                if t.type in ANCHORS:
                    if kind == "neg" and j in graded:
                        break
                    found.setdefault(j, cue)
            if kind == "neg" and _negates_place_before(tokens, i, graded):
                found.setdefault(i - 1, cue)  # "... in the lateral recess without significant narrowing"
        if backward:
            for j in range(i - 1, -1, -1):
                t = tokens[j]
                if t.type in ("scope_end", "neg_fwd") or (
                    kind == "neg" and t.type == "grade" and not _resolves(cue)
                ):
                    break
                if t.type in ANCHORS:
                    if kind == "neg" and j in graded and not _resolves(cue):
                        break
                    found.setdefault(j, cue)
    return found


def _negates_place_before(tokens: list[Token], i: int, graded: set[int]) -> bool:
    """'<place> without narrowing' (the cue ends the sentence): the place just before is what is negated."""
    after = [t.type for t in tokens[i + 1 :]]
    return (
        i > 0
        and tokens[i - 1].type == "loc"
        and i - 1 not in graded
        and after[:1] == ["proc"]
        and not any(kind in ANCHORS for kind in after)
    )


def _resolves(cue: Token) -> bool:
    """'previously mild left foraminal narrowing has resolved': the grade is history, the finding is none."""
    return cue.rule.id == "neg.resolved"


def _read_tokens(
    text: str,
    chunk: Chunk,
    tokens: list[Token],
    levels: tuple[Level, ...],
    priority: int,
    scope: str,
    reading: Reading,
) -> None:
    _bind(tokens)
    negated = _scoped(tokens, "neg")
    hedged = _scoped(tokens, "hedge")
    anchors = [i for i, t in enumerate(tokens) if t.type in ANCHORS]
    _share_coordinated_grades(tokens, anchors)

    def fact(
        side: Side | None,
        name: str,
        value: FactValue,
        token: Token,
        cues: list[Token],
        derived: str | None = None,
        weight: int | None = None,
    ) -> None:
        start = min([token.start, *[c.start for c in cues]]) if token.text else min(c.start for c in cues)
        end = max([token.end, *[c.end for c in cues]])
        for level in levels:
            reading.facts.append(
                Fact(
                    level,
                    side,
                    name,
                    value,
                    min(priority, weight if weight is not None else priority),
                    chunk,
                    start,
                    end,
                    token.rule.id,
                    tuple(c.rule.id for c in cues),
                    derived,
                    scope,
                )
            )

    def note(
        kind: NoteKind, message: str, token: Token, side: Side | None = None, path_name: str | None = None
    ) -> None:
        path = fact_path(levels[0], side, path_name) if path_name and len(levels) == 1 else None
        reading.notes.append(
            ChunkNote(
                kind, message, chunk, token.start, token.end, token.rule.id, levels, side, path, path_name
            )
        )

    for i in anchors:
        anchor = tokens[i]
        mods = sorted((t for t in tokens if t.bound_to == i), key=lambda t: t.start)
        if i in hedged:
            note(
                NoteKind.UNCERTAIN,
                f"hedged ('{hedged[i].text}'): left unknown",
                anchor,
                None,
                _field_of(anchor),
            )
            continue
        if anchor.type == "loc":
            _stenosis(anchor, mods, negated.get(i), tokens, fact, note)
        elif anchor.type in ("lf", "lf_mention"):
            sides = [s for m in mods if m.type == "side" for s in _sides(m)]
            inner = _INNER_SIDE.search(anchor.text)  # "thickening of the left ligamentum flavum"
            if inner:
                sides += (
                    [Side.LEFT, Side.RIGHT]
                    if inner.group(0).lower() == "bilateral"
                    else [Side(inner.group(0).lower())]
                )
            value = i not in negated
            if anchor.type == "lf_mention" and value:
                continue
            cues = [*mods, *([negated[i]] if i in negated else [])]
            derived = (
                None
                if sides
                else "no side named: a level-level ligamentum flavum statement applies to both sides"
            )
            for side in sides or [Side.LEFT, Side.RIGHT]:
                fact(side, "lf_hypertrophy", value, anchor, cues, derived)
        elif anchor.type == "listhesis":
            _listhesis(i, tokens, negated.get(i), fact, note)
        elif anchor.type == "instability":
            fact(None, "instability", i not in negated, anchor, [negated[i]] if i in negated else [])
        elif anchor.type == "shelf":
            sides = [s for m in mods if m.type == "side" for s in _sides(m)]
            for side in sides or [Side.LEFT, Side.RIGHT]:
                fact(side, "laminar_shelf", i not in negated, anchor, [negated[i]] if i in negated else [])
        elif anchor.type == "schizas":
            letter = re.search(r"([a-d][1-4]?)\s*$", anchor.text, re.IGNORECASE)
            if letter:
                fact(None, "schizas", letter.group(1).upper(), anchor, [])
    if chunk.from_context and priority == EXPLICIT and not _on_level_line(text, chunk):
        for i in anchors:
            if tokens[i].type == "listhesis" and i in negated and i not in hedged:
                _whole_spine_no_slip(chunk, tokens[i], reading, "'no slip' in a sentence naming no level")
    _measurements(text, tokens, fact)
    _dominant_cause(tokens, negated, fact)
    for token in tokens:
        if token.type == "alignment_normal" and chunk.from_context:  # "The remaining alignment is normal."
            _whole_spine_no_slip(
                chunk, token, reading, "alignment stated normal in a sentence naming no level"
            )
        elif token.type == "alignment_normal":
            fact(None, "meyerding_grade", 0, token, [], "alignment stated normal")
    if not anchors:
        _level_normal(text, chunk, tokens, fact)


def _field_of(anchor: Token) -> str | None:
    if anchor.type == "loc":
        return str(anchor.rule.value)
    return {"lf": "lf_hypertrophy", "listhesis": "meyerding_grade", "instability": "instability"}.get(
        anchor.type
    )


def _share_coordinated_grades(tokens: list[Token], anchors: list[int]) -> None:
    """'moderate central canal and foraminal stenosis': places joined only by 'and' share one grade."""
    for a, b in itertools.pairwise(anchors):
        if tokens[a].type != "loc" or tokens[b].type != "loc":
            continue
        if not all(tokens[k].type in ("conj", "side") for k in range(a + 1, b)):
            continue
        grades_a = [t for t in tokens if t.type == "grade" and t.bound_to == a]
        grades_b = [t for t in tokens if t.type == "grade" and t.bound_to == b]
        source, target = (grades_a, b) if grades_a and not grades_b else (grades_b, a)
        if source and not (grades_a and grades_b):
            for g in source:
                tokens.append(Token(g.rule, g.start, g.end, g.text, bound_to=target))


def _stenosis(
    anchor: Token, mods: list[Token], neg: Token | None, tokens: list[Token], fact: FactSink, note: NoteSink
) -> None:
    name = str(anchor.rule.value)
    if neg is not None and _resolves(neg):
        mods = [m for m in mods if m.type != "grade"]
    grades = [m for m in mods if m.type == "grade"]
    for g in grades:
        if g.rule.id == "grade.range":
            note(NoteKind.GRADE_RANGE, f"range '{g.text}': the higher grade is used", g, None, None)
    if name == "central_stenosis":
        if grades:
            values = {grade_of(g) for g in grades}
            if len(values) == 1:
                fact(None, name, values.pop().value, anchor, grades)
            else:
                note(NoteKind.AMBIGUOUS, "two grades for one finding: left unknown", anchor, None, name)
        elif neg is not None:
            fact(None, name, Grade.NONE.value, anchor, [neg])
            if anchor.rule.id == "loc.central.implied" and sum(t.type == "loc" for t in tokens) == 1:
                why = "'no stenosis' with no place named: no stenosis of any kind at the level"
                for side in (Side.LEFT, Side.RIGHT):
                    fact(side, "foraminal_stenosis", Grade.NONE.value, anchor, [neg], why)
                    fact(side, "lateral_recess_stenosis", Grade.NONE.value, anchor, [neg], why)
        elif _narrowed(anchor, tokens) or anchor.rule.id == "loc.central.implied":
            note(NoteKind.UNGRADED, "stenosis without a grade: left unknown", anchor, None, name)
        return
    by_side, lesser, ungraded_sides = _pair_sides(mods)
    if by_side:
        for side, (grade, cues) in by_side.items():
            fact(side, name, grade.value, anchor, cues)
    elif grades:
        values = {grade_of(g) for g in grades}
        if len(values) == 1:
            value = values.pop()
            for side in (Side.LEFT, Side.RIGHT):
                if side not in lesser:
                    fact(side, name, value.value, anchor, grades, "no side named: applies to both sides")
        else:
            note(NoteKind.AMBIGUOUS, "grades without sides: left unknown", anchor, None, None)
    elif neg is not None:
        sides = ungraded_sides or {Side.LEFT, Side.RIGHT}
        for side in sorted(sides):
            fact(side, name, Grade.NONE.value, anchor, [neg, *[m for m in mods if m.type == "side"]])
        return
    elif _narrowed(anchor, tokens):
        note(NoteKind.UNGRADED, "stenosis without a grade: left unknown", anchor, None, name)
    for side in lesser:
        greater = [(grade, cues) for other, (grade, cues) in by_side.items() if other != side]
        mild_greater = len(greater) == 1 and greater[0][0] is Grade.MILD
        if side not in by_side and mild_greater and _PLURAL_PLACE.search(anchor.text):
            # "the foramina are mildly narrowed, left greater than right": both narrowed, none above mild
            why = "both sides stated narrowed and the greater one only mildly: the lesser is mild too"
            fact(side, name, Grade.MILD.value, anchor, greater[0][1], why)
            continue
        if side not in by_side:
            note(
                NoteKind.LESSER_SIDE,
                f"{side.value} side named as the lesser: grade unknown",
                anchor,
                side,
                name,
            )


def _narrowed(anchor: Token, tokens: list[Token]) -> bool:
    """A narrowing word next to the place ('foraminal narrowing', 'narrowing of the left foramen')."""
    i = next(k for k, t in enumerate(tokens) if t is anchor)
    near = [tokens[k] for k in (i - 2, i - 1, i + 1, i + 2) if 0 <= k < len(tokens)]
    return any(t.type == "proc" for t in near)


def _pair_sides(mods: list[Token]) -> tuple[dict[Side, tuple[Grade, list[Token]]], set[Side], set[Side]]:
    """Pair grades with sides in reading order; a side after 'greater than' is the lesser, left unknown."""
    by_side: dict[Side, tuple[Grade, list[Token]]] = {}
    lesser: set[Side] = set()
    pending: list[Token] = []
    last_grade: Token | None = None
    grade_used = False
    after_cmp = False
    mentioned: set[Side] = set()
    if any(m.type == "side" and m.rule.value != "both" for m in mods):
        mods = [m for m in mods if not (m.type == "side" and m.rule.value == "both")]  # a summary word
    for m in mods:
        if m.type == "grade":
            last_grade, grade_used = m, False
            for side_token in pending:
                for side in _sides(side_token):
                    if side not in lesser:
                        by_side[side] = (grade_of(m), [m, side_token])
                grade_used = True
            pending = []
        elif m.type == "side":
            mentioned.update(_sides(m))
            if after_cmp:
                lesser.update(_sides(m))
                for side in _sides(m):
                    by_side.pop(side, None)
                after_cmp = False
            elif last_grade is not None and not grade_used:
                for side in _sides(m):
                    by_side[side] = (grade_of(last_grade), [last_grade, m])
                grade_used = True
            else:
                pending.append(m)
        elif m.type == "cmp":
            after_cmp = True
    if last_grade is not None:
        for side_token in pending:
            for side in _sides(side_token):
                if side not in lesser:
                    by_side[side] = (grade_of(last_grade), [last_grade, side_token])
    return by_side, lesser, mentioned


def _nearest(tokens: list[Token], index: int, types: set[str], window: int = 60) -> Token | None:
    meas = tokens[index]
    best: tuple[int, Token] | None = None
    for t in tokens:
        if t.type not in types or t is meas:
            continue
        distance = meas.start - t.end if t.end <= meas.start else t.start - meas.end
        if distance <= window and (best is None or distance < best[0]):
            best = (distance, t)
    return best[1] if best else None


_MEASURED_BY = re.compile(
    r"^[\s,(:=]*(?:(?:of|on|measuring|measures|measured|approximately|approx\.?|about|up to|is|at|which|that"
    r"|the|level|levels|l[1-5]|s1|thickness|thick|area|sac|dural|thecal|cross-sectional)[\s,(:=]*)*$",
    re.IGNORECASE,
)


def _preceding_measured(text: str, tokens: list[Token], i: int, targets: set[str]) -> Token | None:
    """'anterolisthesis of L4 on L5 measuring 5 mm': the thing named just before, joined by filler words."""
    for k in range(i - 1, -1, -1):
        candidate = tokens[k]
        if candidate.type in targets:
            between = text[candidate.end : tokens[i].start]
            return candidate if len(between) <= 60 and _MEASURED_BY.match(between) else None
        if candidate.type not in ("filler", "side"):
            return None
    return None


def _measurements(text: str, tokens: list[Token], fact: FactSink) -> None:
    targets = {
        "loc",
        "lf",
        "lf_mention",
        "listhesis",
        "ap_cue",
        "area_cue",
        "translation_cue",
        "angulation_cue",
        "other",
    }
    previous: tuple[int, Token | None] | None = None  # the last measurement and what it measured
    for i, token in enumerate(tokens):
        if token.type != "meas":
            continue
        listed = previous is not None and all(
            t.type in ("side", "conj", "filler") for t in tokens[previous[0] + 1 : i]
        )
        parsed = _MEAS.match(token.text)
        if parsed is None:
            continue
        if re.search(r"\dx|\d\s+x\s", token.text, re.IGNORECASE):
            continue  # "1.0 x 0.8 cm": which one is AP is not said
        number, unit = float(parsed.group(1)), parsed.group(2).lower().replace(" ", "")
        if listed and previous is not None:  # "5.1 mm on the left and 4.8 mm on the right"
            target = previous[1]
        else:
            target = _preceding_measured(text, tokens, i, targets) or _nearest(tokens, i, targets)
        previous = (i, target)
        kind = target.type if target else None
        if kind == "loc" and target is not None and target.rule.value != "central_stenosis":
            continue
        if unit.startswith(("mm2", "mm²", "mm^2", "sq", "square", "cm2", "cm²")):
            if kind in ("loc", "area_cue", None):
                fact(
                    None,
                    "canal_area_mm2",
                    number * (100 if unit.startswith("cm") or "cm" in unit else 1),
                    token,
                    [],
                )
        elif unit in ("%", "percent") and kind in ("listhesis", "translation_cue"):
            fact(None, "slip_percent", number, token, [])
        elif unit.startswith(("deg", "°")) and kind == "angulation_cue":
            fact(None, "angulation_deg", number, token, [])
        elif unit.startswith(("mm", "millim", "cm", "centim")):
            mm = number * (10 if unit.startswith(("cm", "centim")) else 1)
            if kind in ("lf", "lf_mention"):
                side_token = _measured_side(tokens, i, text)
                anchor_index = next(k for k, t in enumerate(tokens) if t is target)
                anchor_sides = [t for t in tokens if t.type == "side" and t.bound_to == anchor_index]
                if side_token is None and len(anchor_sides) == 1:
                    side_token = anchor_sides[0]
                if side_token is not None:
                    for side in _sides(side_token):
                        fact(side, "lf_thickness_mm", mm, token, [side_token])
                else:
                    for side in (Side.LEFT, Side.RIGHT):
                        fact(side, "lf_thickness_mm", mm, token, [], "no side named: applies to both sides")
            elif kind in ("ap_cue", "loc"):
                fact(None, "ap_diameter_mm", mm, token, [])
            elif kind == "listhesis":
                fact(None, "slip_mm", mm, token, [])
            elif kind == "translation_cue":
                fact(None, "translation_mm", mm, token, [])


_SIDE_AFTER = re.compile(r"^\s*(?:on the|on|at the|at|in the|,)?\s*$", re.IGNORECASE)
_SIDE_BEFORE = re.compile(r"^\s*(?:lf|ligamentum flavum|side)?\s*[:=,]?\s*$", re.IGNORECASE)


def _measured_side(tokens: list[Token], i: int, text: str) -> Token | None:
    """The side a measurement belongs to: '4 mm on the left' (after) before 'left 4 mm' (before)."""
    meas = tokens[i]
    found: list[tuple[int, Token]] = []
    if i + 1 < len(tokens) and tokens[i + 1].type == "side":
        gap = text[meas.end : tokens[i + 1].start]
        if _SIDE_AFTER.match(gap):
            found.append((len(gap), tokens[i + 1]))
    if i > 0 and tokens[i - 1].type == "side":
        gap = text[tokens[i - 1].end : meas.start]
        if _SIDE_BEFORE.match(gap):
            found.append((len(gap), tokens[i - 1]))
    return min(found, key=lambda pair: pair[0])[1] if found else None


def _listhesis(i: int, tokens: list[Token], neg: Token | None, fact: FactSink, note: NoteSink) -> None:
    anchor = tokens[i]
    if neg is not None:
        fact(None, "meyerding_grade", 0, anchor, [neg])
        return
    if anchor.rule.value:
        note(NoteKind.SLIP_DIRECTION, f"{anchor.rule.value}listhesis", anchor, None, None)
    grade_token = _nearest(tokens, i, {"meyerding"}, window=40)
    if grade_token is not None:
        word = re.sub(r"^(?:meyerding\s*)?grade[\s-]*", "", grade_token.text.lower()).split("/")[0].strip()
        grade = int(word) if word.isdigit() else _ROMAN.get(word)
        if grade is not None:
            fact(None, "meyerding_grade", grade, anchor, [grade_token])
            return
    if not any(t.type == "meas" for t in tokens):
        note(
            NoteKind.UNGRADED,
            "slip without a grade or size: grade left unknown",
            anchor,
            None,
            "meyerding_grade",
        )


def _dominant_cause(tokens: list[Token], negated: dict[int, Token], fact: FactSink) -> None:
    central = [
        i
        for i, t in enumerate(tokens)
        if t.type == "loc"
        and t.rule.value == "central_stenosis"
        and i not in negated
        and any(g.type == "grade" and g.bound_to == i for g in tokens)
    ]
    if not central:
        return
    causes: dict[str, Token] = {}
    for i, t in enumerate(tokens):
        if i in negated:
            continue
        if t.type == "lf":
            causes.setdefault("lf_hypertrophy", t)
        elif t.type == "other" and t.rule.cause:
            causes.setdefault(t.rule.cause, t)
    if not causes:
        return
    # the link must stand between a cause and the stenosis: in "disc bulge with facet hypertrophy, severe
    # canal stenosis" the 'with' only joins two findings, and no cause is stated
    stenosis_at = tokens[central[0]].start

    def between(x: int, a: int, b: int) -> bool:
        return min(a, b) < x < max(a, b)

    link = next(
        (
            t
            for t in tokens
            if t.type == "cause_link"
            and any(between(t.start, c.start, stenosis_at) for c in causes.values())
            and not any(between(c.start, t.start, stenosis_at) for c in causes.values())
        ),
        None,
    )
    if link is None:
        return
    value = next(iter(causes)) if len(causes) == 1 else "mixed"
    fact(None, "dominant_cause", value, tokens[central[0]], [link, *causes.values()])


def _level_normal(text: str, chunk: Chunk, tokens: list[Token], fact: FactSink) -> None:
    if any(t.type == "other" and t.rule.blocks_normal for t in tokens):
        return
    for k, token in enumerate(tokens):
        if k > 0 and tokens[k - 1].type == "other":
            continue  # "Facets normal.", "disc desiccation, unremarkable disc": that structure is normal
        tail = list(text[token.end : chunk.end])
        for mention in chunk.level_mentions:  # "Unremarkable L1-L2 and L2-L3 levels."
            for k in range(max(mention.start, token.end), min(mention.end, chunk.end)):
                tail[k - token.end] = " "
        if token.type == "level_normal" and _LEVEL_NORMAL_TAIL.match("".join(tail)):
            why = "level stated normal: no stenosis and no ligamentum flavum hypertrophy"
            _normal_defaults(token, fact, why)
            return
        if token.rule.id == "neg.patent" and k == 0 and _LEVEL_NORMAL_TAIL.match("".join(tail)):
            why = "level stated patent: canal and foramina open (recess and ligament not said)"
            fact(None, "central_stenosis", Grade.NONE.value, token, [], why, LEVEL_DEFAULT)
            for side in (Side.LEFT, Side.RIGHT):
                fact(side, "foraminal_stenosis", Grade.NONE.value, token, [], why, LEVEL_DEFAULT)
            return


_LEVEL_LINE_LEAD = re.compile(r"(?:at\s+)?(?:the\s+)?(?:levels?\s+)?", re.IGNORECASE)


def _on_level_line(text: str, chunk: Chunk) -> bool:
    """The chunk's sentence is on a line that opens with its level ("L4-L5: ... No spondylolisthesis."):
    what it says without naming a level is about that level, never the whole spine."""
    start = chunk.sentence.unit_start
    lead = _LEVEL_LINE_LEAD.match(text, start)
    return structure().level_scanner.match(text, lead.end() if lead else start) is not None


def _normal_defaults(token: Token, fact: FactSink, why: str) -> None:
    fact(None, "central_stenosis", Grade.NONE.value, token, [], why, LEVEL_DEFAULT)
    for side in (Side.LEFT, Side.RIGHT):
        fact(side, "foraminal_stenosis", Grade.NONE.value, token, [], why, LEVEL_DEFAULT)
        fact(side, "lateral_recess_stenosis", Grade.NONE.value, token, [], why, LEVEL_DEFAULT)
        fact(side, "lf_hypertrophy", False, token, [], why, LEVEL_DEFAULT)


def _report_wide(chunk: Chunk, tokens: list[Token], reading: Reading) -> None:
    """A sentence with no level: only whole-spine statements count ('alignment is normal', 'no listhesis')."""
    _bind(tokens)
    negated = _scoped(tokens, "neg")
    for i, token in enumerate(tokens):
        if token.type == "alignment_normal" or (token.type == "listhesis" and i in negated):
            _whole_spine_no_slip(chunk, token, reading, "whole-spine statement: no slip at any level")


def _whole_spine_no_slip(chunk: Chunk, token: Token, reading: Reading, why: str) -> None:
    for level in LEVELS:
        reading.facts.append(
            Fact(
                level,
                None,
                "meyerding_grade",
                0,
                REPORT_DEFAULT,
                chunk,
                token.start,
                token.end,
                token.rule.id,
                (),
                why,
                "all",
            )
        )
