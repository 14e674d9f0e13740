"""Resolution I's failure matrix, shared by every registry resolver's tests: what a fault
on the loopback server must turn into (status, and the reason's tail)."""

from __future__ import annotations

from typing import Any

from auditor.model import OriginStatus
from tests.servers.pypi import Fault

FAILURE_MATRIX: list[tuple[Fault, OriginStatus, str | None]] = [
    (Fault("500"), OriginStatus.UNREACHABLE, "HTTP 500 after 3 attempt(s)"),
    (Fault("503", times=2), OriginStatus.RESOLVED, None),
    (Fault("429", times=1, retry_after="1"), OriginStatus.RESOLVED, None),
    (Fault("429", retry_after="3600"), OriginStatus.UNREACHABLE, "HTTP 429, Retry-After 3600 s"),
    (Fault("hang", seconds=3), OriginStatus.UNREACHABLE, "timed out after 3 attempt(s)"),
    (Fault("truncate"), OriginStatus.UNREACHABLE, "after 3 attempt(s)"),
    (Fault("malformed"), OriginStatus.UNREACHABLE, "malformed JSON response after 3 attempt(s)"),
    (Fault("malformed", times=1), OriginStatus.RESOLVED, None),
]


def fault_id(value: Any) -> str | None:
    """`500x None`-style test ids for the fault column."""
    return getattr(value, "kind", None) and f"{value.kind}x{value.times}"
