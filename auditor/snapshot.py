"""Metadata snapshots for air-gapped machines: the HTTP cache as versioned JSON lines.

Line 1 is a header `{"format": "origin-auditor-http-cache", "version": 1, …}`; every other
line is one kept answer, or (key `hash-index:<digest>`: a sha256, or `git-sha1:<hex>` for a git
blob id) the hash index's files for a digest.
Keys are registry role + path, so a snapshot made against one
mirror serves a machine configured for another, and holds no host or credential.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from auditor.errors import AuditorError
from auditor.hashing import HASH_INDEX_PREFIX, is_index_digest, parse_index_body
from auditor.http import VERDICT_PREFIX, CachedResponse

FORMAT = "origin-auditor-http-cache"
VERSION = 1


class SnapshotError(AuditorError):
    """A snapshot file that cannot be imported."""


def write(out: IO[str], entries: Iterable[tuple[str, CachedResponse]]) -> int:
    """Write a snapshot; returns the number of answers written."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    out.write(json.dumps({"format": FORMAT, "version": VERSION, "exported_at": now}) + "\n")
    count = 0
    for key, response in entries:
        if key.startswith(VERDICT_PREFIX):
            continue  # verdicts stay where they were reached (see `_entry`)
        out.write(json.dumps(_line(key, response), ensure_ascii=False) + "\n")
        count += 1
    return count


def _line(key: str, response: CachedResponse) -> dict[str, Any]:
    try:
        body, encoding = response.body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(response.body).decode("ascii"), "base64"
    return {
        "key": key,
        "status": response.status,
        "fetched_at": response.fetched_at.isoformat(),
        "etag": response.etag,
        "last_modified": response.last_modified,
        "immutable": response.immutable,
        "body_encoding": encoding,
        "body": body,
    }


def read(name: str, lines: Iterable[str]) -> Iterator[tuple[str, CachedResponse]]:
    """Parse a snapshot; SnapshotError names the file and line of the first problem."""
    numbered = enumerate(lines, start=1)
    header = _json(name, *next(numbered, (1, "")))
    if header.get("format") != FORMAT:
        raise SnapshotError(f"{name}:1: not an origin-auditor cache snapshot")
    if header.get("version") != VERSION:
        raise SnapshotError(
            f"{name}:1: snapshot version {header.get('version')!r}, this tool reads {VERSION}",
            hint="export the snapshot again with this version of origin-auditor",
        )
    for number, text in numbered:
        if text.strip():
            yield _entry(name, number, _json(name, number, text))


def _json(name: str, number: int, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise SnapshotError(f"{name}:{number}: not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SnapshotError(f"{name}:{number}: expected a JSON object")
    return value


def _entry(name: str, number: int, raw: dict[str, Any]) -> tuple[str, CachedResponse]:
    where = f"{name}:{number}"
    try:
        key, status, body = raw["key"], raw["status"], raw["body"]
        if not isinstance(key, str) or ":" not in key or not isinstance(status, int):
            raise TypeError("`key` must be `role:path` and `status` an integer")
        if key.startswith(VERDICT_PREFIX):
            # A verification verdict is believed only where it was reached: importing one
            # would let a snapshot vouch for a bundle this machine never checked.
            raise TypeError("verification verdicts are never imported")
        if not isinstance(body, str):
            raise TypeError("`body` must be a string")
        if key.startswith(HASH_INDEX_PREFIX):  # the hash index travels with the answers
            if not is_index_digest(key[len(HASH_INDEX_PREFIX) :]):
                raise ValueError(
                    "a hash-index key names a sha256 (64 lower-case hex digits) or a git blob"
                    " id (`git-sha1:` and 40 lower-case hex digits)"
                )
            parse_index_body(body.encode("utf-8"))
        if raw.get("body_encoding", "utf-8") == "base64":
            data = base64.b64decode(body, validate=True)
        else:
            data = body.encode("utf-8")
        fetched = datetime.fromisoformat(raw["fetched_at"])
        if fetched.tzinfo is None:
            raise ValueError("`fetched_at` needs a time zone")
        return key, CachedResponse(
            status=status,
            body=data,
            fetched_at=fetched,
            etag=raw.get("etag"),
            last_modified=raw.get("last_modified"),
            immutable=bool(raw.get("immutable", False)),
        )
    except KeyError as exc:
        raise SnapshotError(f"{where}: missing field {exc}") from None
    except (TypeError, ValueError) as exc:
        raise SnapshotError(f"{where}: {exc}") from None
