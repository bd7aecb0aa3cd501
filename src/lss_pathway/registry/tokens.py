"""API credentials: random bearer tokens, stored only as SHA-256 digests, each with one role.

Tokens carry 256 random bits, so a plain (unsalted) SHA-256 is enough to make a stolen table useless;
a slow password hash would only cost time on every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import Engine, insert, select

from lss_pathway.registry.db import writer
from lss_pathway.registry.errors import Conflict, InvalidInput
from lss_pathway.registry.models import AccessToken, AuditEntry

ROLES = ("read", "write", "admin")
PREFIX = "lssr_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, name: str, role: str, *, actor: str = "system") -> str:
    """A new token; the plain value is returned once and never stored."""
    if role not in ROLES:
        raise InvalidInput(f"'{role}' is not a role; use one of {', '.join(ROLES)}", "role")
    token = PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    with writer(engine).begin() as conn:
        if conn.scalar(select(AccessToken.id).where(AccessToken.name == name)) is not None:
            raise Conflict(f"a token named '{name}' exists", "name")
        conn.execute(
            insert(AccessToken).values(name=name, role=role, token_sha256=digest(token), created_at=now)
        )
        conn.execute(
            insert(AuditEntry).values(
                at=now,
                actor=actor,
                action="insert",
                entity="access_tokens",
                entity_key=name,
                reason="token created",
                before=None,
                after={"role": role},
            )
        )
    return token


def has_admin(engine: Engine) -> bool:
    with engine.connect() as conn:
        found = conn.scalar(
            select(AccessToken.id).where(AccessToken.role == "admin", AccessToken.revoked_at.is_(None))
        )
        return found is not None


def credential(engine: Engine, token: str) -> tuple[str, str] | None:
    """The (name, role) of a live token, or None; the digest is compared in constant time."""
    if not token.startswith(PREFIX):
        return None
    wanted = digest(token)
    with engine.connect() as conn:
        row = conn.execute(
            select(AccessToken.name, AccessToken.token_sha256, AccessToken.role).where(
                AccessToken.token_sha256 == wanted, AccessToken.revoked_at.is_(None)
            )
        ).first()
    if row is None or not hmac.compare_digest(row.token_sha256, wanted):
        return None
    return str(row.name), str(row.role)
