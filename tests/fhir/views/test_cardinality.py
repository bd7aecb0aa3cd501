"""Array-ness of FHIR elements (from fhir.resources R4B), which lets a member chain be one JSON path."""

from __future__ import annotations

from lss_pathway.fhir.views.cardinality import element
from lss_pathway.fhir.views.model import compile_view
from lss_pathway.fhir.views.runner import sql_or_reason


def test_elements_know_their_shape_and_type() -> None:
    assert element("Condition", "code") == (False, "CodeableConcept")
    assert element("CodeableConcept", "coding") == (True, "Coding")
    assert element("Coding", "code") == (False, None)
    assert element("QuestionnaireResponseItem", "item") == (True, "QuestionnaireResponseItem")
    assert element("Condition", "noSuchElement") is None
    assert element("NoSuchType", "code") is None
    assert element(None, "code") is None


def test_a_known_member_chain_compiles_to_one_json_path() -> None:
    view = {
        "resource": "Condition",
        "select": [{"column": [{"name": "c", "path": "code.coding.code", "collection": True}]}],
    }
    sql, _ = sql_or_reason(compile_view(view))
    assert sql is not None and """json_extract(src.r, '$."code"."coding"[*]."code"')""" in sql


def test_an_unknown_element_keeps_the_generic_navigation() -> None:
    view = {
        "resource": "Condition",
        "select": [{"column": [{"name": "c", "path": "madeUp.thing", "collection": True}]}],
    }
    sql, _ = sql_or_reason(compile_view(view))
    assert sql is not None and "fp_child(fp_items(" in sql
