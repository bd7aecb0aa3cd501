"""ASGI middleware: a request-body size limit, the input digest on every response, and JSON hygiene.

Pure ASGI (not BaseHTTPMiddleware) so that bodies are counted as they stream and refused early. Bodies
posted to the API (``/v1/``, ``/cds-services/``) must be UTF-8 and nested at most ``MAX_JSON_DEPTH``
deep: both are checked here, in linear time, before any endpoint parses them, and refused in the
project's 422 shape (the 413 names the option that raises the limit).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lss_pathway.api.refusals import log_refusal

MAX_JSON_DEPTH = 64
"""Deepest JSON nesting accepted: a FHIR Bundle of real resources stays well under 30 levels."""
_CHECKED_PREFIXES = ("/v1/", "/cds-services/")
LIMIT_OPTION = "--max-body-bytes"
UPLOAD_PATHS = ("/v1/measure",)
"""Endpoints that take binary files: their own (larger) limit, and no JSON checks."""
UPLOAD_LIMIT_OPTION = "--max-upload-bytes"


def json_depth(value: Any) -> int:
    """The nesting depth of parsed JSON, iteratively (no recursion, linear in the size)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            stack += [(v, depth + 1) for v in node.values() if isinstance(v, dict | list)]
        elif isinstance(node, list):
            deepest = max(deepest, depth)
            stack += [(v, depth + 1) for v in node if isinstance(v, dict | list)]
    return deepest


def body_problem(body: bytes) -> str | None:
    """Why a JSON body is refused before parsing (not UTF-8, nested too deep), or None."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"request body is not valid UTF-8 (byte {exc.start})"
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "recursion" in str(exc).lower():
            return f"nesting too deep (more than {MAX_JSON_DEPTH} levels)"
        return None  # the endpoint reports the syntax error in its own words
    if json_depth(parsed) > MAX_JSON_DEPTH:
        return f"nesting too deep (more than {MAX_JSON_DEPTH} levels)"
    return None


class BodyLimitAndDigest:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_body_bytes if max_upload_bytes is None else max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope.get("path") in UPLOAD_PATHS
        limit, option = (
            (self.max_upload_bytes, UPLOAD_LIMIT_OPTION) if upload else (self.max_body_bytes, LIMIT_OPTION)
        )
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, option, scope)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit, option, scope)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if (
            body
            and not upload
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).startswith(_CHECKED_PREFIXES)
        ):
            problem = body_problem(body)
            if problem is not None:
                await _refuse(send, 422, problem, scope)
                return
        digest = hashlib.sha256(body).hexdigest()
        scope.setdefault("state", {})["input_digest"] = digest
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def with_digest(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-input-digest", f"sha256:{digest}".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, replay, with_digest)


async def _too_large(send: Send, limit: int, option: str, scope: Scope) -> None:
    setting = option.removeprefix("--").replace("-", "_")
    await _refuse(
        send,
        413,
        f"request body larger than {limit} bytes; the service's {option} option (settings "
        f"{setting}) raises the limit",
        scope,
    )


async def _refuse(send: Send, status: int, message: str, scope: Scope) -> None:
    body: dict[str, Any] = {"detail": [{"field": "", "message": message}]}
    log_refusal(scope, status, body["detail"])
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
