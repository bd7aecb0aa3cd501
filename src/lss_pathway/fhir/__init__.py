"""FHIR R4 interchange (fhir.resources R4B models): resources to a PatientRecord and back.

See docs/fhir-mapping.md for the mapping table and the project code systems.
"""

from lss_pathway.fhir.mapping import (
    IgnoredInput,
    MappingResult,
    bundle_from_record,
    record_from_bundle,
    record_from_resources,
)

__all__ = [
    "IgnoredInput",
    "MappingResult",
    "bundle_from_record",
    "record_from_bundle",
    "record_from_resources",
]
