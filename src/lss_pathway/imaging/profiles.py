"""Label profiles: which label values of a segmentation tool mean canal, vertebra, disc, LF, as data.

Each tool numbers structures differently; the profiles are YAML files beside this module so that a new
tool is a new file, not new code. Loading them needs only PyYAML.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field


class ProfileError(ValueError):
    """An unknown profile name or an invalid profile file."""


class FlavumLabels(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    left: list[int] = Field(default_factory=list)
    right: list[int] = Field(default_factory=list)
    either: list[int] = Field(default_factory=list, description="One label for both sides: split at midline")


class LabelProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    source: str
    canal: list[int] = Field(description="Dural sac / spinal canal; empty when the tool has no such class")
    cord: list[int] = Field(default_factory=list)
    vertebrae: dict[int, str] = Field(default_factory=dict, description="Label -> anatomical name (L4, S1)")
    unnamed_vertebrae: list[int] = Field(default_factory=list, description="Vertebra labels with no name")
    disc_offset: int | None = Field(None, description="Disc label = offset + label of the vertebra above")
    discs: dict[int, tuple[str, str]] = Field(default_factory=dict, description="Label -> (upper, lower)")
    unnamed_discs: list[int] = Field(default_factory=list)
    posterior_elements: list[int] = Field(default_factory=list)
    flavum: FlavumLabels = FlavumLabels()

    def disc_labels(self) -> dict[int, tuple[str, str] | None]:
        """Every disc label, with the (upper, lower) names the profile states, if any."""
        found: dict[int, tuple[str, str] | None] = dict(self.discs)
        if self.disc_offset is not None:
            names = list(self.vertebrae.items())
            for label, upper in names:
                found.setdefault(self.disc_offset + label, (upper, ""))
        for label in self.unnamed_discs:
            found.setdefault(label, None)
        return found

    def vertebra_labels(self) -> dict[int, str | None]:
        found: dict[int, str | None] = dict(self.vertebrae)
        for label in self.unnamed_vertebrae:
            found.setdefault(label, None)
        return found

    @property
    def flavum_labels(self) -> list[int]:
        return [*self.flavum.left, *self.flavum.right, *self.flavum.either]


def available_profiles() -> list[str]:
    folder = resources.files("lss_pathway.imaging") / "profiles"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_profile(name: str) -> LabelProfile:
    if name not in available_profiles():
        raise ProfileError(f"unknown label profile '{name}'; known: {', '.join(available_profiles())}")
    text = (resources.files("lss_pathway.imaging") / "profiles" / f"{name}.yaml").read_text(encoding="utf-8")
    try:
        return LabelProfile.model_validate(yaml.safe_load(text))
    except ValueError as exc:
        raise ProfileError(f"label profile '{name}' is invalid: {exc}") from exc
