"""The functions added to fhirpathpy: resource/reference keys and lowBoundary/highBoundary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lss_pathway.fhir.views.fhirpath import (
    FhirPathSyntaxError,
    date_boundary,
    datetime_boundary,
    decimal_boundary,
    evaluate,
    parse_expression,
    plain,
    reference_key,
    time_boundary,
)


def _eval(resource: dict[str, object], path: str) -> list[object]:
    return [plain(v) for v in evaluate(parse_expression(path), resource, {})]


@pytest.mark.parametrize(
    ("reference", "wanted", "key"),
    [
        ("Patient/p1", None, "Patient/p1"),
        ("Patient/p1", "Patient", "Patient/p1"),
        ("Patient/p1", "Observation", None),
        ("http://example.org/fhir/Patient/p1/_history/2", None, "Patient/p1"),
        ("urn:uuid:1234", None, None),
        ("Practitioner?identifier=x|1", None, None),
    ],
)
def test_reference_key(reference: str, wanted: str | None, key: str | None) -> None:
    assert reference_key({"reference": reference}, wanted) == key


def test_keys_from_fhirpath() -> None:
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p9"}}
    assert _eval(condition, "getResourceKey()") == ["Condition/c1"]
    assert _eval(condition, "subject.getReferenceKey(Patient)") == ["Patient/p9"]
    assert _eval(condition, "subject.getReferenceKey(Group)") == []


def test_boundaries_follow_the_precision_of_the_value() -> None:
    assert decimal_boundary(Decimal("1.0"), high=False) == Decimal("0.95")
    assert decimal_boundary(Decimal("1.587"), high=True) == Decimal("1.5875")
    assert date_boundary("2020", high=True) == "2020-12-31"
    assert date_boundary("2024-02", high=True) == "2024-02-29"
    assert datetime_boundary("2010-10-10", high=False) == "2010-10-10T00:00:00.000+14:00"
    assert datetime_boundary("2010-10-10T10:30Z", high=True) == "2010-10-10T10:30:59.999Z"
    assert time_boundary("12:34", high=False) == "12:34:00.000"


def test_boundary_tells_date_from_datetime_by_fhir_type() -> None:
    patient = {"resourceType": "Patient", "birthDate": "1970-06"}
    assert _eval(patient, "birthDate.highBoundary()") == ["1970-06-30"]
    observation = {"resourceType": "Observation", "valueDateTime": "1970-06"}
    assert _eval(observation, "value.ofType(dateTime).lowBoundary()") == ["1970-06-01T00:00:00.000+14:00"]


def test_a_syntax_error_is_not_ignored() -> None:
    with pytest.raises(FhirPathSyntaxError):
        parse_expression("name.where(")
    with pytest.raises(FhirPathSyntaxError):
        parse_expression("name family")


def test_variables_are_found_in_every_spelling() -> None:
    assert parse_expression("%a = 1 and %`b c` = %'d'").variables == {"a", "b c", "d"}
    assert parse_expression("name.where(use = %u).family").variables == {"u"}
