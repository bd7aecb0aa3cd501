"""FHIRPath for the views: one parse (fhirpathpy's ANTLR grammar) and the Python evaluation.

The parsed tree is the shared form: the Python execution hands it to fhirpathpy's evaluator, the DuckDB
execution compiles it to SQL (`sql.py`). fhirpathpy lacks the SQL-on-FHIR functions
`getResourceKey`/`getReferenceKey` and FHIRPath's `lowBoundary`/`highBoundary`; they are added here as
user functions that receive fhirpathpy's nodes (so a date is told from a dateTime by its FHIR type).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from antlr4 import CommonTokenStream, InputStream, Token
from antlr4.error.ErrorListener import ErrorListener
from antlr4.tree.Tree import ParseTreeWalker
from fhirpathpy.engine import do_eval
from fhirpathpy.engine.invocations.constants import constants as fhirpath_constants
from fhirpathpy.engine.nodes import FP_Type, ResourceNode, TypeInfo
from fhirpathpy.engine.util import arraify
from fhirpathpy.models import models
from fhirpathpy.parser.ASTPathListener import ASTPathListener
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

Node = dict[str, Any]
R4_MODEL: dict[str, Any] = models["r4"]


class FhirPathSyntaxError(ValueError):
    """An expression the FHIRPath grammar rejects."""


class FhirPathEvaluationError(ValueError):
    """An expression that failed on a resource (wrong type, a collection where one value was due)."""


class _RaisingListener(ErrorListener):  # type: ignore[misc]
    def syntaxError(self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any) -> None:
        raise FhirPathSyntaxError(f"FHIRPath syntax error at column {column + 1}: {msg}")


@dataclass(frozen=True)
class Expression:
    """A parsed FHIRPath expression: its text, its tree, and the %variables it reads."""

    text: str
    tree: Node = field(compare=False, repr=False)
    variables: frozenset[str] = field(compare=False)

    @property
    def root(self) -> Node:
        child: Node = self.tree["children"][0]
        return child


def parse_expression(text: str) -> Expression:
    """Parse with fhirpathpy's grammar, but fail on any syntax error (fhirpathpy's own parse ignores them)."""
    listener = _RaisingListener()
    lexer = FHIRPathLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    parser = FHIRPathParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree_listener = ASTPathListener()  # type: ignore[no-untyped-call]
    try:
        tree = parser.expression()
        if parser.getCurrentToken().type != Token.EOF:
            raise FhirPathSyntaxError(f"unexpected text after the expression in {text!r}")
        ParseTreeWalker().walk(tree_listener, tree)
    except FhirPathSyntaxError:
        raise
    except Exception as exc:  # the ANTLR lexer raises its own exception types
        raise FhirPathSyntaxError(f"not a FHIRPath expression: {text!r} ({type(exc).__name__})") from exc
    ast: Node = tree_listener.parentStack[0]
    return Expression(text=text, tree=ast, variables=frozenset(_variables(ast)))


def _variables(node: Node) -> set[str]:
    found: set[str] = set()
    if node.get("type") == "ExternalConstant":
        # %name has an Identifier child; %'name' only the string among its terminal tokens
        name = node["children"][0]["text"] if node.get("children") else node["terminalNodeText"][-1]
        found.add(name.strip("`'"))
    for child in node.get("children", []) or []:
        found |= _variables(child)
    return found


# --- Python evaluation -------------------------------------------------------------------------------


def evaluate(expression: Expression, data: Any, variables: Mapping[str, Any]) -> list[Any]:
    """Evaluate on a resource (dict) or a node from an earlier evaluation; returns fhirpathpy nodes."""
    fhirpath_constants.reset()  # type: ignore[no-untyped-call]
    root = [] if data is None else arraify(data)  # type: ignore[no-untyped-call]
    ctx = {
        "$this": root,
        "dataRoot": root,
        "vars": {"context": data, "resource": data, "ucum": "http://unitsofmeasure.org", **variables},
        "model": R4_MODEL,
        "userInvocationTable": USER_FUNCTIONS,
    }
    try:
        result: list[Any] = do_eval(ctx, root, expression.root)  # type: ignore[no-untyped-call]
    except FhirPathEvaluationError:
        raise
    except Exception as exc:  # fhirpathpy raises bare Exceptions
        raise FhirPathEvaluationError(f"{expression.text!r} failed: {exc}") from exc
    return result


def plain(value: Any) -> Any:
    """A fhirpathpy result item as plain JSON-like Python (dates as their FHIR string form)."""
    if isinstance(value, ResourceNode):
        value = value.data
    if isinstance(value, FP_Type):
        return str(value)
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def resource_key(resource: Mapping[str, Any]) -> str | None:
    """The key the views use for a resource: `Type/id` (ids are only unique within a type)."""
    rtype, rid = resource.get("resourceType"), resource.get("id")
    return f"{rtype}/{rid}" if rtype and rid else None


def reference_key(reference: Any, wanted_type: str | None) -> str | None:
    """`Type/id` of a relative or absolute literal reference, or None (also when its type is not wanted)."""
    if not isinstance(reference, Mapping) or not isinstance(reference.get("reference"), str):
        return None
    parts = reference["reference"].split("/_history/")[0].rstrip("/").split("/")
    if len(parts) < 2:
        return None
    rtype, rid = parts[-2], parts[-1]
    if wanted_type is not None and rtype != wanted_type:
        return None
    return f"{rtype}/{rid}"


def _get_resource_key(ctx: Any, inputs: list[Any]) -> list[Any]:
    keys = (resource_key(plain(i)) for i in inputs if isinstance(plain(i), Mapping))
    return [k for k in keys if k is not None]


def _get_reference_key(ctx: Any, inputs: list[Any], wanted: TypeInfo | None = None) -> list[Any]:
    name = wanted.name if isinstance(wanted, TypeInfo) else None
    keys = (reference_key(plain(i), name) for i in inputs)
    return [k for k in keys if k is not None]


# --- lowBoundary / highBoundary (FHIRPath 2.0), for decimal, date, dateTime, instant and time ----------

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_DATETIME = re.compile(
    r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2})(?::(\d{2}))?(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:\d{2})?$"
)
_TIME = re.compile(r"^(\d{2})(?::(\d{2}))?(?::(\d{2})(?:\.(\d+))?)?$")


def _fhir_type(node: Any) -> str | None:
    if isinstance(node, ResourceNode) and isinstance(node.path, str):
        return node.path.rsplit(".", 1)[-1]
    return None


def decimal_boundary(value: Decimal | int, high: bool) -> Decimal | int:
    if isinstance(value, int):
        return value
    exponent = value.as_tuple().exponent
    places = max(-exponent, 0) if isinstance(exponent, int) else 0
    half = Decimal(5) * Decimal(10) ** -(places + 1)
    return value + half if high else value - half


def date_boundary(text: str, high: bool) -> str | None:
    m = _DATE.match(text)
    if not m:
        return None
    year, month, day = int(m[1]), m[2], m[3]
    mon = int(month) if month else (12 if high else 1)
    last = calendar.monthrange(year, mon)[1]
    d = int(day) if day else (last if high else 1)
    return f"{year:04d}-{mon:02d}-{d:02d}"


def datetime_boundary(text: str, high: bool) -> str | None:
    m = _DATETIME.match(text)
    if not m:
        return None
    date = date_boundary("-".join(p for p in (m[1], m[2], m[3]) if p), high)
    hour = m[4] or ("23" if high else "00")
    minute = m[5] or ("59" if high else "00")
    second = m[6] or ("59" if high else "00")
    fraction = (m[7] or "").ljust(3, "9" if high else "0")[:3]
    zone = m[8] or ("-12:00" if high else "+14:00")
    return f"{date}T{hour}:{minute}:{second}.{fraction}{zone}"


def time_boundary(text: str, high: bool) -> str | None:
    m = _TIME.match(text)
    if not m:
        return None
    minute = m[2] or ("59" if high else "00")
    second = m[3] or ("59" if high else "00")
    fraction = (m[4] or "").ljust(3, "9" if high else "0")[:3]
    return f"{m[1]}:{minute}:{second}.{fraction}"


def boundary(node: Any, high: bool) -> Any:
    """The boundary by the node's FHIR type (from the R4 model); an untyped string by its shape."""
    value = plain(node)
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return decimal_boundary(value, high)
    if not isinstance(value, str):
        return None
    kind = _fhir_type(node)
    if kind == "time" or (kind is None and _TIME.match(value)):
        return time_boundary(value, high)
    if kind == "date":
        return date_boundary(value, high)
    return datetime_boundary(value, high)


def _boundary_fn(high: bool) -> Callable[..., list[Any]]:
    def fn(ctx: Any, inputs: list[Any], precision: Any = None) -> list[Any]:
        results = (boundary(i, high) for i in inputs)
        return [r for r in results if r is not None]

    return fn


def _join(ctx: Any, inputs: list[Any], separator: Any = "") -> list[Any]:
    """FHIRPath join, but an empty input joins to '' (as the SQL-on-FHIR suite expects), not to empty."""
    sep = separator[0] if isinstance(separator, list) and separator else separator
    return [(sep if isinstance(sep, str) else "").join(str(plain(i)) for i in inputs)]


USER_FUNCTIONS: dict[str, dict[str, Any]] = {
    "join": {"fn": _join, "arity": {0: [], 1: ["String"]}},
    "getResourceKey": {"fn": _get_resource_key, "arity": {0: []}},
    "getReferenceKey": {"fn": _get_reference_key, "arity": {0: [], 1: ["TypeSpecifier"]}},
    "lowBoundary": {"fn": _boundary_fn(False), "arity": {0: [], 1: ["Integer"]}},
    "highBoundary": {"fn": _boundary_fn(True), "arity": {0: [], 1: ["Integer"]}},
}
