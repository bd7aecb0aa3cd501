"""Verify the EHR's JSON Web Token on CDS Hooks calls (the CDS Hooks 2.0 security model).

Every service call and feedback call must carry ``Authorization: Bearer <JWT>``, signed by the EHR with
a key published in the configured JWKS (``AuthSettings.jwks``) and named by the token's ``kid``. Checked:

- ``alg`` is one of RS256, RS384, ES256, ES384 (``none``, HS* and anything else are refused), it fits
  the key's type (and curve), and it equals the key's own ``alg`` when the JWK states one;
- the signature, with the JWK chosen by ``kid`` (never a key fetched from ``jku``: no network at run time);
- ``iss`` is one of ``AuthSettings.issuers`` (none configured: every token is refused);
- ``aud`` (a string or a list) contains the expected audience. **Audience rule**: the spec makes ``aud``
  the URL of the CDS service being called, so ``aud`` must be ``<base>/<id>``, the endpoint itself (the
  bare base is refused). ``<base>`` is ``AuthSettings.audience`` when set (the public base of the
  services as the EHR sees them, e.g. behind a proxy ``https://cds.example.org/cds-services``), else the
  URL the service sees, ``str(request.base_url) + "cds-services"``. For a feedback call the feedback
  endpoint ``<base>/<id>/feedback`` is accepted too;
- the header's ``typ`` is ``JWT``;
- ``exp`` is present and not passed, ``iat`` is present and not in the future, and ``jti`` is a
  non-empty string not seen before from the same issuer while the earlier token is still valid
  (``api.state``: in memory, or one SQLite file shared by the worker processes; pruned as tokens
  expire; a clock skew of ``LEEWAY_SECONDS`` is allowed).

A failure is a 401 with a short reason; nothing from the token is echoed or logged.
``AuthSettings.insecure_demo=True`` turns all of this off (local demonstrations only).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import HTTPException, Request

from lss_pathway.api.settings import AuthSettings, ServiceSettings
from lss_pathway.api.state import MemoryState, SqliteState, State

log = logging.getLogger("lss_pathway.api.security")

ALLOWED_ALGORITHMS: tuple[str, ...] = ("RS256", "RS384", "ES256", "ES384")
_EC_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1}
LEEWAY_SECONDS = 30
"""Allowed clock skew between the EHR and this service, for ``exp`` and ``iat``."""
MAX_REMEMBERED_JTI = 50_000
"""Bound on the replay set; when full of unexpired tokens, the soonest-expiring are forgotten first."""
REQUIRED_CLAIMS: tuple[str, ...] = ("iss", "aud", "exp", "iat", "jti")


class AuthError(Exception):
    """A token was refused; ``reason`` is short and safe to return (no token content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


JtiCache = MemoryState
"""Token ids seen recently, each kept until its token expires, so that a token is used once."""


def _find_key(jwks: Mapping[str, object] | None, kid: str) -> dict[str, Any]:
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list) or not keys:
        raise AuthError("no EHR keys configured")
    found = [k for k in keys if isinstance(k, dict) and k.get("kid") == kid]
    if len(found) != 1:
        raise AuthError("unknown signing key")
    return found[0]


def _public_key(jwk: dict[str, Any], alg: str) -> Any:
    if jwk.get("use", "sig") != "sig":
        raise AuthError("key is not for signatures")
    if "alg" in jwk and jwk["alg"] != alg:
        raise AuthError("algorithm does not match the key")
    try:
        key = jwt.get_algorithm_by_name(alg).from_jwk(json.dumps(jwk))
    except (jwt.InvalidKeyError, ValueError, KeyError, TypeError):
        raise AuthError("algorithm does not match the key") from None
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        key = key.public_key()
    if alg.startswith("RS") and not isinstance(key, rsa.RSAPublicKey):
        raise AuthError("algorithm does not match the key")
    if alg.startswith("ES") and not (
        isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, _EC_CURVES[alg])
    ):
        raise AuthError("algorithm does not match the key")
    return key


def verify_token(
    token: str,
    auth: AuthSettings,
    audiences: Sequence[str],
    seen: State,
    now: float | None = None,
) -> dict[str, Any]:
    """The verified claims of ``token``, or ``AuthError`` with the reason it was refused."""
    now = time.time() if now is None else now
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthError("malformed token") from None
    if header.get("typ") != "JWT":
        raise AuthError("token type (typ) must be JWT")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise AuthError("signing algorithm not allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthError("token names no key (kid)")
    key = _public_key(_find_key(auth.jwks, kid), alg)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=list(audiences),
            leeway=LEEWAY_SECONDS,
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_signature": True,
                "verify_exp": True,
                "verify_iat": True,
                "verify_aud": True,
                "verify_iss": False,  # checked below, against the configured list
            },
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token expired") from None
    except jwt.ImmatureSignatureError:
        raise AuthError("token not yet valid") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(f"token lacks the '{exc.claim}' claim") from None
    except jwt.InvalidAudienceError:
        raise AuthError("token is for another audience") from None
    except jwt.InvalidSignatureError:
        raise AuthError("bad signature") from None
    except jwt.DecodeError:
        raise AuthError("malformed token") from None
    except jwt.PyJWTError:
        raise AuthError("invalid token") from None
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or issuer not in auth.issuers:
        raise AuthError("issuer not allowed")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > now + LEEWAY_SECONDS:
        raise AuthError("token issued in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise AuthError("token lacks the 'jti' claim")
    if not seen.check_and_add(issuer, jti, float(claims["exp"]), now):
        raise AuthError("token already used")
    return claims


def expected_audiences(request: Request, auth: AuthSettings, service_id: str) -> tuple[str, ...]:
    """The ``aud`` values accepted for this call (see the module docstring for the rule)."""
    base = auth.audience.rstrip("/") if auth.audience is not None else f"{request.base_url}cds-services"
    accepted: tuple[str, ...] = (f"{base}/{service_id}",)
    if request.url.path.rstrip("/").endswith("/feedback"):
        accepted += (f"{accepted[0]}/feedback",)
    return accepted


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status_code=401,
        detail=[{"field": "authorization", "message": reason}],
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


_STATE_LOCK = threading.Lock()


def service_state(request: Request) -> State:
    """One store per app (tests build several); a SQLite file shared by the workers when configured."""
    with _STATE_LOCK:
        state = getattr(request.app.state, "cds_state", None)
        if state is None:
            settings: ServiceSettings = request.app.state.settings
            state = SqliteState(settings.state_path) if settings.state_path else MemoryState()
            request.app.state.cds_state = state
        return state


def require_ehr_jwt(request: Request) -> dict[str, Any] | None:
    """FastAPI dependency: the verified JWT claims, or a 401. ``None`` when verification is off."""
    settings: ServiceSettings = request.app.state.settings
    auth = settings.auth
    if auth.insecure_demo:
        return None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("missing bearer token")
    service_id = str(request.path_params.get("service_id", ""))
    try:
        return verify_token(
            token, auth, expected_audiences(request, auth, service_id), service_state(request)
        )
    except AuthError as exc:
        log.info("CDS Hooks call refused: %s", exc.reason)
        raise _unauthorized(exc.reason) from None
