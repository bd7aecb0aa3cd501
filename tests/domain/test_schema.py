"""The schema walk and the columnar projection: complete, typed, and lossless in both directions.

The oracle for "every leaf" is pydantic's own JSON Schema of the record, walked here independently of
``schema.leaves()``; the round trip is checked on every example and on the safety properties' record
strategy (random and near-eligible records, with missing values and contradictions).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from tests.test_safety_properties import records

from lss_pathway.domain import schema
from lss_pathway.domain.parsing import parse_record
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.schema import Scope, record_from_rows, rows_from_record

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
ROUND_TRIPS = settings(
    max_examples=150, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip


def _json_schema_leaves() -> dict[str, dict[str, Any]]:
    """Leaf path -> its JSON Schema, read from ``PatientRecord.model_json_schema()``."""
    full = PatientRecord.model_json_schema()
    defs = full["$defs"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
        options = [o for o in node.get("anyOf", ()) if o.get("type") != "null"]
        if len(options) == 1:
            return resolve({**options[0], **{k: v for k, v in node.items() if k != "anyOf"}})
        return node

    out: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, prop in node["properties"].items():
            found = resolve(prop)
            if "properties" in found:
                walk(found, f"{prefix}{name}.")
            elif found.get("type") == "array" and "properties" in resolve(found["items"]):
                walk(resolve(found["items"]), f"{prefix}{name}[].")
            else:
                out[prefix + name] = found

    walk(full, "")
    return out


def test_every_leaf_of_the_model_is_walked() -> None:
    assert [leaf.path for leaf in schema.leaves()] != []
    assert {leaf.path for leaf in schema.leaves()} == set(_json_schema_leaves())
    assert len({leaf.path for leaf in schema.leaves()}) == len(schema.leaves())


def test_every_leaf_is_exactly_one_column() -> None:
    placed: dict[str, list[str]] = {}
    for table in schema.tables().values():
        for column in table.columns:
            if column.leaf is not None:
                placed.setdefault(column.leaf.path, []).append(f"{table.name}.{column.name}")
    assert {path: len(cols) for path, cols in placed.items()} == {path: 1 for path in _json_schema_leaves()}


def test_bounds_units_and_codes_match_the_model() -> None:
    expected = _json_schema_leaves()
    for leaf in schema.leaves():
        js = expected[leaf.path]
        assert leaf.ge == js.get("minimum") and leaf.le == js.get("maximum"), leaf.path
        assert leaf.gt == js.get("exclusiveMinimum") and leaf.lt == js.get("exclusiveMaximum"), leaf.path
        assert leaf.max_length == js.get("maxLength"), leaf.path
        if "enum" in js:
            assert leaf.allowed == tuple(js["enum"]), leaf.path
    assert schema.leaf("imaging.levels[].canal_area_mm2").gt == 0
    assert schema.leaf("imaging.levels[].canal_area_mm2").le == 400
    assert schema.leaf("imaging.levels[].canal_area_mm2").unit == "mm2"
    assert schema.leaf("symptoms.walking_tolerance_m").unit == "m"
    assert schema.leaf("safety.antithrombotics[].days_held").unit == "days"
    assert schema.leaf("red_flags.post_void_residual_ml").unit == "mL"
    assert schema.leaf("exam.abi.left").unit is None
    assert schema.leaf("exam.abi.left").section_description == "Resting ankle-brachial index per leg (0-3)"
    assert "clopidogrel" in (schema.leaf("safety.antithrombotics[].agent").allowed or ())
    assert schema.leaf("imaging.levels[].sides[].side").allowed == ("left", "right")


def test_types_and_scopes() -> None:
    leaf = schema.leaf
    assert (leaf("patient.age_years").json_type, leaf("patient.age_years").sql_type) == ("integer", "INTEGER")
    assert (leaf("exam.abi.right").json_type, leaf("exam.abi.right").sql_type) == ("number", "DOUBLE")
    assert (leaf("imaging.date").json_type, leaf("imaging.date").sql_type) == ("string", "DATE")
    assert (leaf("symptoms.bilateral").json_type, leaf("symptoms.bilateral").sql_type) == (
        "boolean",
        "BOOLEAN",
    )
    assert leaf("prior_procedures[].levels").sql_type == "VARCHAR[]"
    assert leaf("prior_procedures[].levels").repeated
    assert leaf("prior_procedures[].type").required and not leaf("prior_procedures[].date").required
    assert leaf("patient.sex").scope is Scope.PATIENT
    assert leaf("imaging.levels[].schizas").scope is Scope.LEVEL
    assert leaf("imaging.levels[].sides[].laminar_shelf").scope is Scope.LEVEL_SIDE
    assert leaf("procedure.epidurogram[].appreciated").scope is Scope.LEVEL_SIDE
    assert leaf("safety.antithrombotics[].can_be_held").scope is Scope.ITEM


def test_tables_are_keyed_and_typed() -> None:
    tables = schema.tables()
    assert list(tables) == [
        "patients", "levels", "level_sides", "antithrombotics", "prior_procedures", "epidurogram",
    ]  # fmt: skip
    for table in tables.values():
        assert table.columns[0].name == "patient_key" and table.columns[0].sql_type == "BIGINT"
        names = [c.name for c in table.columns]
        assert len(names) == len(set(names)) and set(table.keys) <= set(names)
    sides = tables["level_sides"]
    assert sides.keys == ("patient_key", "level", "side")
    assert not sides.column("level").nullable and not sides.column("side").nullable
    assert sides.column("lf_thickness_mm").nullable and sides.column("lf_thickness_mm").unit == "mm"
    patients = tables["patients"]
    assert patients.column("exam_abi_left").sql_type == "DOUBLE"
    assert patients.column("safety_antithrombotics_recorded").sql_type == "BOOLEAN"
    assert patients.column("prior_procedures_recorded").nullable is False
    assert tables["antithrombotics"].keys == ("patient_key", "position")


_PYTHON = {"BOOLEAN": bool, "INTEGER": int, "BIGINT": int, "DOUBLE": float, "VARCHAR": str, "DATE": dt.date}


def _check_typed(rows: schema.Rows) -> None:
    """Every value is None or of its column's type (never NaN), and required columns are filled."""
    for name, table_rows in rows.items():
        table = schema.tables()[name]
        for row in table_rows:
            assert set(row) == {c.name for c in table.columns}, name
            for column in table.columns:
                value = row[column.name]
                if value is None:
                    assert column.nullable, f"{name}.{column.name}"
                elif column.sql_type.endswith("[]"):
                    assert all(isinstance(v, str) for v in value)
                else:
                    assert type(value) is _PYTHON[column.sql_type], f"{name}.{column.name}={value!r}"
                    assert not (isinstance(value, float) and math.isnan(value))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_round_trips(path: Path) -> None:
    record = parse_record(path.read_text(encoding="utf-8"), "yaml")
    rows = rows_from_record(record, 42)
    _check_typed(rows)
    assert record_from_rows(rows) == record


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 20


