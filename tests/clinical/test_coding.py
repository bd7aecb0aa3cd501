"""ICD-10-CM: M48.062 lumbar stenosis with neurogenic claudication, M48.061 without."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.clinical.claudication import Pattern, differentiate
from lss_pathway.clinical.coding import suggest_icd10
from lss_pathway.clinical.stenosis import grade_levels
from lss_pathway.domain.record import PatientRecord

NEUROGENIC = {
    "symptoms": {"leg_symptoms": True, "provoked_by_walking": True, "relieved_by_sitting": True},
    "exam": {"pedal_pulses": {"left": "palpable", "right": "palpable"}},
}
VASCULAR = {
    "symptoms": {"provoked_by_walking": True, "relieved_by_standing_still": True, "calf_predominant": True},
    "exam": {"abi": {"left": 0.6, "right": 0.7}},
}
MIXED = {
    "symptoms": {
        "provoked_by_walking": True,
        "relieved_by_sitting": True,
        "relieved_by_standing_still": True,
    },
    "exam": {"abi": {"left": 0.8}},
}
STENOTIC = {
    "imaging": {
        "levels": [{"level": "L4-L5", "canal_area_mm2": 70}, {"level": "L3-L4", "canal_area_mm2": 90}]
    }
}
NOT_STENOTIC = {"imaging": {"levels": [{"level": "L4-L5", "canal_area_mm2": 130}]}}


def suggest(*parts: dict[str, Any]) -> Any:
    data: dict[str, Any] = {"assessment_date": "2026-11-01"}
    for part in parts:
        data.update(part)
    record = PatientRecord.model_validate(data)
    return suggest_icd10(grade_levels(record), differentiate(record)), differentiate(record).pattern


@pytest.mark.parametrize(("clinical", "pattern"), [(NEUROGENIC, Pattern.NEUROGENIC), (MIXED, Pattern.MIXED)])
def test_stenosis_with_neurogenic_claudication_is_m48_062(clinical: dict[str, Any], pattern: Pattern) -> None:
    code, found = suggest(clinical, STENOTIC)
    assert found is pattern
    assert code.code == "M48.062"
    assert "with neurogenic claudication" in code.label
    assert "L4-L5" in code.reason and "L3-L4" in code.reason


def test_stenosis_with_vascular_claudication_is_m48_061() -> None:
    code, found = suggest(VASCULAR, STENOTIC)
    assert found is Pattern.VASCULAR
    assert code.code == "M48.061"
    assert "without neurogenic claudication" in code.label
    assert "vascular" in code.reason


def test_stenosis_without_documented_claudication_is_m48_061() -> None:
    code, found = suggest(STENOTIC)
    assert found is Pattern.INDETERMINATE
    assert code.code == "M48.061"
    assert "not documented" in code.reason


def test_stated_severe_grade_counts_as_stenosis() -> None:
    code, _ = suggest(NEUROGENIC, {"imaging": {"levels": [{"level": "L4-L5", "central_stenosis": "severe"}]}})
    assert code.code == "M48.062"


@pytest.mark.parametrize("imaging", [{}, NOT_STENOTIC, {"imaging": {"levels": [{"level": "L4-L5"}]}}])
@pytest.mark.parametrize("clinical", [NEUROGENIC, VASCULAR, {}])
def test_no_code_without_radiological_stenosis(imaging: dict[str, Any], clinical: dict[str, Any]) -> None:
    code, _ = suggest(clinical, imaging)
    assert code.code is None
    assert "stenosis" in code.reason


def test_stenosis_only_at_l5_s1_is_the_lumbosacral_code() -> None:
    """Issue 9 (minor): M48.07 for L5-S1-only stenosis, tagged R in the reference data."""
    code, _ = suggest(NEUROGENIC, {"imaging": {"levels": [{"level": "L5-S1", "canal_area_mm2": 70}]}})
    assert code.code == "M48.07"
    assert code.label == "Spinal stenosis, lumbosacral region"


def test_l5_s1_with_another_stenotic_level_stays_lumbar() -> None:
    levels = [{"level": "L5-S1", "canal_area_mm2": 70}, {"level": "L4-L5", "canal_area_mm2": 80}]
    code, _ = suggest(NEUROGENIC, {"imaging": {"levels": levels}})
    assert code.code == "M48.062"
