"""Everything the registry serves (REST and pages), as one router the service includes in one line."""

from __future__ import annotations

from fastapi import APIRouter

from lss_pathway.registry.pages import router as pages_router
from lss_pathway.registry.rest import router as rest_router

router = APIRouter()
router.include_router(rest_router)
router.include_router(pages_router)
