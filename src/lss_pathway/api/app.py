"""The API edge's application: REST, FHIR input, CDS Hooks and the offline API docs (no CDN).

It mounts nothing from the other edges: the server (``lss_pathway.server``), the composition root, adds
the clinic pages, the registry and the report-reading and imaging endpoints beside it.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from lss_pathway import __version__
from lss_pathway.api.cds_hooks import router as cds_router
from lss_pathway.api.errors import http_error_handler, input_error_handler, validation_error_handler
from lss_pathway.api.middleware import BodyLimitAndDigest
from lss_pathway.api.rest import patient_record_schema
from lss_pathway.api.rest import router as rest_router
from lss_pathway.api.runtime import sample_access_log, warm_and_freeze
from lss_pathway.api.settings import ServiceSettings
from lss_pathway.domain.parsing import InputError


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    warm_and_freeze()
    yield
    gc.unfreeze()  # a test process builds many apps; let the collector see their objects again


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The API alone, with its error handlers and body limits; the server adds the other edges' routes."""
    settings = settings or ServiceSettings()
    sample_access_log(settings.access_log_sample)
    app = FastAPI(
        lifespan=_lifespan,
        title="lss-pathway",
        version=__version__,
        description="Explainable LSS assessment and mild candidacy per level and side (decision support).",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_exception_handler(InputError, input_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.include_router(rest_router)
    app.include_router(cds_router)
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="lss-pathway API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            record = patient_record_schema()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(record.pop("$defs", {}))
            components["PatientRecord"] = record
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(
        BodyLimitAndDigest,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    return app
