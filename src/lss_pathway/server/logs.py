"""Where the service's own log lines go: the one logging configuration of ``lss serve``.

uvicorn configures its own loggers in every worker process from the ``log_config`` it is given; the
``lss_pathway`` loggers (refusals with their reason, CDS Hooks outcomes, fallbacks) are added to that same
configuration, so they reach the same stream in every worker at INFO, instead of being dropped by an
unconfigured root logger. What they write never holds a patient identifier (``api/refusals.py``).
"""

from __future__ import annotations

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG


def log_config() -> dict[str, Any]:
    """uvicorn's default configuration plus the ``lss_pathway`` loggers on its stderr handler."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["lss_pathway"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
