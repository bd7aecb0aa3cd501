"""Nadeau 2013 constellations: present only with every part, absent as soon as one part is absent."""

from __future__ import annotations

from typing import Any

from lss_pathway.clinical.claudication import differentiate
from lss_pathway.domain.record import PatientRecord


def constellations(**symptoms: Any) -> dict[str, Any]:
    d = differentiate(PatientRecord.model_validate({"symptoms": symptoms}))
    return {c.id: c for c in d.constellations}


NEURO = {
    "relieved_by_flexion": True,
    "above_knee": True,
    "provoked_by_standing": True,
    "relieved_by_sitting": True,
}


def test_neurogenic_constellation_needs_all_four() -> None:
    found = constellations(**NEURO)["nadeau_neurogenic"]
    assert found.present is True and found.likelihood_ratio == "PLR 13"
    partial = constellations(**{**NEURO, "above_knee": None})["nadeau_neurogenic"]
    assert partial.present is None and partial.missing == ("symptoms.above_knee",)
    assert constellations(**{**NEURO, "above_knee": False})["nadeau_neurogenic"].present is False


def test_vascular_constellation() -> None:
    found = constellations(calf_predominant=True, relieved_by_standing_still=True)["nadeau_vascular"]
    assert found.present is True and found.likelihood_ratio == "PLR 20"
    assert constellations(calf_predominant=False)["nadeau_vascular"].present is False
