"""Compile a view's FHIRPath to DuckDB SQL over one JSON value per resource.

A FHIRPath value becomes either a *collection* (a DuckDB `JSON[]` list) or a *scalar* (a typed SQL
value, NULL for empty): navigation, `where`, `first`, indexers, `extension` stay collections; literals,
constants, `%rowIndex`, comparisons, `exists`/`empty`, `join` and the key functions are scalars. The
supported subset is listed in docs/sql-on-fhir.md; anything else raises `Unsupported` with the reason,
and the DuckDB execution then runs the view in Python and says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from lss_pathway.fhir.views.cardinality import element
from lss_pathway.fhir.views.fhirpath import R4_MODEL, Expression, Node
from lss_pathway.fhir.views.model import Column, CompiledView, Select

SQL_TYPES = {
    "boolean": "BOOLEAN",
    "integer": "BIGINT",
    "positiveInt": "BIGINT",
    "unsignedInt": "BIGINT",
    "integer64": "BIGINT",
    "decimal": "DOUBLE",
}
DATE_PATTERN = r"^\d{4}(-\d{2}){0,2}$"
DATETIME_PATTERN = (
    r"^(\d{4}(?:-\d{2}){0,2})(?:T(\d{2})(?::(\d{2}))?(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:\d{2})?$"
)
TIME_PATTERN = r"^(\d{2})(?::(\d{2}))?(?::(\d{2})(?:\.(\d+))?)?$"
REFERENCE_PATTERN = r"([A-Za-z][A-Za-z0-9]*)/([A-Za-z0-9.\-]{1,64})(/_history/[^/]*)?$"
_CHOICE_NAMES = frozenset(path.rsplit(".", 1)[1] for path in R4_MODEL["choiceTypePaths"])

# Macros the compiled SQL calls; created once per connection.
MACROS = f"""
CREATE OR REPLACE TEMP MACRO fp_items(j) AS
  CASE WHEN j IS NULL THEN []::JSON[] WHEN json_type(j) = 'ARRAY' THEN from_json(j, '["json"]')
  ELSE [j] END;
CREATE OR REPLACE TEMP MACRO fp_child(c, k) AS
  flatten(list_transform(c, lambda x: fp_items(json_extract(x, k))));
CREATE OR REPLACE TEMP MACRO fp_one(j) AS CASE WHEN j IS NULL THEN []::JSON[] ELSE [j] END;
CREATE OR REPLACE TEMP MACRO fp_single(c, msg) AS
  CASE WHEN len(c) > 1 THEN error(msg || ' gave ' || len(c) || ' values where one is allowed') ELSE c[1] END;
CREATE OR REPLACE TEMP MACRO fp_or_null(c) AS CASE WHEN len(c) = 0 THEN [NULL::JSON] ELSE c END;
CREATE OR REPLACE TEMP MACRO fp_norm(j) AS
  CASE WHEN json_type(j) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN to_json(j::DOUBLE) ELSE j END;
CREATE OR REPLACE TEMP MACRO fp_eq(a, b) AS
  CASE WHEN len(a) = 0 OR len(b) = 0 THEN NULL WHEN len(a) <> len(b) THEN FALSE
  ELSE list_transform(a, lambda x: fp_norm(x)) = list_transform(b, lambda x: fp_norm(x)) END;
CREATE OR REPLACE TEMP MACRO fp_bool(c, msg) AS
  CASE WHEN len(c) = 0 THEN NULL
  WHEN len(c) = 1 AND json_type(c[1]) = 'BOOLEAN' THEN c[1]::BOOLEAN
  WHEN len(c) = 1 THEN TRUE
  ELSE error(msg || ' gave ' || len(c) || ' values where one boolean is allowed') END;
CREATE OR REPLACE TEMP MACRO fp_refkey(ref, t) AS list_transform(
  [regexp_extract(ref, '{REFERENCE_PATTERN}', ['rtype', 'rid'])],
  lambda m: CASE WHEN m.rtype <> '' AND (t IS NULL OR m.rtype = t) THEN m.rtype || '/' || m.rid END)[1];
