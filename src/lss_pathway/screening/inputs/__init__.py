"""Readers that turn a source (FHIR Bulk NDJSON, OMOP CDM, Parquet/CSV) into the projection's tables."""
