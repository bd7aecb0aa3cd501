"""The standard-code table (fhir/data/codes.yaml): every shipped code is sourced, tagged and coherent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from lss_pathway.domain.drugs import antithrombotic_agents
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import ProcedureType
from lss_pathway.fhir import codes

SYNTHEA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "synthea-bulk-10-patients"


def test_every_shipped_code_has_a_known_source_and_a_verification_tag() -> None:
    assert len(codes.STANDARD_CODES) > 50
    for row in codes.STANDARD_CODES:
        assert row.source in codes.SOURCES, row.code
        assert codes.SOURCES[row.source].strip(), row.source
        assert row.verification in codes.VERIFICATION_TAGS, row.code
        assert row.display.strip(), row.code


def test_no_code_is_listed_twice() -> None:
    twice = [k for k, n in Counter((r.system, r.code) for r in codes.STANDARD_CODES).items() if n > 1]
    assert twice == []


def test_meanings_name_real_agents_fields_and_types() -> None:
    agents = set(antithrombotic_agents())
    classes = {v["class"] for v in antithrombotic_agents().values()}
    for entry in (*codes.RXNORM_CODES.values(), *codes.ATC_SUBSTANCES.values()):
        assert set(entry.agents) <= agents, entry
    for group in codes.ATC_CLASSES.values():
        assert group.classes <= classes
    fields = {
        f"{section}.{name}"
        for section, model in PatientRecord.model_fields.items()
        if model.annotation is not None and hasattr(model.annotation, "model_fields")
        for name in model.annotation.model_fields
    }
    for known in codes.CONDITION_CODES:
        assert known.field is None or known.field in fields, known
        assert known.field is not None or (known.note and known.bears_on), known
    assert set(codes.SURGERY_CODES.values()) <= set(ProcedureType)
    assert set(codes.LOINC_FINDINGS.values()) <= set(codes.FINDINGS_BY_CODE)


def test_clinical_drug_codes_are_mapped_not_only_ingredients() -> None:
    assert codes.RXNORM_CODES["309362"].default == "clopidogrel"
    assert codes.RXNORM_CODES["855332"].default == "warfarin"
    assert codes.RXNORM_CODES["243670"].default == "aspirin"
    assert "309362" not in codes.RXNORM_INGREDIENTS  # bundles are written with ingredient codes only


def test_name_net_catches_generic_and_brand_names_as_whole_words() -> None:
    assert codes.names_antithrombotic("Clopidogrel 75 MG Oral Tablet [Plavix]") == "clopidogrel"
    assert codes.names_antithrombotic("ELIQUIS 5 mg tablet") == "eliquis"
    assert codes.names_antithrombotic("Acetaminophen 325 MG Oral Tablet") is None
    assert codes.names_antithrombotic("heparinized saline lock flush") is None  # whole words only
    assert codes.names_spinal_surgery("Decompressive lumbar laminectomy")
    assert codes.names_spinal_surgery("Posterior lumbar interbody fusion")
    assert not codes.names_spinal_surgery("Fusion of ankle joint")
    assert not codes.names_spinal_surgery("Epidural anesthesia")


def test_codes_sourced_from_the_synthea_export_are_in_it_with_that_display() -> None:
    if not SYNTHEA.is_dir():
        pytest.skip(f"shared test data not found at {SYNTHEA} (the repository's ../shared/data)")
    seen: set[tuple[str, str, str]] = set()
    for path in SYNTHEA.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            resource = json.loads(line)
            for key in ("code", "medicationCodeableConcept"):
                for coding in (resource.get(key) or {}).get("coding", []):
                    seen.add((coding.get("system"), coding.get("code"), coding.get("display")))
    rows = [r for r in codes.STANDARD_CODES if r.source == "synthea-export"]
    assert rows
    for row in rows:
        assert (row.system, row.code, row.display) in seen, row.code
