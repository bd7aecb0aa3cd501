"""Shared fixtures: the packaged examples and small record builders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def candidate_file() -> Path:
    return EXAMPLES / "01-bilateral-l45-candidate.yaml"
