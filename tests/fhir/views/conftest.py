"""Where the shared public data lives (`<repo>/../shared/data`, as in CI) and the suite's pass counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
SUITE_DIR = SHARED / "sql-on-fhir-v2-tests"
SYNTHEA_DIR = SHARED / "synthea-bulk-10-patients"
BUILD = ROOT / "build" / "sql-on-fhir"

# Filled by test_conformance.py; printed at the end of the run.
SUITE_SUMMARY: list[str] = []


def require(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the shared public test data is not beside this checkout")
    return folder


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in SUITE_SUMMARY:
        terminalreporter.write_line(line)
