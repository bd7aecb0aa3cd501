"""Replay protection and issued cards shared by worker processes through one SQLite file (issue 10, 6).

With ``--workers 2`` each token used to be accepted twice (one in-memory set per worker). Two apps built
on the same ``state_path`` stand for two workers here; a subprocess test runs two real processes.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from lss_pathway.api.app import create_app
from lss_pathway.api.settings import AuthSettings, ServiceSettings
from lss_pathway.api.state import MemoryState, SqliteState

ISSUER = "https://ehr.example.org"
SERVICE = "lss-order-select"
BODY = {
    "hook": "order-select",
    "hookInstance": "x",
    "context": {
        "userId": "Practitioner/1",
        "patientId": "p1",
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": []},
    },
}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(key: rsa.RSAPrivateKey, jti: str | None = None, typ: str = "JWT") -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": f"http://testserver/cds-services/{SERVICE}",
        "iat": now,
        "exp": now + 300,
        "jti": jti or str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k", "typ": typ})


def worker(key: rsa.RSAPrivateKey, state_path: str | None) -> TestClient:
    jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    auth = AuthSettings(jwks={"keys": [{**jwk, "kid": "k"}]}, issuers=(ISSUER,))
    return TestClient(create_app(ServiceSettings(auth=auth, state_path=state_path)))


def call(client: TestClient, tok: str) -> int:
    return client.post(
        f"/cds-services/{SERVICE}", json=BODY, headers={"Authorization": f"Bearer {tok}"}
    ).status_code


def test_without_a_shared_file_two_workers_each_accept_the_token(key: rsa.RSAPrivateKey) -> None:
    """The defect, reproduced: separate in-memory caches."""
    first, second = worker(key, None), worker(key, None)
    tok = token(key)
    assert (call(first, tok), call(second, tok)) == (200, 200)


def test_a_shared_sqlite_file_refuses_the_replay_on_the_other_worker(
    key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = str(tmp_path / "state.sqlite")
    first, second = worker(key, path), worker(key, path)
    tok = token(key)
    assert call(first, tok) == 200
    assert call(second, tok) == 401 and call(first, tok) == 401


def test_typ_must_be_jwt(key: rsa.RSAPrivateKey) -> None:
    client = worker(key, None)
    response = client.post(
        f"/cds-services/{SERVICE}", json=BODY, headers={"Authorization": f"Bearer {token(key, typ='at+jwt')}"}
    )
    assert response.status_code == 401 and "typ" in response.text


def test_sqlite_state_matches_the_memory_state(tmp_path: Path) -> None:
    for state in (MemoryState(max_entries=3), SqliteState(str(tmp_path / "s.sqlite"), max_entries=3)):
        assert state.check_and_add("iss", "a", expires=100.0, now=50.0)
        assert not state.check_and_add("iss", "a", expires=100.0, now=60.0)
        assert state.check_and_add("other", "a", expires=100.0, now=60.0)
        assert state.check_and_add("iss", "b", expires=500.0, now=200.0)  # "a" entries expired
        for name in ("c", "d", "e"):
            assert state.check_and_add("iss", name, expires=600.0, now=200.0)
        state.remember_cards("svc", [("card-1", ("sug-1",))])
        assert state.card("card-1") == ("svc", ("sug-1",))
        assert state.card("card-2") is None


_RACE = """
import sys, time
from lss_pathway.api.state import SqliteState
state = SqliteState(sys.argv[1])
won = sum(state.check_and_add("iss", f"jti-{i}", time.time() + 300, time.time()) for i in range(200))
print(won)
"""


def test_two_processes_never_both_accept_a_token(tmp_path: Path) -> None:
    path = str(tmp_path / "race.sqlite")
    SqliteState(path)
    procs = [
        subprocess.Popen([sys.executable, "-c", _RACE, path], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    wins = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert sum(wins) == 200


def test_serve_gives_several_workers_one_state_file() -> None:
    from lss_pathway.cli import _state_path

    assert _state_path(None, 1) is None
    shared = _state_path(None, 2)
    assert shared is not None and shared.endswith(".sqlite")
    assert _state_path(Path("x.sqlite"), 1) == str(Path("x.sqlite").resolve())
