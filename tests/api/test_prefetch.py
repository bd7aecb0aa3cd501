"""The prefetch filler covers exactly the discovery templates and yields a record equal to the source."""

from __future__ import annotations

import pytest
from tests.api.conftest import EXAMPLES

from lss_pathway.api.cds_hooks import PREFETCH
from lss_pathway.api.prefetch import _KEY_OF_TYPE, prefetch_from_bundle
from lss_pathway.domain.parsing import parse_record
from lss_pathway.fhir.mapping import bundle_from_record, record_from_resources


def test_keys_match_the_discovery_templates() -> None:
    assert set(_KEY_OF_TYPE.values()) | {"patient"} == set(PREFETCH)


def test_filled_prefetch_round_trips_an_example() -> None:
    record = parse_record((EXAMPLES / "07-apixaban-can-be-held.yaml").read_text(), "yaml")
    patient_id, prefetch = prefetch_from_bundle(bundle_from_record(record))
    resources = [prefetch["patient"]] + [
        e["resource"] for key, value in prefetch.items() if key != "patient" for e in value["entry"]
    ]
    mapped = record_from_resources(resources, assessment_date=record.assessment_date)
    assert mapped.record.safety == record.safety
    assert mapped.record.imaging == record.imaging
    assert patient_id


def test_unexpected_resource_types_are_refused() -> None:
    bundle = {
        "entry": [
            {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "p"}},
            {"fullUrl": "urn:uuid:2", "resource": {"resourceType": "Encounter", "id": "e"}},
        ]
    }
    with pytest.raises(ValueError, match="Encounter"):
        prefetch_from_bundle(bundle)
