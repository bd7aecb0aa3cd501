"""Compiling a ViewDefinition: what is accepted, and a clear error naming the place for what is not."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.fhir.views.model import ViewDefinitionError, compile_view


def _view(**extra: Any) -> dict[str, Any]:
    return {"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id"}]}], **extra}


def test_columns_come_in_spec_order_own_nested_then_union() -> None:
    view = compile_view(
        {
            "resource": "Patient",
            "select": [
                {
                    "column": [{"name": "a", "path": "'A'"}],
                    "select": [{"forEach": "name", "column": [{"name": "b", "path": "family"}]}],
                    "unionAll": [
                        {"column": [{"name": "c", "path": "'1'"}]},
                        {"column": [{"name": "c", "path": "'2'"}]},
                    ],
                },
                {"column": [{"name": "d", "path": "id"}]},
            ],
        }
    )
    assert view.column_names == ["a", "b", "c", "d"]
    assert view.root.selects[0].selects[0].for_each is not None


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ({}, "'resource' is required"),
        ({"resource": "Patient"}, "'select' is required"),
        (_view(constant=[{"name": "x"}]), "constant[0] (x): exactly one value[x]"),
        (_view(where=[{"path": "%nope = 1"}]), "undefined constant(s) %nope"),
        ({"resource": "Patient", "select": [{"forEach": "@@"}]}, "select[0].forEach"),
        ({"resource": "Patient", "select": [{"forEach": 1}]}, "expected a FHIRPath expression"),
        (
            {"resource": "Patient", "select": [{"column": [{"name": "1x", "path": "id"}]}]},
            "must start with a letter",
        ),
        (
            {
                "resource": "Patient",
                "select": [{"column": [{"name": "a", "path": "id"}, {"name": "a", "path": "id"}]}],
            },
            "repeated: a",
        ),
        ({"resource": "Patient", "select": [{"colum": []}]}, "unknown key(s) colum"),
        (
            {
                "resource": "Patient",
                "select": [
                    {
                        "unionAll": [
                            {"column": [{"name": "a", "path": "id"}]},
                            {"column": [{"name": "b", "path": "id"}]},
                        ]
                    }
                ],
            },
            "select[0].unionAll[1]: columns ['b'] differ",
        ),
        ({"resource": "Patient", "select": [{"column": [{"name": "a", "path": "name.("}]}]}, "syntax"),
    ],
)
def test_invalid_views_raise_a_clear_error(view: dict[str, Any], message: str) -> None:
    with pytest.raises(ViewDefinitionError) as caught:
        compile_view(view)
    assert message in str(caught.value)


def test_constants_are_typed_from_their_value_key() -> None:
    view = compile_view(
        _view(
            constant=[
                {"name": "n", "valueInteger": 3},
                {"name": "d", "valueDecimal": 1.5},
                {"name": "s", "valueCode": "x"},
            ]
        )
    )
    assert view.constants["n"] == 3 and isinstance(view.constants["n"], int)
    assert str(view.constants["d"]) == "1.5"
    assert view.constants["s"] == "x"
