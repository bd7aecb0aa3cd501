"""Dependency direction: the core imports nothing from the edges and no I/O or UI libraries, and the edges
sit side by side: only the composition roots (the CLI and the server) import across edges.

Checked statically, by parsing every core module's source, so that an import hidden in a rarely-run
branch is caught too; and once at run time as a cross-check.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lss_pathway

PACKAGE = Path(lss_pathway.__file__).parent
CORE_PACKAGES = ("domain", "criteria", "rulesets", "clinical", "pathway")
CORE_MODULES = ("assess", "__init__")
EDGES = (
    "lss_pathway.cli",
    "lss_pathway.report",
    "lss_pathway.fhir",
    "lss_pathway.api",
    "lss_pathway.web",
    "lss_pathway.registry",
    "lss_pathway.screening",
    "lss_pathway.nlp",
    "lss_pathway.imaging",
    "lss_pathway.server",
)
COMPOSITION_ROOTS = ("lss_pathway.cli", "lss_pathway.server")
"""They wire the edges together, so they alone may import any edge."""
SHARED_EDGES = {
    "lss_pathway.report": "the one rendering of an assessment (terminal, HTML, PDF, figures, card wording), "
    "so the CDS card, the clinic page, the registry's print and the terminal say the same words",
    "lss_pathway.fhir": "the one translation of coded clinical data (the code tables and the reader of "
    "resources into record facts), so the FHIR endpoints, the clinic form's Bundle upload and the "
    "screening inputs (FHIR Bulk, OMOP) read a code the same way",
}
"""Edges every other edge may use, each with its reason; each imports only the core (checked below)."""
ALLOWED_CROSSINGS = {
    ("lss_pathway.api", "lss_pathway.nlp"): "api/report_reading.py reads the DiagnosticReport text of a "
    "CDS prefetch or a FHIR Bundle with the report reader inside the FHIR mapping (prefetch templates list "
    "its LOINC codes at import); still to be handed in by the server like the clinic form's reader",
}
"""The remaining edge-to-edge imports outside the roots, each with why it is still there."""
FORBIDDEN = (
    "typer",
    "rich",
    "fastapi",
    "requests",
    "httpx",
    "socket",
    "urllib.request",
    "jinja2",
    "matplotlib",
    "weasyprint",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def core_files() -> list[Path]:
    files = [PACKAGE / f"{name}.py" for name in CORE_MODULES]
    for package in CORE_PACKAGES:
        files += sorted((PACKAGE / package).rglob("*.py"))
    return files


def imported_names(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a source file may import, absolute, including ``from X import name`` as ``X.name``."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
    return found


def matches(name: str, prefixes: tuple[str, ...]) -> list[str]:
    return [p for p in prefixes if name == p or name.startswith(p + ".")]


def _imports(path: Path) -> set[str]:
    return imported_names(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


# --- the checker itself ----------------------------------------------------------------------------------


def test_core_files_are_found() -> None:
    names = {module_name(p) for p in core_files()}
    assert {
        "lss_pathway",
        "lss_pathway.assess",
        "lss_pathway.domain.record",
        "lss_pathway.criteria.evaluate",
        "lss_pathway.rulesets.catalog",
        "lss_pathway.clinical.red_flags",
        "lss_pathway.pathway.recommend",
    } <= names
    assert all(p.exists() for p in core_files())


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import lss_pathway.cli", "lss_pathway.cli"),
        ("from lss_pathway import cli", "lss_pathway.cli"),
        ("from lss_pathway.report.text import render", "lss_pathway.report"),
        ("from ...report import render", "lss_pathway.report"),
        ("from ... import cli", "lss_pathway.cli"),
        ("from .. import cli", "lss_pathway.criteria.cli"),
        ("import importlib\nimportlib.import_module('lss_pathway.fhir.bundle')", "lss_pathway.fhir"),
        ("def f():\n    from lss_pathway.api import app\n", "lss_pathway.api"),
    ],
)
def test_checker_sees_edge_imports(source: str, expected: str) -> None:
    names = imported_names(source, "lss_pathway.criteria.sub.mod")
    assert any(matches(n, (expected,)) for n in names), names


def test_checker_does_not_confuse_rulesets_registry_with_the_registry_edge() -> None:
    names = imported_names("from lss_pathway.rulesets.catalog import load_ruleset", "lss_pathway.assess")
    assert not any(matches(n, EDGES) for n in names)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import typer", "typer"),
        ("from rich.console import Console", "rich"),
        ("import urllib.request", "urllib.request"),
        ("from urllib import request", "urllib.request"),
        ("from urllib.request import urlopen", "urllib.request"),
        ("import socket", "socket"),
        ("import httpx as h", "httpx"),
    ],
)
def test_checker_sees_forbidden_libraries(source: str, expected: str) -> None:
    assert any(matches(n, (expected,)) for n in imported_names(source, "lss_pathway.x"))


def test_urllib_parse_is_not_urllib_request() -> None:
    assert not any(matches(n, FORBIDDEN) for n in imported_names("import urllib.parse", "lss_pathway.x"))


# --- the rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", core_files(), ids=module_name)
def test_core_module_imports_no_edge(path: Path) -> None:
    bad = sorted(n for n in _imports(path) if matches(n, EDGES))
    assert bad == [], f"{module_name(path)} imports edge modules: {bad}"


@pytest.mark.parametrize("path", core_files(), ids=module_name)
def test_core_module_imports_no_ui_or_network_library(path: Path) -> None:
    bad = sorted(n for n in _imports(path) if matches(n, FORBIDDEN))
    assert bad == [], f"{module_name(path)} imports {bad}"


CLOCKS = {"today", "now", "utcnow"}


def clock_reads(source: str) -> list[str]:
    """Calls that read the machine's clock (``date.today()``, ``datetime.now(UTC)``, ...), with their line."""
    return [
        f"line {node.lineno}: {node.func.attr}()"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCKS
    ]


