"""Fetch what the EHR did not prefetch from its FHIR server (CDS Hooks 2.0: ``fhirServer`` + token).

Only when the request carries both ``fhirServer`` and ``fhirAuthorization``; the token is sent as a
Bearer header to that server and nowhere else, and is never logged. Each search has a timeout, the whole
fetch a deadline, a response a size cap and a search at most ``MAX_PAGES`` pages: a slow or failing
server gives a clear "could not fetch" on the card, never a stall or a server error.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 5.0
DEADLINE_SECONDS = 15.0
MAX_PAGES = 10
MAX_RESPONSE_BYTES = 10_000_000


class FetchError(Exception):
    """A search the FHIR server did not answer usefully; the message is safe to show (no token)."""


@dataclass(frozen=True)
class FhirServer:
    base: str
    token: str
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_request(cls, server: Any, authorization: Any) -> FhirServer | None:
        """The server to ask, or None when the request does not allow fetching."""
        if not isinstance(server, str) or not isinstance(authorization, Mapping):
            return None
        token = authorization.get("access_token")
        scheme = urllib.parse.urlsplit(server).scheme
        if not isinstance(token, str) or not token or scheme not in ("http", "https"):
            return None
        return cls(server.rstrip("/"), token)

    def get(self, path: str, deadline: float) -> dict[str, Any]:
        url = path if path.startswith(("http://", "https://")) else f"{self.base}/{path}"
        if not url.startswith(self.base):
            raise FetchError("a paging link points away from the FHIR server")
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError("the FHIR server took too long")
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {self.token}", "Accept": "application/fhir+json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=min(self.timeout, left)) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise FetchError(f"the FHIR server answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"the FHIR server could not be reached ({type(reason).__name__})") from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise FetchError("the FHIR server's answer is too large")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise FetchError("the FHIR server's answer is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            raise FetchError("the FHIR server's answer is not a FHIR resource")
        if data["resourceType"] == "OperationOutcome":
            raise FetchError("the FHIR server answered with an OperationOutcome")
        return data

    def search(self, query: str, deadline: float) -> dict[str, Any]:
        """One resource, or a searchset Bundle with every page's entries (at most MAX_PAGES pages)."""
        first = self.get(query, deadline)
        if first["resourceType"] != "Bundle":
            return first
        entries = list(first.get("entry") or [])
        page = first
        for _ in range(MAX_PAGES - 1):
            link = next(
                (
                    x.get("url")
                    for x in page.get("link") or []
                    if isinstance(x, Mapping) and x.get("relation") == "next"
                ),
                None,
            )
            if not isinstance(link, str):
                break
            page = self.get(link, deadline)
            entries += list(page.get("entry") or [])
        return {**first, "entry": entries, "link": []}


def fill(template: str, patient_id: str) -> str:
    return template.replace("{{context.patientId}}", urllib.parse.quote(patient_id, safe=""))


def fetch_missing(
    server: FhirServer, templates: Mapping[str, str], patient_id: str
) -> dict[str, dict[str, Any] | FetchError]:
    """Each template filled and searched; a failure is kept per key (the others still count)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    out: dict[str, dict[str, Any] | FetchError] = {}
    for key, template in templates.items():
        try:
            out[key] = server.search(fill(template, patient_id), deadline)
        except FetchError as exc:
            out[key] = exc
    return out
