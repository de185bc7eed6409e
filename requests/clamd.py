"""A small client for clamd's INSTREAM command: send a file's bytes, read the verdict.

The protocol (clamd(8), "INSTREAM"): the command `zINSTREAM\\0`, then the file in chunks,
each preceded by its length as four bytes in network order, then a zero length; clamd answers
`stream: OK`, `stream: <signature> FOUND` or `<reason> ERROR`, ended by a NUL byte. Written
here (some forty lines) rather than taken from the unmaintained `clamd` package.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK_BYTES = 64 * 1024
# clamd's answer is one short line; anything longer is not clamd.
MAX_REPLY_BYTES = 4096
# Connecting to a clamd that is down must fail fast: an upload waits on it.
CONNECT_TIMEOUT = 3.0
_FOUND = re.compile(r"stream: (\S.*) FOUND")


class ScanUnavailable(Exception):
    """clamd could not be reached, or gave no verdict (an ERROR answer, a timeout)."""


@dataclass(frozen=True)
class Verdict:
    """What clamd found: nothing, or the name of the signature that matched."""

    infected: bool
    signature: str = ""


def _connect(address: str, timeout: float) -> socket.socket:
    """Open a connection to clamd: `tcp://host:port`, or else the path of a unix socket."""
    if address.startswith("tcp://"):
        parts = urlsplit(address)
        if not parts.hostname or not parts.port:
            raise ScanUnavailable("CLAMD_SOCKET must read tcp://host:port.")
        conn = socket.create_connection(
            (parts.hostname, parts.port), timeout=min(timeout, CONNECT_TIMEOUT)
        )
    else:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(min(timeout, CONNECT_TIMEOUT))
        try:
            conn.connect(address)
        except BaseException:
            conn.close()
            raise
    conn.settimeout(timeout)
    return conn


def instream(address: str, chunks: Iterable[bytes], *, timeout: float) -> Verdict:
    """Scan the bytes in `chunks` with the clamd at `address`; raise ScanUnavailable if it
    gives no verdict (so that the caller keeps the file hidden and tries again later)."""
    try:
        with _connect(address, timeout) as conn:
            conn.sendall(b"zINSTREAM\0")
            for chunk in chunks:
                for start in range(0, len(chunk), CHUNK_BYTES):
                    part = chunk[start : start + CHUNK_BYTES]
                    conn.sendall(struct.pack("!L", len(part)) + part)
            conn.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0") and len(reply) < MAX_REPLY_BYTES:
                received = conn.recv(MAX_REPLY_BYTES)
                if not received:
                    break
                reply += received
    except OSError as error:  # Refused, missing socket, reset, timeout (socket.timeout).
        raise ScanUnavailable(f"clamd did not answer: {error.__class__.__name__}") from error
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer == "stream: OK":
        return Verdict(infected=False)
    if found := _FOUND.fullmatch(answer):
        return Verdict(infected=True, signature=found[1])
    raise ScanUnavailable(f"clamd gave no verdict: {answer[:200]!r}")
