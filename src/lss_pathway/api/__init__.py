"""The HTTP service (FastAPI): REST assessments, FHIR input and CDS Hooks. An edge the core never imports."""
