"""Typed access to the packaged clinical reference values (thresholds with sources, not constants)."""

from __future__ import annotations

from functools import cache
from typing import Any

from lss_pathway.domain.packaged import packaged_yaml

REFERENCE_VERSION = "1.1.0"


@cache
def reference() -> dict[str, Any]:
    data: dict[str, Any] = packaged_yaml("lss_pathway.clinical", f"data/reference-{REFERENCE_VERSION}.yaml")
    return data


def source(source_id: str) -> dict[str, str]:
    found: dict[str, str] = reference()["sources"][source_id]
    return found