@st.composite
def full_records(draw: st.DrawFn) -> PatientRecord:
    """The safety properties' records, plus the free-text and date fields they leave out."""
    data = draw(records())
    data["id"] = draw(st.none() | st.text("abcXYZ-_ 0123", max_size=20).map(str.strip).filter(bool))
    data["summary"] = draw(st.none() | st.text(max_size=40).map(str.strip).filter(bool))
    if data["patient"].get("age_years") is None:
        data["patient"]["birth_date"] = draw(st.none() | st.dates(dt.date(1920, 1, 1), dt.date(2000, 1, 1)))
    if draw(st.booleans()):
        data["safety"]["antithrombotics"] = None
    if draw(st.booleans()):
        data["prior_procedures"] = None
    return PatientRecord.model_validate(data)


@ROUND_TRIPS
@given(full_records(), st.integers(0, 2**40))
def test_record_rows_record_is_the_identity(record: PatientRecord, key: int) -> None:
    rows = rows_from_record(record, key)
    _check_typed(rows)
    assert all(row["patient_key"] == key for table_rows in rows.values() for row in table_rows)
    assert len(rows["levels"]) == len(record.imaging.levels)
    assert len(rows["level_sides"]) == sum(len(lv.sides) for lv in record.imaging.levels)
    assert record_from_rows(rows) == record


