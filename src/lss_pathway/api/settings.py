"""Service settings: explicit, validated, and safe by default (auth on, CORS off, bounded bodies)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

ENV_VAR = "LSS_SERVICE_SETTINGS"


@dataclass(frozen=True)
class AuthSettings:
    """How EHR JWTs are verified (CDS Hooks security model)."""

    jwks: dict[str, object] | None = None
    """A JWKS document (``{"keys": [...]}``) holding the EHRs' public keys."""
    issuers: tuple[str, ...] = ()
    """Allowed ``iss`` values; a token from any other issuer is refused."""
    audience: str | None = None
    """Public base URL of the CDS services (``.../cds-services``); ``aud`` is it or ``<it>/<service id>``.
    Defaults to the URL the service itself sees."""
    insecure_demo: bool = False
    """Turn verification off, for local demonstrations only."""


@dataclass(frozen=True)
class ServiceSettings:
    auth: AuthSettings = field(default_factory=AuthSettings)
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 64_000_000
    """Limit for label-map uploads to ``/v1/measure`` (binary files, larger than any JSON body)."""
    report_url: str | None = None
    """Where a card links for the full report (the clinic app, when deployed)."""
    state_path: str | None = None
    """SQLite file for the replay cache and issued cards, shared by worker processes (None: in memory)."""
    examples_dir: str | None = None
    """Patient files the clinic form offers under "load an example"; default: the checkout's examples/."""
    access_log_sample: float = 1.0
    """Share of requests written to the access log: 1 every request, 0 none, 0.01 about one in a hundred
    (the log line costs about a third of a cheap request's time)."""
    prefetch_cache_entries: int = 128
    """CDS Hooks prefetch already validated and assessed, kept by content digest per worker (0: none)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.access_log_sample <= 1.0:
            raise ValueError("access_log_sample must be between 0 and 1")
        if self.prefetch_cache_entries < 0:
            raise ValueError("prefetch_cache_entries must not be negative")


def to_environment(settings: ServiceSettings) -> None:
    """Hand the settings to worker processes (uvicorn --workers starts each from an import string)."""
    os.environ[ENV_VAR] = json.dumps(asdict(settings))


def from_environment() -> ServiceSettings:
    raw = os.environ.get(ENV_VAR)
    if not raw:
        return ServiceSettings()
    data = json.loads(raw)
    auth = data.pop("auth", {})
    auth["issuers"] = tuple(auth.get("issuers", ()))
    data["cors_origins"] = tuple(data.get("cors_origins", ()))
    return ServiceSettings(auth=AuthSettings(**auth), **data)
