"""Every refusal the service sends (401, 403, 404, 413, 422, CDS Hooks 412 ...) logged with its reason,
and never with a patient identifier.

The reason is the problem's field paths and messages, with whatever may echo the input taken out: quoted
values (``unknown antithrombotic agent '...'``), FHIR references (``Patient/<id>``) and any path segment or
URL segment that is not one of the service's own names. The route is the endpoint's template, not the URL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

log = logging.getLogger("lss_pathway.api.refusals")

SHOWN = 5
"""Problems written per refusal; the rest are counted."""
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\u201c[^\u201d]*\u201d")
_BRACED = re.compile(r"\{[^{}]*\}")
_REFERENCE = re.compile(r"\b([A-Z][A-Za-z]+)/[^\s,;:)\]]+")
_OWN_NAME = re.compile(r"(?!.*\d\d)[A-Za-z_][A-Za-z0-9_-]*|\d+|resource \([A-Z][A-Za-z]+(/…)?\)|")
"""Field names, list indices and FHIR entry labels: the shapes of the paths the service writes (a run of
two digits inside a name looks like an identifier, so it is not one of them)."""
_PATH_PART = re.compile(r"[^.\[\]]+")
_URL_PART = re.compile(r"[a-z][a-z0-9._-]*|")


def scrub(text: str) -> str:
    """A message without the parts that may echo the input."""
    return _REFERENCE.sub(r"\1/…", _BRACED.sub("{…}", _QUOTED.sub("'…'", text)))


def scrub_field(field: str) -> str:
    """A problem's path with any segment that is not a field name or an index replaced."""
    field = _REFERENCE.sub(r"\1/…", field)
    return _PATH_PART.sub(lambda m: m[0] if _OWN_NAME.fullmatch(m[0]) else "…", field)


def route_of(scope: Mapping[str, Any]) -> str:
    """The endpoint's template when routing has run (``/cds-services/{service_id}``), else the URL with
    every segment that is not a plain lowercase name replaced."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    path = str(scope.get("path", ""))
    return "/".join(part if _URL_PART.fullmatch(part) else "…" for part in path.split("/"))


def log_refusal(scope: Mapping[str, Any], status: int, problems: Iterable[Mapping[str, Any]]) -> None:
    items = [
        f"{scrub_field(str(p.get('field') or ''))}: {scrub(str(p.get('message', '')))}"
        if p.get("field")
        else scrub(str(p.get("message", "")))
        for p in problems
    ]
    more = f" (and {len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    method = str(scope.get("method", ""))
    log.info("refused %d %s %s: %s%s", status, method, route_of(scope), "; ".join(items[:SHOWN]), more)
