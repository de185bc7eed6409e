"""A small client for Orthanc's REST API, over the standard library.

The PyPI `requests` cannot be loaded in this project (our app is named `requests`), and
the few calls needed (store an instance, look a UID up, read statistics, delete, health)
do not need it. One keep-alive connection is reused for a whole study: a new TCP
connection per instance would cost more than the instance on a disc of small images.

`ORTHANC_URL` carries the credentials, `http://user:password@127.0.0.1:8042`; Orthanc is
never exposed to the internet, only to the portal and its workers.
"""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings

TIMEOUT = 30.0
BLOCK = 256 * 1024
# Orthanc answers 200 for a stored instance, with "Success" or "AlreadyStored": sending the
# same SOP Instance UID twice never stores it twice.
STORED_STATES = ("Success", "AlreadyStored")


class OrthancError(Exception):
    """Orthanc refused a request for a reason that trying again will not change."""


class OrthancUnavailable(OrthancError):
    """Orthanc could not be reached or answered with a server error: try again later."""


@dataclass(frozen=True)
class StoredInstance:
    orthanc_id: str
    study_id: str
    series_id: str
    already_stored: bool


class OrthancClient:
    """Talk to one Orthanc server; use as a context manager to close the connection."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OrthancError("ORTHANC_URL must be an http(s) URL.")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.base = parts.path.rstrip("/")
        self.timeout = timeout
        self.headers: dict[str, str] = {}
        if parts.username is not None:
            token = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        self._connection: http.client.HTTPConnection | None = None

    @classmethod
    def from_settings(cls) -> OrthancClient | None:
        """Return a client for ORTHANC_URL, or None when imaging stays in private storage."""
        url = getattr(settings, "ORTHANC_URL", "")
        return cls(url) if url else None

    def __enter__(self) -> OrthancClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            # Large blocks: a 512 KB image goes in two writes, not sixty-four.
            self._connection = kind(self.host, self.port, timeout=self.timeout, blocksize=BLOCK)
        return self._connection

    def request(
        self,
        method: str,
        path: str,
        body: bytes | IO[bytes] | None = None,
        *,
        length: int | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """Send one request and return the JSON answer (None for an empty one)."""
        headers = {**self.headers, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
            headers["Content-Length"] = str(len(body) if isinstance(body, bytes) else length)
        # A kept-alive connection the server closed meanwhile fails on first use: one
        # fresh connection is tried before Orthanc is called unavailable. A file body
        # cannot be replayed once read, so it is rewound first.
        for attempt in (1, 2):
            start = body.tell() if body is not None and not isinstance(body, bytes) else 0
            try:
                connection = self._connect()
                connection.request(method, self.base + path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError) as error:
                self.close()
                if attempt == 2 or isinstance(error, TimeoutError):
                    raise OrthancUnavailable(
                        f"Orthanc did not answer: {type(error).__name__}"
                    ) from error
                if body is not None and not isinstance(body, bytes):
                    body.seek(start)
                continue
            break
        if response.status >= 500 or response.status in (401, 403, 429):
            # 401/403: a misconfigured password is fixed by an operator, not lost meanwhile.
            self.close()
            raise OrthancUnavailable(f"Orthanc answered {response.status}")
        if response.status >= 400:
            raise OrthancError(f"Orthanc refused {method} {path}: {response.status}")
        return json.loads(data) if data else None

    def healthy(self) -> bool:
        """Return whether Orthanc answers /system with these credentials."""
        try:
            return bool(self.request("GET", "/system"))
        except OrthancError:
            return False

    def store(self, body: bytes | IO[bytes], *, length: int | None = None) -> StoredInstance:
        """Store one DICOM instance (POST /instances); storing it again changes nothing."""
        answer = self.request(
            "POST", "/instances", body, length=length, content_type="application/dicom"
        )
        if not isinstance(answer, dict) or answer.get("Status") not in STORED_STATES:
            raise OrthancError("Orthanc did not store the instance.")
        return StoredInstance(
            orthanc_id=answer["ID"],
            study_id=answer.get("ParentStudy", ""),
            series_id=answer.get("ParentSeries", ""),
            already_stored=answer["Status"] == "AlreadyStored",
        )

    def lookup(self, uid: str) -> list[dict[str, str]]:
        """Return Orthanc's resources with this DICOM UID (POST /tools/lookup)."""
        return self.request("POST", "/tools/lookup", uid.encode(), content_type="text/plain")

    def study_statistics(self, orthanc_id: str) -> dict[str, Any]:
        return self.request("GET", f"/studies/{quote(orthanc_id)}/statistics")

    def delete_study(self, orthanc_id: str) -> None:
        """Remove a study and its instances from Orthanc (retention, a rejected study)."""
        try:
            self.request("DELETE", f"/studies/{quote(orthanc_id)}")
        except OrthancError as error:
            if "404" not in str(error):
                raise
