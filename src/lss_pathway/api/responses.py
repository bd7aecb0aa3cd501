"""JSON responses built straight from plain data with orjson.

The assessment JSON is large (explanation trees for every criterion); FastAPI's generic encoder cost
several times the assessment itself, so endpoints that return it serialise it directly.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response


def json_response(payload: Any, headers: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return Response(
        content=orjson.dumps(payload), media_type="application/json", headers=headers, status_code=status_code
    )
