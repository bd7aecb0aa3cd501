"""Every data file the package reads at run time is declared as package data, so an installed wheel has it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import lss_pathway

PACKAGE = Path(lss_pathway.__file__).parent
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"


def test_every_data_file_is_declared_as_package_data() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["lss_pathway"]
    data_files = [
        p.relative_to(PACKAGE)
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert data_files, "the package has data files (rule sets, templates)"
    undeclared = [str(f) for f in data_files if not any(f.match(pattern) for pattern in patterns)]
    assert not undeclared, f"not in [tool.setuptools.package-data]: {undeclared}"
