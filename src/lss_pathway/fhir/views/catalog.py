"""The project's ViewDefinitions, packaged as JSON in `data/` (see docs/sql-on-fhir.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lss_pathway.fhir.views.model import CompiledView, ViewDefinitionError, compile_view


@dataclass(frozen=True)
class ViewInfo:
    name: str
    resource: str
    title: str
    description: str


def _files() -> dict[str, Any]:
    folder = resources.files("lss_pathway.fhir.views") / "data"
    return {p.name[: -len(".json")]: p for p in folder.iterdir() if p.name.endswith(".json")}


def view_names() -> list[str]:
    return sorted(_files())


def load_view_json(name_or_path: str) -> dict[str, Any]:
    """A packaged view by name (`lss_condition`), or a ViewDefinition JSON file by path."""
    files = _files()
    if name_or_path in files:
        text = files[name_or_path].read_text(encoding="utf-8")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ViewDefinitionError(
                f"no view {name_or_path!r}: not a packaged view ({', '.join(sorted(files))}) nor a file"
            )
        text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ViewDefinitionError(f"{name_or_path}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ViewDefinitionError(f"{name_or_path}: a ViewDefinition must be a JSON object")
    return data


def load_view(name_or_path: str) -> CompiledView:
    return compile_view(load_view_json(name_or_path))


def catalog() -> list[ViewInfo]:
    out = []
    for name in view_names():
        data = load_view_json(name)
        out.append(ViewInfo(name, data["resource"], data.get("title", name), data.get("description", "")))
    return out
