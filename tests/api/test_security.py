"""JWT verification on CDS Hooks calls: signed by a known EHR key, right issuer and audience, fresh, once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from lss_pathway.api.app import create_app
from lss_pathway.api.security import AuthError, JtiCache, verify_token
from lss_pathway.api.settings import AuthSettings, ServiceSettings
from lss_pathway.api.state import MemoryState

ISSUER = "https://ehr.example.org"
SERVICE = "lss-order-select"
FEEDBACK_PATH = f"/cds-services/{SERVICE}/feedback"
SERVICE_URL = f"http://testserver/cds-services/{SERVICE}"
FEEDBACK = {
    "feedback": [
        {
            "card": str(uuid.uuid4()),
            "outcome": "accepted",
            "acceptedSuggestions": [],
            "outcomeTimestamp": "2026-11-24T07:00:00Z",
        }
    ]
}
NO_MILD_ORDER = {
    "hook": "order-select",
    "hookInstance": str(uuid.uuid4()),
    "context": {
        "userId": "Practitioner/1",
        "patientId": "p1",
        "selections": [],
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": []},
    },
}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def jwks(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    rsa_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    ec_jwk = jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    return {"keys": [{**rsa_jwk, "kid": "rsa-1", "use": "sig"}, {**ec_jwk, "kid": "ec-1"}]}


def with_issued_card(settings: ServiceSettings) -> TestClient:
    """A client whose service has issued the card FEEDBACK is about (feedback on unknown cards is refused)."""
    app = create_app(settings)
    app.state.cds_state = MemoryState()
    app.state.cds_state.remember_cards(SERVICE, [(FEEDBACK["feedback"][0]["card"], ())])
    return TestClient(app)


def make_client(jwks: dict[str, Any], audience: str | None = None) -> TestClient:
    auth = AuthSettings(jwks=jwks, issuers=(ISSUER,), audience=audience)
    return with_issued_card(ServiceSettings(auth=auth))


@pytest.fixture
def client(jwks: dict[str, Any]) -> TestClient:
    return make_client(jwks)


def claims(**override: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "sub": "ehr-client",
        "aud": SERVICE_URL,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    base.update(override)
    return {k: v for k, v in base.items() if v is not None}


def rs256(key: rsa.RSAPrivateKey, **override: Any) -> str:
    return jwt.encode(claims(**override), key, algorithm="RS256", headers={"kid": "rsa-1"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


def assert_refused(response: Any, token: str | None = None) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    message: str = response.json()["detail"][0]["message"]
    if token is not None:
        assert token not in response.text
        for part in token.split("."):
            if part:
                assert part not in response.text
    return message


# --- accepted -------------------------------------------------------------------------------------------


def test_valid_rs256_token_is_accepted(client: TestClient, rsa_key: rsa.RSAPrivateKey) -> None:
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(rsa256_feedback(rsa_key)))
    assert response.status_code == 200, response.text
    service = client.post(f"/cds-services/{SERVICE}", json=NO_MILD_ORDER, headers=bearer(rs256(rsa_key)))
    assert service.status_code == 200, service.text
    assert service.json()["cards"] == []


def rsa256_feedback(key: rsa.RSAPrivateKey) -> str:
    return rs256(key, aud=f"{SERVICE_URL}/feedback")


def test_feedback_also_accepts_the_service_url_as_audience(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(rs256(rsa_key)))
    assert response.status_code == 200


def test_valid_es256_token_is_accepted(client: TestClient, ec_key: ec.EllipticCurvePrivateKey) -> None:
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    response = client.post(f"/cds-services/{SERVICE}", json=NO_MILD_ORDER, headers=bearer(token))
    assert response.status_code == 200, response.text


def test_aud_may_be_a_list(client: TestClient, rsa_key: rsa.RSAPrivateKey) -> None:
    token = rs256(rsa_key, aud=["https://other.example.org", SERVICE_URL])
    response = client.post(f"/cds-services/{SERVICE}", json=NO_MILD_ORDER, headers=bearer(token))
    assert response.status_code == 200


def test_configured_audience_must_match_exactly(jwks: dict[str, Any], rsa_key: rsa.RSAPrivateKey) -> None:
    configured = "https://cds.example.org/cds-services"
    client = make_client(jwks, audience=configured)
    endpoint = f"{configured}/{SERVICE}"
    ok = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(rs256(rsa_key, aud=endpoint)))
    assert ok.status_code == 200
    # aud is the called endpoint's URL (CDS Hooks 2.0), not the bare base.
    base = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(rs256(rsa_key, aud=configured)))
    assert assert_refused(base) == "token is for another audience"
    # The request's own URL is no longer accepted once an audience is configured.
    refused = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(rs256(rsa_key)))
    assert assert_refused(refused) == "token is for another audience"


def test_discovery_needs_no_token(client: TestClient) -> None:
    assert client.get("/cds-services").status_code == 200


def test_insecure_demo_skips_verification() -> None:
    client = with_issued_card(ServiceSettings(auth=AuthSettings(insecure_demo=True)))
    response = client.post(FEEDBACK_PATH, json=FEEDBACK)
    assert response.status_code == 200
    garbage = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer("not-a-jwt"))
    assert garbage.status_code == 200


# --- refused ---------------------------------------------------------------------------------------------


def test_missing_or_non_bearer_header_is_refused(client: TestClient) -> None:
    assert assert_refused(client.post(FEEDBACK_PATH, json=FEEDBACK)) == "missing bearer token"
    basic = client.post(FEEDBACK_PATH, json=FEEDBACK, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert assert_refused(basic) == "missing bearer token"


def test_service_call_without_token_is_refused_before_anything_else(client: TestClient) -> None:
    assert_refused(client.post(f"/cds-services/{SERVICE}", json=NO_MILD_ORDER))
    assert_refused(client.post("/cds-services/no-such-service", json=NO_MILD_ORDER))


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"exp": int(time.time()) - 120, "iat": int(time.time()) - 600}, "token expired"),
        ({"aud": "https://someone-else.example.org/cds-services/x"}, "token is for another audience"),
        ({"iss": "https://rogue.example.org"}, "issuer not allowed"),
        ({"jti": None}, "token lacks the 'jti' claim"),
        ({"jti": ""}, "token lacks the 'jti' claim"),
        ({"exp": None}, "token lacks the 'exp' claim"),
        ({"iat": None}, "token lacks the 'iat' claim"),
        ({"iat": int(time.time()) + 600, "exp": int(time.time()) + 900}, "token not yet valid"),
    ],
    ids=[
        "expired",
        "wrong-audience",
        "unknown-issuer",
        "no-jti",
        "empty-jti",
        "no-exp",
        "no-iat",
        "iat-future",
    ],
)
def test_bad_claims_are_refused(
    client: TestClient, rsa_key: rsa.RSAPrivateKey, override: dict[str, Any], reason: str
) -> None:
    token = rs256(rsa_key, **override)
    assert assert_refused(client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token)), token) == reason


def test_alg_none_is_refused(client: TestClient) -> None:
    token = _unsigned({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims()) + "."
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token))
    assert assert_refused(response, token) == "signing algorithm not allowed"


def test_hs256_with_the_public_key_as_secret_is_refused(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    secret = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = _unsigned({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64(signature)}"
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token))
    assert assert_refused(response, token) == "signing algorithm not allowed"


def test_tampered_payload_is_refused(client: TestClient, rsa_key: rsa.RSAPrivateKey) -> None:
    token = rs256(rsa_key)
    header, _, signature = token.split(".")
    forged = _b64(json.dumps(claims(sub="admin")).encode())
    tampered = f"{header}.{forged}.{signature}"
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(tampered))
    assert assert_refused(response, tampered) == "bad signature"


def test_token_signed_by_an_unknown_key_is_refused(client: TestClient) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = rs256(stranger)  # claims kid "rsa-1", but signed with another key
    assert (
        assert_refused(client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(forged))) == "bad signature"
    )
    unknown_kid = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": "elsewhere"})
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(unknown_kid))
    assert assert_refused(response) == "unknown signing key"
    no_kid = jwt.encode(claims(), stranger, algorithm="RS256")
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(no_kid))
    assert assert_refused(response) == "token names no key (kid)"


def test_algorithm_must_fit_the_key(client: TestClient, ec_key: ec.EllipticCurvePrivateKey) -> None:
    # An EC signature presented under the RSA key's kid.
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "rsa-1"})
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token))
    assert assert_refused(response) == "algorithm does not match the key"
    # ES384 requires P-384, the key is P-256.
    signing_input = _unsigned({"alg": "ES384", "typ": "JWT", "kid": "ec-1"}, claims())
    es256 = jwt.get_algorithm_by_name("ES256")
    token = f"{signing_input}.{_b64(es256.sign(signing_input.encode(), ec_key))}"
    response = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token))
    assert assert_refused(response) == "algorithm does not match the key"


def test_replayed_jti_is_refused(client: TestClient, rsa_key: rsa.RSAPrivateKey) -> None:
    token = rsa256_feedback(rsa_key)
    assert client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token)).status_code == 200
    again = client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token))
    assert assert_refused(again, token) == "token already used"
    # A new token with the same jti is a replay too.
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    same_jti = rs256(rsa_key, aud=f"{SERVICE_URL}/feedback", jti=jti, iat=int(time.time()) - 1)
    assert assert_refused(client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(same_jti))) == (
        "token already used"
    )


def test_refused_token_does_not_burn_its_jti(client: TestClient, rsa_key: rsa.RSAPrivateKey) -> None:
    jti = str(uuid.uuid4())
    wrong = rs256(rsa_key, aud="https://elsewhere.example.org", jti=jti)
    assert_refused(client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(wrong)))
    right = rs256(rsa_key, jti=jti)
    assert client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(right)).status_code == 200


def test_no_keys_or_no_issuers_configured_refuses_everything(rsa_key: rsa.RSAPrivateKey) -> None:
    default = TestClient(create_app(ServiceSettings()))
    token = rs256(rsa_key)
    response = default.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token))
    assert assert_refused(response) == "no EHR keys configured"


def test_malformed_token_is_refused(client: TestClient) -> None:
    for token in ("abc", "a.b.c", "....."):
        assert_refused(client.post(FEEDBACK_PATH, json=FEEDBACK, headers=bearer(token)))


# --- the pieces ----------------------------------------------------------------------------------------


def test_verify_token_returns_the_claims(jwks: dict[str, Any], rsa_key: rsa.RSAPrivateKey) -> None:
    auth = AuthSettings(jwks=jwks, issuers=(ISSUER,))
    token = rs256(rsa_key, tenant="clinic-a")
    result = verify_token(token, auth, [SERVICE_URL], JtiCache())
    assert result["iss"] == ISSUER and result["tenant"] == "clinic-a"
    with pytest.raises(AuthError, match="issuer not allowed"):
        verify_token(rs256(rsa_key), AuthSettings(jwks=jwks, issuers=()), [SERVICE_URL], JtiCache())


def test_jti_cache_forgets_expired_tokens_and_stays_bounded() -> None:
    cache = JtiCache(max_entries=3)
    assert cache.check_and_add("iss", "a", expires=100.0, now=50.0)
    assert not cache.check_and_add("iss", "a", expires=100.0, now=60.0)
    assert cache.check_and_add("other-iss", "a", expires=100.0, now=60.0)
    # Once expired (plus the clock-skew allowance) the id may be forgotten.
    assert cache.check_and_add("iss", "b", expires=500.0, now=200.0)
    assert len(cache) == 1
    for name in ("c", "d", "e", "f"):
        assert cache.check_and_add("iss", name, expires=600.0, now=200.0)
    assert len(cache) == 3
