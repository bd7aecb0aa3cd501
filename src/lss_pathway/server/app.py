"""The served application: the API edge, with the clinic pages, the registry and the measuring and
report-reading endpoints mounted beside it (what ``lss serve`` and ``make run`` serve)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from lss_pathway.api.app import create_app as create_api_app
from lss_pathway.api.settings import ServiceSettings
from lss_pathway.nlp import extract
from lss_pathway.registry.routes import router as registry_router
from lss_pathway.server.extract import router as extract_router
from lss_pathway.server.measure import router as measure_router
from lss_pathway.server.upload import read_file
from lss_pathway.web.routes import install_file_reader, install_report_reader
from lss_pathway.web.routes import router as web_router


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Every edge of the service in one application; the clinic form reads pasted reports with ``nlp``
    and loads files with the API's own checks."""
    app = create_api_app(settings)
    app.include_router(extract_router)
    app.include_router(measure_router)
    app.include_router(web_router)
    app.include_router(registry_router)
    app.mount("/static/web", StaticFiles(packages=[("lss_pathway.web", "static")]), name="web")
    install_report_reader(app, extract)
    install_file_reader(app, read_file)
    return app


def create_app_from_environment() -> FastAPI:
    """The factory uvicorn calls in each worker process (settings from ``LSS_SERVICE_SETTINGS``)."""
    from lss_pathway.api.settings import from_environment

    return create_app(from_environment())
