"""Benchmark: report reading throughput on one core, our rule pipeline beside a stock medspaCy pipeline.

Both read the same reports (the 40 hand-written and 160 generated reports of tests/nlp/corpus) in the same
run; the figure reported is reports per second, median of >= 3 runs, and the ratio to medspaCy. Both are
also scored with the corpus scorer (F1 per finding type), so speed is compared at known accuracy.

The stock pipeline is ``medspacy.load()`` (PyRuSH sentences, target matcher, ConText with its default
rules) plus the default sectionizer, given the same targets (the lexicon's place and ligamentum-flavum
patterns, as regular-expression target rules). What medspaCy has no component for is done the plain way
a user of it would: the level is the last level named in or before the sentence, the grade is the grade
word nearest before the target, the side is the side word in the sentence (none named: both), negated
targets are 'none' and uncertain or hypothetical ones are skipped.

Goal (issue 15): >= 2x medspaCy's throughput at equal or better F1. Needs the ``nlp`` extra.
Run: ``python benchmarks/bench_nlp.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# medspaCy's dependency medspacy_quickumls installs a top-level ``tests`` package; bind ours by path.
_tests = types.ModuleType("tests")
_tests.__path__ = [str(ROOT / "tests")]
sys.modules["tests"] = _tests

from tests.nlp.corpus.generate import generated  # noqa: E402
from tests.nlp.corpus.gold import Cell, Report, evaluate, load_hand, predicted_cells  # noqa: E402

from lss_pathway.domain.anatomy import LEVELS  # noqa: E402
from lss_pathway.nlp import extract  # noqa: E402
from lss_pathway.nlp.lexicon import lexicon  # noqa: E402

_LEVEL = re.compile(r"\bL([1-5])\s*[-/]?\s*(?:L|S)?([1-6])\b", re.IGNORECASE)
_GRADE = re.compile(r"\b(minimal|mild|slight|moderate|severe|marked|high-grade|critical)\b", re.IGNORECASE)
_GRADE_VALUE = {
    "minimal": "mild",
    "slight": "mild",
    "marked": "severe",
    "high-grade": "severe",
    "critical": "severe",
}
_SIDE = re.compile(r"\b(left|right|bilateral(?:ly)?)\b", re.IGNORECASE)
_CATEGORIES = {
    "loc.central": "central_stenosis",
    "loc.foramen": "foraminal_stenosis",
    "loc.recess": "lateral_recess_stenosis",
}


def medspacy_pipeline() -> Any:
    import medspacy
    from loguru import logger
    from medspacy.target_matcher import TargetRule

    logger.disable("PyRuSH")  # it logs every sentence at DEBUG otherwise
    nlp = medspacy.load()
    nlp.add_pipe("medspacy_sectionizer")
    rules = []
    for token in lexicon().tokens:
        category = _CATEGORIES.get(token.id) or (
            "lf_hypertrophy" if token.id.startswith("lf.hypertrophy") else None
        )
        if category:
            rules.append(TargetRule(token.id, category, pattern=token.pattern))
    nlp.get_pipe("medspacy_target_matcher").add(rules)
    return nlp


def _level(text: str) -> str | None:
    found = list(_LEVEL.finditer(text))
    if not found:
        return None
    upper, lower = int(found[-1].group(1)), found[-1].group(2)
    return LEVELS[upper - 1].value if lower in (str(upper + 1), "1") and upper <= 5 else None


def medspacy_reader(nlp: Any) -> Callable[[Report], dict[Cell, Any]]:
    def read(report: Report) -> dict[Cell, Any]:
        doc = nlp(report.text)
        cells: dict[Cell, Any] = {}
        level: str | None = None
        for sentence in doc.sents:
            level = _level(sentence.text) or level
            for ent in sentence.ents:
                section = getattr(ent._, "section_category", None)
                if (
                    level is None
                    or ent._.is_uncertain
                    or ent._.is_hypothetical
                    or section
                    in (
                        "history_of_present_illness",
                        "past_medical_history",
                        "indication",
                        "reason_for_examination",
                    )
                ):
                    continue
                before = doc.text[sentence.start_char : ent.start_char]
                grades = _GRADE.findall(before)
                value: Any
                if ent.label_ == "lf_hypertrophy":
                    value = not ent._.is_negated
                elif ent._.is_negated:
                    value = "none"
                elif grades:
                    word = grades[-1].lower()
                    value = _GRADE_VALUE.get(word, word)
                else:
                    continue
                if ent.label_ == "central_stenosis":
                    cells[(report.id, level, None, ent.label_)] = value
                    continue
                sides = {s.lower() for s in _SIDE.findall(sentence.text)}
                chosen = (
                    ["left", "right"]
                    if not sides or any(s.startswith("bilateral") for s in sides)
                    else sorted(sides)
                )
                for side in chosen:
                    cells[(report.id, level, side, ent.label_)] = value
        return cells

    return read


def ours(report: Report) -> dict[Cell, Any]:
    return predicted_cells(report.id, extract(report.text, report.id).imaging)


def throughput(read: Callable[[Report], Any], reports: list[Report], runs: int) -> float:
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for report in reports:
            read(report)
        rates.append(len(reports) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    reports = [*load_hand(), *generated(160)]
    nlp = medspacy_pipeline()
    baseline = medspacy_reader(nlp)
    for report in reports[:5]:  # warm both pipelines
        baseline(report)
        ours(report)
    stock_rate = throughput(baseline, reports, args.runs)
    our_rate = throughput(ours, reports, args.runs)
    stock_eval = evaluate(reports, baseline)
    our_eval = evaluate(reports, ours)
    compared = ("central_stenosis", "foraminal_stenosis", "lateral_recess_stenosis", "lf_hypertrophy")
    print(f"{len(reports)} reports, median of {args.runs} runs, one process, one thread")
    print(f"stock medspaCy  {stock_rate:8.1f} reports/s   (floor)")
    print(f"rules pipeline  {our_rate:8.1f} reports/s   ratio {our_rate / stock_rate:.1f}x")
    print(f"{'F1':26} {'medspaCy':>9} {'rules':>7}")
    for name in compared:
        print(f"{name:26} {stock_eval.by_field[name].f1:9.3f} {our_eval.by_field[name].f1:7.3f}")
    print("(medspaCy reads no measurements, causes or slips here; the rule pipeline's full table:)")
    print(our_eval.table())


if __name__ == "__main__":
    main()