@pytest.mark.parametrize(
    "source",
    ["import datetime as dt\nx = dt.date.today()", "from datetime import datetime\nx = datetime.now(tz)"],
)
def test_checker_sees_clock_reads(source: str) -> None:
    assert len(clock_reads(source)) == 1


@pytest.mark.parametrize("path", core_files(), ids=module_name)
def test_core_module_reads_no_clock(path: Path) -> None:
    """The as-of date is an argument: the same record and date give the same answer on any day. The edges
    (CLI, API, web, FHIR, ...) pass today's date in; the core never reads a clock, not even in a comment."""
    source = path.read_text(encoding="utf-8")
    assert clock_reads(source) == [], f"{module_name(path)} reads the clock"
    assert re.search(r"today\(\)|now\(\)", source) is None, f"{module_name(path)} mentions today() or now()"


def test_importing_the_core_loads_no_edge_or_forbidden_module() -> None:
    code = (
        "import sys, lss_pathway.assess, lss_pathway.rulesets.lint\n"
        "import lss_pathway.domain.parsing\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = out.split()
    bad = sorted(n for n in loaded if matches(n, EDGES) or matches(n, ("typer", "rich", "fastapi", "httpx")))
    assert bad == []


# --- edges side by side ------------------------------------------------------------------------------------


def edge_of(module: str) -> str | None:
    found = matches(module, EDGES)
    return found[0] if found else None


def edge_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if (edge := edge_of(module_name(path))) is not None and edge not in COMPOSITION_ROOTS
    )


def crossings(path: Path) -> set[tuple[str, str]]:
    """(this edge, other edge) for every import of another edge that no rule above allows."""
    own = edge_of(module_name(path))
    assert own is not None
    found = set()
    for name in _imports(path):
        other = edge_of(name)
        if other is None or other == own or other in SHARED_EDGES:
            continue
        found.add((own, other))
    return found


def test_edge_files_are_found() -> None:
    names = {module_name(p) for p in edge_files()}
    assert {"lss_pathway.web.routes", "lss_pathway.api.app", "lss_pathway.registry.pages"} <= names
    assert not any(matches(n, COMPOSITION_ROOTS) for n in names)


def test_checker_sees_an_edge_importing_another() -> None:
    source = "def f():\n    from lss_pathway.nlp import extract\n"
    names = imported_names(source, "lss_pathway.web.report_prefill")
    assert {edge_of(n) for n in names} == {"lss_pathway.nlp"}


@pytest.mark.parametrize("path", edge_files(), ids=module_name)
def test_edge_imports_no_other_edge_except_through_the_composition_root(path: Path) -> None:
    bad = sorted(crossings(path) - set(ALLOWED_CROSSINGS))
    assert bad == [], f"{module_name(path)} imports another edge: {bad}; wire it in lss_pathway.server"


def test_every_allowed_crossing_is_still_needed() -> None:
    """An exception that no module uses any more is removed, so the list stays the true remainder."""
    used = set().union(*(crossings(path) for path in edge_files()))
    assert set(ALLOWED_CROSSINGS) <= used, set(ALLOWED_CROSSINGS) - used


@pytest.mark.parametrize("edge", [*SHARED_EDGES, *{other for _, other in ALLOWED_CROSSINGS}])
def test_shared_and_allowed_edges_import_only_the_core(edge: str) -> None:
    """What other edges may use must not pull a third edge in behind it."""
    folder = PACKAGE / edge.split(".")[1]
    for path in sorted(folder.rglob("*.py")):
        others = sorted(n for n in _imports(path) if (e := edge_of(n)) is not None and e != edge)
        assert others == [], f"{module_name(path)} imports {others}"


def test_the_api_alone_loads_no_other_delivery_edge() -> None:
    """The API edge's application builds without the clinic pages, the registry or the imaging edge."""
    code = "import sys, lss_pathway.api.app\nprint('\\n'.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    prefixes = ("lss_pathway.web", "lss_pathway.registry", "lss_pathway.imaging", "lss_pathway.server")
    assert sorted(n for n in out.split() if matches(n, prefixes)) == []
