"""Print the evaluation table for one corpus part: ``python -m tests.nlp.corpus.score dev|heldout|existing``.

``--errors`` lists every wrong cell (use it on DEV only: HELD-OUT must not guide rule changes).
"""

from __future__ import annotations

import sys

from tests.nlp.corpus.generate import generated
from tests.nlp.corpus.gold import Evaluation, Report, evaluate, load_blind, load_hand, predicted_cells

from lss_pathway.nlp import extract


def reports(part: str) -> list[Report]:
    if part == "existing":
        return [*load_hand(), *generated(160)]
    return load_blind(part)


def score(part: str) -> tuple[Evaluation, list[Report]]:
    chosen = reports(part)
    return evaluate(chosen, lambda r: predicted_cells(r.id, extract(r.text, r.id).imaging)), chosen


def extras(chosen: list[Report]) -> str:
    """Modality and expected-note recall, which the per-cell table does not show."""
    with_modality = [r for r in chosen if r.modality]
    modality_ok = sum(extract(r.text).imaging.modality == r.modality for r in with_modality)
    expected = [(r, kind) for r in chosen for kind in r.notes]
    notes_ok = sum(kind in {n.kind.value for n in extract(r.text).notes} for r, kind in expected)
    return f"modality {modality_ok}/{len(with_modality)}; expected notes {notes_ok}/{len(expected)}"


def main(argv: list[str]) -> None:
    part = argv[0] if argv else "dev"
    evaluation, chosen = score(part)
    print(f"{part}: {len(chosen)} reports")
    print(evaluation.table())
    print(extras(chosen))
    if "--errors" in argv:
        for s in evaluation.by_field.values():
            for error in s.errors:
                print(error)


if __name__ == "__main__":
    main(sys.argv[1:])
