"""SQL-on-FHIR v2 ViewDefinitions: FHIR Bulk NDJSON to tables (docs/sql-on-fhir.md).

One compiled form (`model.compile_view`), two executions (`python_runner`, DuckDB via `sql`), run by
`runner.run_view`; the project's views are in `data/` (`catalog`). Kept import-light: the modules load
fhirpathpy / DuckDB themselves, so the CLI starts without them.
"""
