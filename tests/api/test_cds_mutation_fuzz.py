"""A seeded mutation fuzz of the CDS Hooks endpoints: 5,000+ mutated requests, never a server error.

Valid requests (patient-view, order-select, order-sign and feedback, built from the examples) are
mutated by a seeded generator: keys dropped, values replaced by other JSON types, lists where objects
belong and back, strings stretched or emptied, nesting deepened, resources duplicated. In-process
(no network), bounded in count and time.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import time
from typing import Any

import httpx
from tests.api.test_cds_hooks import hook_request, mild_order, order_request

from lss_pathway.api.app import create_app
from lss_pathway.api.settings import AuthSettings, ServiceSettings

REQUESTS = 5_200
TIME_LIMIT_SECONDS = 100.0
"""A hard bound for a loaded machine; on an idle one the run takes about 20 s."""
KEPT_PER_KEY = 2
"""Resources kept per prefetch key: small charts keep each request cheap, so 5,000 fit in the time."""
SEED = 20261203

_ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1e308,
    "",
    "x" * 300,
    "L9-S9",
    "\u0000\u202e",
    [],
    {},
    [None],
    {"resourceType": "Bundle", "entry": "x"},
    {"resourceType": "OperationOutcome"},
    {"resourceType": "Patient", "id": "someone-else"},
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:20]):
            out += _paths(value, (*prefix, i))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def mutate(body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = copy.deepcopy(body)
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in _paths(out) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = _get(out, path[:-1])
        key = path[-1]
        action = rng.randrange(6)
        if action == 0 and isinstance(parent, dict):
            del parent[key]
        elif action == 1:
            parent[key] = copy.deepcopy(rng.choice(_ODD_VALUES))
        elif action == 2:
            parent[key] = [parent[key]]
        elif action == 3 and isinstance(parent[key], list) and parent[key]:
            parent[key] = parent[key][0]
        elif action == 4:
            value: Any = parent[key]
            for _ in range(rng.randint(1, 30)):
                value = {"extension": [value]} if rng.random() < 0.5 else [value]
            parent[key] = value
        elif isinstance(parent[key], list):
            parent[key] = parent[key] * rng.randint(2, 5)
        else:
            parent[key] = str(parent[key])
    return out


def small(body: dict[str, Any]) -> dict[str, Any]:
    """The request with at most KEPT_PER_KEY resources per prefetch Bundle."""
    out = copy.deepcopy(body)
    for value in (out.get("prefetch") or {}).values():
        if isinstance(value, dict) and isinstance(value.get("entry"), list):
            value["entry"] = value["entry"][:KEPT_PER_KEY]
    return out


def seeds() -> list[tuple[str, dict[str, Any]]]:
    feedback = {
        "feedback": [
            {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-24T07:00:00Z"},
        ]
    }
    return [
        ("lss-patient-view", small(hook_request("patient-view", "01-bilateral-l45-candidate"))),
        ("lss-patient-view", small(hook_request("patient-view", "09-cauda-equina-red-flags"))),
        (
            "lss-order-select",
            small(order_request("order-select", "13-no-laminar-shelf-left-l45", mild_order())),
        ),
        (
            "lss-order-sign",
            small(order_request("order-sign", "07-apixaban-can-be-held", mild_order("L4-L5", "left"))),
        ),
        ("lss-order-sign/feedback", feedback),
    ]


async def _run(rng: random.Random) -> tuple[int, dict[int, int]]:
    app = create_app(ServiceSettings(auth=AuthSettings(insecure_demo=True)))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    bases = seeds()
    statuses: dict[int, int] = {}
    started = time.monotonic()
    sent = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        while sent < REQUESTS and time.monotonic() - started < TIME_LIMIT_SECONDS:
            service, body = rng.choice(bases)
            mutated = mutate(body, rng)
            response = await client.post(
                f"/cds-services/{service}",
                content=json.dumps(mutated),
                headers={"content-type": "application/json"},
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (service, response.text[:300], json.dumps(mutated)[:500])
            assert isinstance(response.json(), dict)
            sent += 1
    return sent, statuses


def test_mutated_cds_requests_never_cause_a_server_error() -> None:
    sent, statuses = asyncio.run(_run(random.Random(SEED)))
    assert sent >= 5_000, f"only {sent} requests within {TIME_LIMIT_SECONDS} s"
    assert statuses.get(200, 0) > 100 and statuses.get(422, 0) > 100, statuses
