"""Diagnosis support for "is this neurogenic claudication from LSS?".

Read from the record: the Cook 2011 count (with only its published operating points), the Suri 2010
single-finding likelihood ratios, the Tomkins-Lane 2016 consensus checklist, and, when a pre-test
probability is given, the post-test probability. Combining several likelihood ratios assumes the
findings are independent, which they are not, so a combined figure is always labelled approximate.
Scores for answers given directly (``lss score cook|sshq``) live here too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from lss_pathway.clinical.instruments.base import Citation, require_mapping, unknown_items
from lss_pathway.domain.packaged import packaged_yaml
from lss_pathway.domain.parsing import FieldError, InputError
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import Pulse

FourOfFive = Literal["exactly", "at_least"]
SshqComparator = Literal["more_than", "or_more"]


@cache
def diagnosis_data() -> dict[str, Any]:
    data: dict[str, Any] = packaged_yaml("lss_pathway.clinical", "data/diagnosis-1.1.0.yaml")
    return data


def _cite(source_id: str, verification: str | None = None) -> Citation:
    src = diagnosis_data()["sources"][source_id]
    return Citation(src["citation"], src["url"], verification or src["verification"])


def post_test_probability(pretest: float, likelihood_ratios: list[float]) -> float:
    """Bayes on the odds scale: post-odds = pre-odds x LR1 x LR2 ...; exact only for a single LR."""
    if not 0 < pretest < 1:
        raise ValueError(f"pre-test probability must be between 0 and 1 (exclusive), got {pretest}")
    odds = pretest / (1 - pretest)
    for lr in likelihood_ratios:
        odds *= lr
    return odds / (1 + odds)


# --- Cook 2011 ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CookResult:
    findings: dict[str, bool | None]
    count_min: int
    count_max: int
    reading: FourOfFive
    lr: float | None
    ci: str | None
    operating_point: str | None
    note: str
    source: Citation

    @property
    def count(self) -> int | None:
        return self.count_min if self.count_min == self.count_max else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": "cook",
            "findings": self.findings,
            "count": self.count,
            "count_range": [self.count_min, self.count_max],
            "four_of_five_reading": self.reading,
            "lr": self.lr,
            "ci": self.ci,
            "operating_point": self.operating_point,
            "note": self.note,
            "source": self.source.to_dict(),
        }


def score_cook(findings: Mapping[str, bool | None], reading: FourOfFive | None = None) -> CookResult:
    """Count present findings; attach an LR only at a published operating point, never interpolated."""
    data = diagnosis_data()["cook2011"]
    chosen: FourOfFive = reading or data["four_of_five_default"]
    known = [f["id"] for f in data["findings"]]
    values = {k: findings.get(k) for k in known}
    count_min = sum(1 for v in values.values() if v is True)
    count_max = count_min + sum(1 for v in values.values() if v is None)
    lr = ci = point = None
    if count_min == count_max:
        for op in data["operating_points"]:
            hit = count_min == op["count"] or (
                op["id"] == "four_of_five" and chosen == "at_least" and count_min >= op["count"]
            )
            if hit:
                lr, ci, point = op["lr"], op["ci"], op["note"]
        note = (
            f"{count_min} of 5"
            if point
            else f"{count_min} of 5: no likelihood ratio was published for this count"
        )
        if count_min == 5 and chosen == "exactly":
            note += " ('four of five' read as exactly four; the at_least reading would apply LR+ 4.6)"
    else:
        note = f"between {count_min} and {count_max} of 5: document the unknown findings"
    return CookResult(values, count_min, count_max, chosen, lr, ci, point, note, _cite("cook2011"))


def cook_from_record(record: PatientRecord, reading: FourOfFive | None = None) -> CookResult:
    s = record.symptoms
    age = record.age()
    walking_or_standing = (
        True
        if s.provoked_by_walking or s.provoked_by_standing
        else (False if s.provoked_by_walking is False and s.provoked_by_standing is False else None)
    )
    over = diagnosis_data()["cook2011"]["age_over"]
    return score_cook(
        {
            "bilateral": s.bilateral,
            "leg_pain_exceeds_back_pain": s.leg_pain_exceeds_back_pain,
            "pain_walking_or_standing": walking_or_standing,
            "relief_sitting": s.relieved_by_sitting,
            "age_over_48": None if age is None else age > over,
        },
        reading,
    )


def cook_from_answers(data: Any, reading: FourOfFive | None = None) -> CookResult:
    answers = require_mapping(data, "answers")
    known = [f["id"] for f in diagnosis_data()["cook2011"]["findings"]]
    errors = unknown_items(answers, known, "answers")
    for key, value in answers.items():
        if key in known and value is not None and not isinstance(value, bool):
            errors.append(FieldError(f"answers.{key}", f"must be true, false or null (got {value!r})"))
    if errors:
        raise InputError(errors)
    return score_cook(answers, reading)


# --- SSHQ -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SshqResult:
    answers: dict[str, bool | None]
    core: int
    other: int
    unanswered: tuple[str, ...]
    positive: bool | None
    comparator: SshqComparator
    rule: str
    note: str
    source: Citation

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": "sshq",
            "q1_q4": self.core,
            "q5_q10": self.other,
            "unanswered": list(self.unanswered),
            "positive": self.positive,
            "comparator": self.comparator,
            "rule": self.rule,
            "note": self.note,
            "source": self.source.to_dict(),
        }


def score_sshq(data: Any, comparator: SshqComparator | None = None) -> SshqResult:
    """Positive if Q1-Q4 are all yes, or both groups reach the comparator's minimums.

    Unanswered items make the result unknown only when their answers could change it.
    """
    spec = diagnosis_data()["sshq"]
    answers = require_mapping(data, "answers")
    ids = [i["id"] for i in spec["items"]]
    errors = unknown_items(answers, ids, "answers")
    for key, value in answers.items():
        if key in ids and value is not None and not isinstance(value, bool):
            errors.append(
                FieldError(f"answers.{key}", f"must be true (yes), false (no) or null (got {value!r})")
            )
    if errors:
        raise InputError(errors)
    chosen: SshqComparator = comparator or spec["comparator_default"]
    rule = spec["comparators"][chosen]
    values = {i: answers.get(i) for i in ids}
    core_ids, other_ids = ids[:4], ids[4:]

    def tally(group: list[str]) -> tuple[int, int]:
        yes = sum(1 for i in group if values[i] is True)
        return yes, yes + sum(1 for i in group if values[i] is None)

    core_lo, core_hi = tally(core_ids)
    other_lo, other_hi = tally(other_ids)

    def positive_with(core: int, other: int) -> bool:
        return core == 4 or (core >= rule["core_min"] and other >= rule["other_min"])

    low, high = positive_with(core_lo, other_lo), positive_with(core_hi, other_hi)
    positive = low if low == high else None
    unanswered = tuple(i for i in ids if values[i] is None)
    note = rule["note"] + ("" if positive is not None else "; the unanswered items decide the result")
    return SshqResult(
        values, core_lo, other_lo, unanswered, positive, chosen, rule["note"], note, _cite("sshq_rule", "S")
    )


# --- Suri 2010 single findings, Delphi checklist --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingLR:
    id: str
    label: str
    present: bool
    lr: float
    ci: str | None
    fact: str
    source: Citation


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    label: str
    present: bool | None
    fact: str


@dataclass(frozen=True, slots=True)
class DiagnosisSupport:
    cook: CookResult
    findings: tuple[FindingLR, ...]
    not_recorded: tuple[str, ...]
    checklist: tuple[ChecklistItem, ...]
    checklist_note: str
    pretest: float | None
    post_test: dict[str, float]
    approximate: bool
    notes: tuple[str, ...]


def _nc(record: PatientRecord) -> bool | None:
    s = record.symptoms
    if s.provoked_by_walking is True and (s.relieved_by_sitting or s.relieved_by_flexion):
        return True
    if s.provoked_by_walking is False:
        return False
    return None


_FINDING_FACTS: dict[str, tuple[str, Callable[[PatientRecord], bool | None]]] = {
    "age_over_65": ("patient.age_years", lambda r: None if (a := r.age()) is None else a > 65),
    "age_over_70": ("patient.age_years", lambda r: None if (a := r.age()) is None else a > 70),
    "age_under_60": ("patient.age_years", lambda r: None if (a := r.age()) is None else a < 60),
    "bilateral_pain": ("symptoms.bilateral", lambda r: r.symptoms.bilateral),
    "improves_bending_forward": ("symptoms.relieved_by_flexion", lambda r: r.symptoms.relieved_by_flexion),
    "improves_seated": ("symptoms.relieved_by_sitting", lambda r: r.symptoms.relieved_by_sitting),
    "neurogenic_claudication": ("symptoms.provoked_by_walking + relief", _nc),
    "worse_standing": ("symptoms.provoked_by_standing", lambda r: r.symptoms.provoked_by_standing),
    "wide_based_gait": ("exam.wide_based_gait", lambda r: r.exam.wide_based_gait),
    "abnormal_romberg": ("exam.abnormal_romberg", lambda r: r.exam.abnormal_romberg),
}

# Findings that restate the same information: only one of each group enters a combined estimate.
_COMBINE = (
    "age_over_65",
    "bilateral_pain",
    "improves_bending_forward",
    "neurogenic_claudication",
    "wide_based_gait",
    "abnormal_romberg",
)


def _checklist(record: PatientRecord) -> tuple[ChecklistItem, ...]:
    s, pulses = record.symptoms, record.exam.pedal_pulses
    both_palpable: bool | None = (
        None
        if pulses.left is None or pulses.right is None
        else pulses.left is Pulse.PALPABLE and pulses.right is Pulse.PALPABLE
    )
    walking_pain = (
        None
        if s.leg_symptoms is None or s.provoked_by_walking is None
        else s.leg_symptoms and s.provoked_by_walking
    )
    cart = (
        True
        if (s.relieved_by_flexion or s.tolerates_cycling)
        else (False if s.relieved_by_flexion is False and s.tolerates_cycling is False else None)
    )
    observed: dict[str, tuple[bool | None, str]] = {
        "leg_buttock_pain_walking": (walking_pain, "symptoms.leg_symptoms + provoked_by_walking"),
        "flexion_relieves": (s.relieved_by_flexion, "symptoms.relieved_by_flexion"),
        "cart_or_bicycle_relief": (cart, "symptoms.relieved_by_flexion / tolerates_cycling"),
        "motor_sensory_disturbance_walking": (
            s.walking_motor_sensory_disturbance,
            "symptoms.walking_motor_sensory_disturbance",
        ),
        "normal_symmetric_pulses": (both_palpable, "exam.pedal_pulses"),
        "leg_weakness": (s.leg_weakness, "symptoms.leg_weakness"),
        "low_back_pain": (s.low_back_pain, "symptoms.low_back_pain"),
    }
    items = diagnosis_data()["tomkins_lane2016"]["items"]
    return tuple(ChecklistItem(i["id"], i["label"], *observed[i["id"]]) for i in items)


def diagnosis_support(
    record: PatientRecord,
    pretest: float | None = None,
    cook_reading: FourOfFive | None = None,
    on_date: dt.date | None = None,
) -> DiagnosisSupport:
    """``on_date``: the as-of date, which turns a birth date into an age when the record has no
    assessment date of its own."""
    if on_date is not None and record.assessment_date is None:
        record = record.model_copy(update={"assessment_date": on_date})
    data = diagnosis_data()
    findings: list[FindingLR] = []
    not_recorded: list[str] = []
    for row in data["suri2010"]["findings"]:
        fact, observe = _FINDING_FACTS[row["id"]]
        present = observe(record)
        if present is None:
            not_recorded.append(row["label"])
            continue
        lr = row["lr_present"] if present else row["lr_absent"]
        if lr is None:
            continue  # e.g. "age over 70" absent: the paper gives no LR for absence
        ci = row["ci_present"] if present else None
        findings.append(FindingLR(row["id"], row["label"], present, lr, ci, fact, _cite(row["source"])))

    cook = cook_from_record(record, cook_reading)
    post: dict[str, float] = {}
    notes: list[str] = []
    approximate = False
    if pretest is not None:
        if cook.lr is not None:
            post["cook"] = post_test_probability(pretest, [cook.lr])
        strongest = max(findings, key=lambda f: abs(math.log(f.lr)), default=None)
        if strongest is not None:
            post["strongest_finding"] = post_test_probability(pretest, [strongest.lr])
            notes.append(
                f"strongest single finding: {strongest.label} (LR {strongest.lr:g}), exact for that finding"
            )
        combined = [f.lr for f in findings if f.id in _COMBINE]
        if combined:
            post["combined_findings"] = post_test_probability(pretest, combined)
            approximate = len(combined) > 1
            if approximate:
                notes.append(
                    f"combined estimate multiplies {len(combined)} likelihood ratios as if independent: "
                    "approximate, likely overstated"
                )
    checklist = _checklist(record)
    met = sum(1 for i in checklist if i.present is True)
    checklist_note = (
        f"{met} of 7 consensus items present, {sum(1 for i in checklist if i.present is None)} not recorded; "
        + data["tomkins_lane2016"]["note"]
    )
    return DiagnosisSupport(
        cook,
        tuple(findings),
        tuple(not_recorded),
        checklist,
        checklist_note,
        pretest,
        post,
        approximate,
        tuple(notes),
    )