-- lowBoundary/highBoundary of date, dateTime/instant and time strings (FHIRPath 2.0; fhirpath.py's twins)
CREATE OR REPLACE TEMP MACRO fp_pick(high, low_value, high_value) AS
  CASE WHEN high THEN high_value ELSE low_value END;
CREATE OR REPLACE TEMP MACRO fp_date_bound(s, high) AS CASE
  WHEN NOT regexp_matches(s, '{DATE_PATTERN}') THEN NULL
  WHEN length(s) = 4 THEN s || fp_pick(high, '-01-01', '-12-31')
  WHEN length(s) = 7 THEN fp_pick(high, s || '-01', strftime(last_day(CAST(s || '-01' AS DATE)), '%Y-%m-%d'))
  ELSE s END;
CREATE OR REPLACE TEMP MACRO fp_clock(h, mi, sec, f, high) AS
  coalesce(nullif(h, ''), fp_pick(high, '00', '23'))
  || ':' || coalesce(nullif(mi, ''), fp_pick(high, '00', '59'))
  || ':' || coalesce(nullif(sec, ''), fp_pick(high, '00', '59'))
  || '.' || rpad(f, 3, fp_pick(high, '0', '9'));
CREATE OR REPLACE TEMP MACRO fp_datetime_bound(s, high) AS list_transform(
  [regexp_extract(s, '{DATETIME_PATTERN}', ['d', 'h', 'mi', 'sec', 'f', 'z'])],
  lambda m: CASE WHEN m.d = '' THEN NULL ELSE fp_date_bound(m.d, high) || 'T'
    || fp_clock(m.h, m.mi, m.sec, m.f, high)
    || coalesce(nullif(m.z, ''), fp_pick(high, '+14:00', '-12:00')) END)[1];
CREATE OR REPLACE TEMP MACRO fp_time_bound(s, high) AS list_transform(
  [regexp_extract(s, '{TIME_PATTERN}', ['h', 'mi', 'sec', 'f'])],
  lambda m: CASE WHEN m.h = '' THEN NULL ELSE fp_clock(m.h, m.mi, m.sec, m.f, high) END)[1];
"""


class Unsupported(Exception):
    """A view the SQL compiler does not cover; the message is the reason given for the fallback."""


@dataclass(frozen=True)
class Sql:
    """A compiled FHIRPath value: a JSON[] collection (`type` None) or a scalar of a SQL type."""

    sql: str
    type: str | None = None
    fhir_path: str | None = None  # the element's FHIR path when known, to recognise choice elements
    member_of: tuple[Sql | None, str] | None = None  # (base, key) when this is a member access, for ofType
    model_type: str | None = None  # the element's FHIR type (fhir.resources name) when known
    # A member chain as one JSON path from an item: (item SQL, path). Without `[*]` in the path, `sql` is
    # a single JSON value (NULL for empty) rather than a JSON[] list.
    json_path: tuple[str, str] | None = None

    @property
    def is_scalar(self) -> bool:
        return self.type is not None

    @property
    def single(self) -> bool:
        return bool(self.sql) and self.json_path is not None and "[*]" not in self.json_path[1]


@dataclass(frozen=True)
class Scope:
    item: str  # SQL of the current JSON item (may be NULL: the empty row of forEachOrNull)
    row_index: str
    fhir_path: str | None
    constants: Mapping[str, Any]
    names: itertools.count[int]
    model_type: str | None = None


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_key(key: str) -> str:
    return quote('$."' + key.replace('"', '\\"') + '"')


# --- conversions ------------------------------------------------------------------------------------


def as_coll(value: Sql) -> Sql:
    if value.single:
        return Sql(f"fp_one({value.sql})", fhir_path=value.fhir_path, model_type=value.model_type)
    if not value.is_scalar:
        return value
    return Sql(f"(CASE WHEN ({value.sql}) IS NULL THEN []::JSON[] ELSE [to_json({value.sql})] END)")


def from_json(item: str, sql_type: str) -> str:
    if sql_type == "VARCHAR":
        return f"json_extract_string({item}, '$')"
    if sql_type == "JSON":
        return item
    return f"CAST({item} AS {sql_type})"


def as_scalar(value: Sql, sql_type: str, what: str) -> str:
    if value.is_scalar:
        return (
            value.sql if value.type == sql_type or sql_type == "JSON" else f"CAST({value.sql} AS {sql_type})"
        )
    if value.single and value.json_path is not None:
        if sql_type != "VARCHAR":
            return from_json(value.sql, sql_type)
        item, path = value.json_path
        return f"json_extract_string({item}, {quote(path)})"
    return from_json(f"fp_single({value.sql}, {quote(what)})", sql_type)


def as_bool(value: Sql, what: str) -> str:
    if value.type == "BOOLEAN":
        return value.sql
    if value.is_scalar:
        return f"(({value.sql}) IS NOT NULL)"
    return f"fp_bool({as_coll(value).sql}, {quote(what)})"


# --- expressions ------------------------------------------------------------------------------------


def compile_expression(expression: Expression, scope: Scope) -> Sql:
    return _expr(expression.root, scope, expression.text)


def _children(node: Node) -> list[Node]:
    return list(node.get("children") or [])


def _expr(node: Node, scope: Scope, text: str) -> Sql:
    kind = node["type"]
    kids = _children(node)
    if kind == "TermExpression":
        return _term(kids[0], scope, text)
    if kind == "InvocationExpression":
        return _invoke(kids[1], _expr(kids[0], scope, text), scope, text)
    if kind == "IndexerExpression":
        base = as_coll(_expr(kids[0], scope, text))
        index = as_scalar(_expr(kids[1], scope, text), "BIGINT", text)
        return Sql(f"list_slice({base.sql}, ({index}) + 1, ({index}) + 1)", fhir_path=base.fhir_path)
    if kind in ("AndExpression", "OrExpression"):
        op = "AND" if kind == "AndExpression" else "OR"
        left, right = (as_bool(_expr(k, scope, text), text) for k in kids)
        return Sql(f"(({left}) {op} ({right}))", "BOOLEAN")
    if kind == "EqualityExpression":
        return _equality(node["terminalNodeText"][0], kids, scope, text)
    if kind == "InequalityExpression":
        return _compare(node["terminalNodeText"][0], kids, scope, text)
    if kind in ("AdditiveExpression", "MultiplicativeExpression"):
        return _arithmetic(node["terminalNodeText"][0], kids, scope, text)
    raise Unsupported(f"{kind.replace('Expression', '').lower()} expressions are not compiled ({text!r})")


def _term(node: Node, scope: Scope, text: str) -> Sql:
    kind = node["type"]
    kids = _children(node)
    if kind == "ParenthesizedTerm":
        return _expr(kids[0], scope, text)
    if kind == "InvocationTerm":
        return _invoke(kids[0], None, scope, text)
    if kind == "ExternalConstantTerm":
        constant = kids[0]
        name = _children(constant)[0]["text"] if _children(constant) else constant["terminalNodeText"][1]
        name = name.strip("`'")
        if name == "rowIndex":
            return Sql(scope.row_index, "BIGINT")
        if name not in scope.constants:
            raise Unsupported(f"%{name} is not compiled ({text!r})")
        return literal(scope.constants[name])
    if kind == "LiteralTerm":
        lit = kids[0]
        raw = lit["terminalNodeText"][0] if lit.get("terminalNodeText") else lit.get("text", "")
        if lit["type"] == "StringLiteral":
            return literal(_unescape(raw[1:-1]))
        if lit["type"] == "BooleanLiteral":
            return Sql("TRUE" if raw == "true" else "FALSE", "BOOLEAN")
        if lit["type"] == "NumberLiteral":
            return Sql(raw, "DOUBLE" if "." in raw else "BIGINT")
        if lit["type"] == "NullLiteral":
            return Sql("[]::JSON[]")
    raise Unsupported(f"{kind} is not compiled ({text!r})")


def _unescape(body: str) -> str:
    escapes = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in escapes:
            out.append(escapes[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def literal(value: Any) -> Sql:
    if isinstance(value, bool):
        return Sql("TRUE" if value else "FALSE", "BOOLEAN")
    if isinstance(value, int):
        return Sql(str(value), "BIGINT")
    if isinstance(value, Decimal | float):
        return Sql(f"CAST({value} AS DOUBLE)", "DOUBLE")
    return Sql(quote(str(value)), "VARCHAR")


def _next_fhir_path(path: str | None, key: str) -> str | None:
    if path is None:
        return None
    candidate = f"{path}.{key}"
    candidate = str(R4_MODEL["pathsDefinedElsewhere"].get(candidate, candidate))
    if candidate in R4_MODEL["choiceTypePaths"]:
        return candidate
    fhir_type = R4_MODEL["path2Type"].get(candidate)
    if not isinstance(fhir_type, str):
        return None
    return candidate if fhir_type in ("BackboneElement", "Element") else fhir_type


def _member(base: Sql | None, key: str, scope: Scope) -> Sql:
    start = scope.fhir_path if base is None else base.fhir_path
    path = _next_fhir_path(start, key)
    shape = element(scope.model_type if base is None else base.model_type, key)
    model_type = shape[1] if shape else None
    chain = (scope.item, "$") if base is None else base.json_path
    if shape is not None and chain is not None:
        # A known element on a member chain: extend the chain's one JSON path (see cardinality.py).
        item, json_path = chain
        json_path += '."' + key + '"' + ("[*]" if shape[0] else "")
        return Sql(
            f"json_extract({item}, {quote(json_path)})",
            fhir_path=path,
            member_of=(base, key),
            model_type=model_type,
            json_path=(item, json_path),
        )
    if base is None:
        sql = f"fp_items(json_extract({scope.item}, {_json_key(key)}))"
    elif shape is not None:  # a known element of each item of a list: no shape test per item
        var = f"m{next(scope.names)}"
        coll = as_coll(base).sql
        if shape[0]:
            sql = (
                f"flatten(list_transform({coll}, lambda {var}: json_extract({var}, {quote(f'$.{key}[*]')})))"
            )
        else:
            values = f"list_transform({coll}, lambda {var}: json_extract({var}, {_json_key(key)}))"
            sql = f"list_filter({values}, lambda {var}: {var} IS NOT NULL)"
    else:
        sql = f"fp_child({as_coll(base).sql}, {_json_key(key)})"
    return Sql(sql, fhir_path=path, member_of=(base, key), model_type=model_type)


def _invoke(node: Node, base: Sql | None, scope: Scope, text: str) -> Sql:
    kind = node["type"]
    if kind == "MemberInvocation":
        key = _children(node)[0]["text"].strip("`")
        if base is None and scope.fhir_path is not None and key == scope.fhir_path and key[:1].isupper():
            return Sql(f"fp_one({scope.item})", fhir_path=scope.fhir_path)  # `Patient.name`: a type prefix
        value = _member(base, key, scope)
        if value.fhir_path in R4_MODEL["choiceTypePaths"]:
            # Kept for ofType(); any other use of a bare choice element is refused in _checked().
            return replace(value, sql="", json_path=None)
        return value
    if kind == "ThisInvocation":
        return Sql(f"fp_one({scope.item})", fhir_path=scope.fhir_path, model_type=scope.model_type)
    if kind == "FunctionInvocation":
        functn = _children(node)[0]
        parts = _children(functn)
        name = parts[0]["text"]
        params = _children(parts[1]) if len(parts) > 1 else []
        return _function(name, params, _checked(base, text) if name != "ofType" else base, scope, text)
    raise Unsupported(f"{kind} is not compiled ({text!r})")


def _checked(value: Sql | None, text: str) -> Sql | None:
    if value is not None and not value.sql:
        raise Unsupported(f"choice element {value.fhir_path} used without ofType() ({text!r})")
    return value


def _function(name: str, params: list[Node], base: Sql | None, scope: Scope, text: str) -> Sql:
    here = Sql(f"fp_one({scope.item})", fhir_path=scope.fhir_path, model_type=scope.model_type)
    coll = as_coll(base) if base is not None else here
    arity = len(params)
    if base is not None and base.single and base.json_path is not None:
        if name == "first" and arity == 0:
            return base
        if name in ("exists", "empty") and arity == 0:
            return Sql(f"(({base.sql}) IS {'NOT ' if name == 'exists' else ''}NULL)", "BOOLEAN")
        if name == "getReferenceKey" and arity <= 1:
            wanted = quote(_type_name(params[0], text)) if params else "NULL"
            item, path = base.json_path
            reference = f"json_extract_string({item}, {quote(path + '.reference')})"
            return Sql(f"fp_refkey({reference}, {wanted})", "VARCHAR")
    if name == "where" and arity == 1:
        return Sql(
            f"list_filter({coll.sql}, {_lambda(params[0], coll, scope, text)})",
            fhir_path=coll.fhir_path,
            model_type=coll.model_type,
        )
    if name == "exists" and arity <= 1:
        inner = f"list_filter({coll.sql}, {_lambda(params[0], coll, scope, text)})" if params else coll.sql
        return Sql(f"(len({inner}) > 0)", "BOOLEAN")
    if name == "empty" and arity == 0:
        return Sql(f"(len({coll.sql}) = 0)", "BOOLEAN")
    if name == "first" and arity == 0:
        return Sql(f"list_slice({coll.sql}, 1, 1)", fhir_path=coll.fhir_path, model_type=coll.model_type)
    if name == "last" and arity == 0:
        return Sql(f"list_slice({coll.sql}, -1, -1)", fhir_path=coll.fhir_path)
    if name == "count" and arity == 0:
        return Sql(f"len({coll.sql})", "BIGINT")
    if name == "not" and arity == 0:
        return Sql(f"(NOT {as_bool(base or coll, text)})", "BOOLEAN")
    if name in ("lowBoundary", "highBoundary") and arity == 0 and base is not None:
        macro = _BOUNDARY_MACROS.get(base.fhir_path or "")
        if macro is None:
            raise Unsupported(
                f"{name}() is compiled for date, dateTime, instant and time elements only (a decimal's "
                "precision is not kept in SQL), "
                f"not for {base.fhir_path or 'an element of unknown type'} ({text!r})"
            )
        high = "TRUE" if name == "highBoundary" else "FALSE"
        return Sql(f"{macro}({as_scalar(base, 'VARCHAR', text)}, {high})", "VARCHAR")
    if name == "join" and arity <= 1:
        sep = as_scalar(_expr(params[0], scope, text), "VARCHAR", text) if params else "''"
        items = f"list_transform({coll.sql}, lambda x: json_extract_string(x, '$'))"
        return Sql(f"array_to_string({items}, {sep})", "VARCHAR")
    if name == "ofType" and arity == 1:
        return _of_type(base, _type_name(params[0], text), scope, text)
    if name == "extension" and arity == 1:
        url = as_scalar(_expr(params[0], scope, text), "VARCHAR", text)
        extensions = f"fp_child({coll.sql}, '$.extension')"
        return Sql(
            f"list_filter({extensions}, lambda x: json_extract_string(x, '$.url') = {url})",
            fhir_path="Extension",
        )
    if name == "getResourceKey" and arity == 0:
        if base is None:
            item = scope.item
            key = (
                f"json_extract_string({item}, '$.resourceType') || '/' || json_extract_string({item}, '$.id')"
            )
            return Sql(f"({key})", "VARCHAR")
        raise Unsupported(f"getResourceKey() on anything but the current resource ({text!r})")
    if name == "getReferenceKey" and arity <= 1:
        wanted = quote(_type_name(params[0], text)) if params else "NULL"
        key = f"fp_refkey(json_extract_string(x, '$.reference'), {wanted})"
        keys = f"list_transform({coll.sql}, lambda x: {key})"
        return Sql(f"list_transform(list_filter({keys}, lambda k: k IS NOT NULL), lambda k: to_json(k))")
    raise Unsupported(f"function {name}() with {arity} argument(s) is not compiled to SQL ({text!r})")


_BOUNDARY_MACROS = {
    "date": "fp_date_bound",
    "dateTime": "fp_datetime_bound",
    "instant": "fp_datetime_bound",
    "time": "fp_time_bound",
}


def _lambda(param: Node, coll: Sql, scope: Scope, text: str) -> str:
    var = f"x{next(scope.names)}"
    inner = replace(scope, item=var, fhir_path=coll.fhir_path, model_type=coll.model_type)
    return f"lambda {var}: coalesce({as_bool(_expr(param, inner, text), text)}, FALSE)"


def _type_name(param: Node, text: str) -> str:
    name = param.get("text")
    if not isinstance(name, str) or not name.replace(".", "").isalnum():
        raise Unsupported(f"type argument is not a type name ({text!r})")
    return name.split(".")[-1]


def _of_type(base: Sql | None, type_name: str, scope: Scope, text: str) -> Sql:
    """`x.ofType(T)` on a choice element `x` is the JSON key `xT` (valueQuantity, deceasedBoolean)."""
    known_choice = base is not None and base.fhir_path in R4_MODEL["choiceTypePaths"]
    maybe_choice = base is not None and base.fhir_path is None and base.member_of is not None
    if (
        base is None
        or base.member_of is None
        or not (known_choice or (maybe_choice and base.member_of[1] in _CHOICE_NAMES))
    ):
        raise Unsupported(f"ofType() is compiled only on a choice element such as value[x] ({text!r})")
    parent, key = base.member_of
    member = _member(parent, key + type_name[:1].upper() + type_name[1:], scope)
    return replace(member, fhir_path=type_name, member_of=None)


def _operands(kids: list[Node], scope: Scope, text: str) -> tuple[Sql, Sql]:
    left, right = (_checked(_expr(k, scope, text), text) for k in kids)
    assert left is not None and right is not None
    return left, right


def _equality(op: str, kids: list[Node], scope: Scope, text: str) -> Sql:
    if op not in ("=", "!="):
        raise Unsupported(f"operator {op} is not compiled ({text!r})")
    left, right = _operands(kids, scope, text)
    typed = left.type or right.type
    if typed is None:
        equal = f"fp_eq({as_coll(left).sql}, {as_coll(right).sql})"
    else:
        equal = f"({_side(left, typed)} = {_side(right, typed)})"
        for side in (left, right):
            if (
                not side.is_scalar and not side.single
            ):  # collections of other sizes are unequal (FHIRPath), never an error
                equal = f"(CASE WHEN len({side.sql}) > 1 THEN FALSE ELSE {equal} END)"
    return Sql(equal if op == "=" else f"(NOT {equal})", "BOOLEAN")


def _side(value: Sql, sql_type: str) -> str:
    if value.is_scalar or value.single:
        return as_scalar(value, sql_type, "")
    return from_json(f"{value.sql}[1]", sql_type)


def _compare(op: str, kids: list[Node], scope: Scope, text: str) -> Sql:
    left, right = _operands(kids, scope, text)
    typed = left.type or right.type or "DOUBLE"
    return Sql(f"({as_scalar(left, typed, text)} {op} {as_scalar(right, typed, text)})", "BOOLEAN")


def _arithmetic(op: str, kids: list[Node], scope: Scope, text: str) -> Sql:
    if op not in ("+", "-", "*", "/"):
        raise Unsupported(f"operator {op} is not compiled ({text!r})")
    left, right = _operands(kids, scope, text)
    if op == "+" and "VARCHAR" in (left.type, right.type):
        return Sql(f"({as_scalar(left, 'VARCHAR', text)} || {as_scalar(right, 'VARCHAR', text)})", "VARCHAR")
    whole = left.type == right.type == "BIGINT" and op != "/"
    sql_type = "BIGINT" if whole else "DOUBLE"
    return Sql(f"({as_scalar(left, sql_type, text)} {op} {as_scalar(right, sql_type, text)})", sql_type)


# --- the view ---------------------------------------------------------------------------------------


def column_sql(column: Column, scope: Scope) -> str:
    what = f"column {column.name!r} ({column.path.text!r})"
    value = _checked(compile_expression(column.path, scope), column.path.text)
    assert value is not None
    sql_type = SQL_TYPES.get(column.type or "", "VARCHAR" if column.type else "JSON")
    if column.collection:
        return f"list_transform({as_coll(value).sql}, lambda x: {from_json('x', sql_type)})"
    return as_scalar(value, sql_type, what)


def where_sql(expression: Expression, scope: Scope) -> str:
    value = _checked(compile_expression(expression, scope), expression.text)
    assert value is not None
    if value.type == "BOOLEAN":
        return f"coalesce({value.sql}, FALSE)"
    if value.is_scalar:
        raise Unsupported(f"where {expression.text!r} is not boolean")
    value = as_coll(value)
    message = quote(f"where {expression.text!r} must give a single boolean")
    check = (
        f"CASE WHEN len({value.sql}) = 0 THEN FALSE "
        f"WHEN len({value.sql}) = 1 AND json_type({value.sql}[1]) = 'BOOLEAN' THEN {value.sql}[1]::BOOLEAN "
        f"ELSE error({message}) END"
    )
    return f"({check})"


def _select(select: Select, scope: Scope) -> tuple[list[str], dict[str, str]]:
    froms: list[str] = []
    if select.repeat:
        raise Unsupported("repeat (recursive descent) is not compiled to SQL")
    if select.for_each is not None:
        items = as_coll(_checked(compile_expression(select.for_each, scope), select.for_each.text) or Sql(""))
        source = f"fp_or_null({items.sql})" if select.for_each_or_null else items.sql
        alias = f"e{next(scope.names)}"
        froms.append(f"unnest({source}) WITH ORDINALITY AS {alias}(n, i)")
        scope = replace(
            scope,
            item=f"{alias}.n",
            row_index=f"({alias}.i - 1)",
            fhir_path=items.fhir_path,
            model_type=items.model_type,
        )
    columns = {c.name: column_sql(c, scope) for c in select.columns}
    for child in select.selects:
        child_froms, child_columns = _select(child, scope)
        froms += child_froms
        columns.update(child_columns)
    if select.union_all:
        names = [c.name for c in select.union_all[0].output_columns()]
        branches = []
        for branch in select.union_all:
            branch_froms, branch_columns = _select(branch, scope)
            cols = ", ".join(f"{branch_columns[n]} AS {identifier(n)}" for n in names)
            branches.append(f"SELECT {cols}" + (f" FROM {', '.join(branch_froms)}" if branch_froms else ""))
        alias = f"u{next(scope.names)}"
        froms.append(f"LATERAL ({' UNION ALL '.join(branches)}) AS {alias}")
        columns.update({n: f"{alias}.{identifier(n)}" for n in names})
    return froms, columns


NOT_A_RESOURCE = "a line is not a FHIR resource (no resourceType)"


def compile_view_sql(view: CompiledView, source: str, strict: bool = True) -> str:
    """The SELECT for a view over `source`, a relation with one JSON column `json` per resource.

    Strict, a line that is JSON but not a resource raises (so it is reported, never skipped); not
    strict, such lines and the NULLs DuckDB gives for unreadable lines are passed over, for the re-run
    after those lines were listed.
    """
    scope = Scope("src.r", "0", view.resource, view.constants, itertools.count(), view.resource)
    resource_type = "json_extract_string(json, '$.resourceType')"
    if strict:
        is_resource = f"json_type(json) = 'OBJECT' AND {resource_type} IS NOT NULL"
        check = f"CASE WHEN {is_resource} THEN {resource_type} ELSE error({quote(NOT_A_RESOURCE)}) END"
    else:
        check = f"CASE WHEN json_type(json) = 'OBJECT' THEN {resource_type} END"
    conditions = [f"{check} = {quote(view.resource)}"]
    where_scope = replace(scope, item="json")
    conditions += [where_sql(w, where_scope) for w in view.where]
    froms, columns = _select(view.root, scope)
    selected = ", ".join(f"{columns[name]} AS {identifier(name)}" for name in view.column_names)
    resources = f"(SELECT json AS r FROM {source} WHERE {' AND '.join(conditions)}) AS src"
    return f"SELECT {selected} FROM {', '.join([resources, *froms])}"
