"""ICD-10-CM suggestion: M48.062 when stenosis comes with neurogenic claudication, else M48.061.

Stenosis recorded only at L5-S1 is the lumbosacral region: M48.07 (which has no claudication sub-code).
"""

from __future__ import annotations

from dataclasses import dataclass

from lss_pathway.clinical.claudication import Differential, Pattern
from lss_pathway.clinical.reference import reference
from lss_pathway.clinical.stenosis import LevelStenosis


@dataclass(frozen=True, slots=True)
class CodeSuggestion:
    code: str | None
    label: str
    reason: str


def suggest_icd10(stenosis: list[LevelStenosis], differential: Differential) -> CodeSuggestion:
    codes = reference()["icd10"]
    stenotic = [s.level.value for s in stenosis if s.present]
    if not stenotic:
        return CodeSuggestion(None, "No code suggested", "no radiological lumbar stenosis is recorded")
    where = ", ".join(stenotic)
    if stenotic == ["L5-S1"]:
        return CodeSuggestion(
            "M48.07",
            codes["M48.07"]["label"],
            "stenosis only at L5-S1 (lumbosacral region); M48.07 has no claudication sub-code",
        )
    if differential.pattern in (Pattern.NEUROGENIC, Pattern.MIXED):
        return CodeSuggestion(
            "M48.062",
            codes["M48.062"]["label"],
            f"stenosis at {where} with a neurogenic claudication pattern",
        )
    if differential.pattern is Pattern.VASCULAR:
        reason = f"stenosis at {where}; the claudication pattern is vascular, not neurogenic"
    else:
        reason = f"stenosis at {where}; neurogenic claudication is not documented (M48.062 once it is)"
    return CodeSuggestion("M48.061", codes["M48.061"]["label"], reason)