def test_unknown_and_none_lists_stay_apart() -> None:
    unknown = PatientRecord()
    none = PatientRecord.model_validate({"safety": {"antithrombotics": []}, "prior_procedures": []})
    unknown_rows, none_rows = rows_from_record(unknown, 1), rows_from_record(none, 1)
    assert unknown_rows["patients"][0]["safety_antithrombotics_recorded"] is False
    assert none_rows["patients"][0]["safety_antithrombotics_recorded"] is True
    assert none_rows["patients"][0]["prior_procedures_recorded"] is True
    assert record_from_rows(unknown_rows).safety.antithrombotics is None
    assert record_from_rows(none_rows).safety.antithrombotics == []
    assert record_from_rows(none_rows).prior_procedures == []


def test_a_procedures_levels_unknown_or_listed() -> None:
    record = PatientRecord.model_validate(
        {"prior_procedures": [{"type": "fusion"}, {"type": "mild", "levels": ["L4-5", "L3-4"]}]}
    )
    rows = rows_from_record(record, 3)["prior_procedures"]
    assert [(r["position"], r["type"], r["levels"]) for r in rows] == [
        (0, "fusion", None),
        (1, "mild", ["L4-L5", "L3-L4"]),
    ]
    assert record_from_rows(rows_from_record(record, 3)) == record


def test_sides_carry_their_level_and_keep_order() -> None:
    record = PatientRecord.model_validate(
        {"imaging": {"levels": [
            {"level": "L4-L5", "sides": [{"side": "right", "laminar_shelf": True}, {"side": "left"}]},
            {"level": "L3-L4"},
        ]}}
    )  # fmt: skip
    rows = rows_from_record(record, 9)
    assert [(r["level"], r["position"]) for r in rows["levels"]] == [("L4-L5", 0), ("L3-L4", 1)]
    assert [(r["level"], r["side"], r["position"], r["laminar_shelf"]) for r in rows["level_sides"]] == [
        ("L4-L5", "right", 0, True),
        ("L4-L5", "left", 1, None),
    ]
    rows["level_sides"].reverse()  # row order in a table does not matter; position does
    assert record_from_rows(rows) == record


def test_rows_that_contradict_an_unknown_list_are_refused() -> None:
    rows = rows_from_record(PatientRecord(), 1)
    rows["antithrombotics"].append(
        {
            "patient_key": 1,
            "position": 0,
            "agent": "aspirin",
            "name": None,
            "can_be_held": True,
            "days_held": None,
        }
    )
    with pytest.raises(ValueError, match="safety_antithrombotics_recorded is false"):
        record_from_rows(rows)


def test_rows_are_validated_like_any_record() -> None:
    rows = rows_from_record(PatientRecord.model_validate({"exam": {"abi": {"left": 1.0}}}), 1)
    rows["patients"][0]["exam_abi_left"] = 7.0
    with pytest.raises(ValueError, match="less than or equal to 3"):
        record_from_rows(rows)


def test_a_list_without_a_table_fails_loudly() -> None:
    class Item(BaseModel):
        x: int | None = None

    class Grown(BaseModel):
        extras: list[Item] = []

    with pytest.raises(TypeError, match="extras has no table"):
        schema._walk(Grown, "", "", (), None, [], [])


def test_rows_by_patient_splits_a_batch() -> None:
    one = PatientRecord.model_validate({"imaging": {"levels": [{"level": "L4-L5"}]}})
    two = PatientRecord.model_validate({"patient": {"age_years": 70}})
    batch: schema.Rows = {name: [] for name in schema.tables()}
    for key, record in ((5, one), (6, two)):
        for name, table_rows in rows_from_record(record, key).items():
            batch[name] += table_rows
    split = dict(schema.rows_by_patient(batch))
    assert list(split) == [5, 6]
    assert record_from_rows(split[5]) == one and record_from_rows(split[6]) == two
