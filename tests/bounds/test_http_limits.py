"""Registry answers are capped in decoded size and in total time (AUDITOR_HTTP_MAX_BYTES,
AUDITOR_HTTP_DEADLINE): a gzip bomb, a huge body or a slow drip makes the request
`unreachable` with the reason, in bounded memory and time.

A loopback server plays each hostile registry; each request is made from a child process
under RLIMIT_AS and RLIMIT_CPU (`tests.bounds.targets:fetch`), whose peak memory and wall
time are checked. Shapes (sizes, chunking, drip pace) are drawn by hypothesis.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.http import env_deadline, env_max_bytes
from tests.bounded import assert_bounded, examples, run_bounded

MiB = 1 << 20


@cache
def _gzip_of_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    parts = [compressor.compress(zeros) for _ in range(size // MiB)]
    return b"".join(parts) + compressor.flush()


class _Hostile(BaseHTTPRequestHandler):
    """GET /<kind>/<n>/<pace>: `bomb` (gzip of n MiB of zeros), `huge` (n MiB of JSON
    whitespace, chunked), `drip` (a valid answer, one byte every `pace` ms), `headers` (the
    status line and headers dripped the same way)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        _, kind, size, pace, *_ = self.path.split("/")
        n, delay = int(size), int(pace) / 1000
        try:
            if kind == "headers":
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(delay)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if kind == "bomb":
                body = _gzip_of_zeros(n * MiB)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif kind == "huge":
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b" " * MiB
                for _ in range(n):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"1\r\n1\r\n0\r\n\r\n")
            else:
                body = b'{"info": {}}' + b" " * n
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _fetch(url: str, max_bytes: int, deadline: float) -> tuple[str, float, float]:
    config = {"url": url, "max_bytes": max_bytes, "deadline": deadline, "read_timeout": 20}
    outcome = run_bounded(
        "tests.bounds.targets:fetch",
        json.dumps(config).encode(),
        cpu_seconds=30,
        wall_seconds=deadline + 30,
        address_space_mb=1024,
    )
    assert_bounded(outcome, max_rss_mb=256)
    assert outcome.result is not None, outcome.describe()
    return outcome.result, outcome.seconds, outcome.maxrss_mb


@examples(3)
@given(inflated=st.integers(64, 512), cap=st.integers(1, 32))
def test_gzip_bomb_stops_at_the_decoded_cap(hostile: str, inflated: int, cap: int) -> None:
    result, _, _ = _fetch(f"{hostile}/bomb/{inflated}/0", cap * MiB, 60)
    assert result.startswith("unreachable:") and "AUDITOR_HTTP_MAX_BYTES" in result, result


@examples(3)
@given(size=st.integers(40, 200), cap=st.integers(1, 32))
def test_huge_body_stops_at_the_cap(hostile: str, size: int, cap: int) -> None:
    result, _, _ = _fetch(f"{hostile}/huge/{size}/0", cap * MiB, 60)
    assert result.startswith("unreachable:") and "AUDITOR_HTTP_MAX_BYTES" in result, result


@examples(3)
@given(kind=st.sampled_from(["drip", "headers"]), pace=st.integers(100, 900))
def test_slow_drip_ends_at_the_deadline(hostile: str, kind: str, pace: int) -> None:
    """Each byte comes well within the read timeout; only the deadline ends it."""
    deadline = 3.0
    result, seconds, _ = _fetch(f"{hostile}/{kind}/4000/{pace}", 64 * MiB, deadline)
    assert result.startswith("unreachable:") and "AUDITOR_HTTP_DEADLINE" in result, result
    assert seconds < deadline + 5, seconds  # interpreter start included


def test_an_answer_within_both_limits_is_read(hostile: str) -> None:
    result, _, _ = _fetch(f"{hostile}/drip/10/0", 64 * MiB, 60)
    assert result == "200: 22 bytes", result


def test_defaults_and_environment() -> None:
    assert env_max_bytes({}) == 64 * MiB
    assert env_deadline({}) == 60.0
    assert env_max_bytes({"AUDITOR_HTTP_MAX_BYTES": "1000"}) == 1000
    assert env_deadline({"AUDITOR_HTTP_DEADLINE": "2.5"}) == 2.5
    assert env_max_bytes({"AUDITOR_HTTP_MAX_BYTES": "lots"}) == 64 * MiB
    assert env_deadline({"AUDITOR_HTTP_DEADLINE": "-1"}) == 60.0


def test_a_bombed_registry_makes_the_component_unreachable_with_the_reason(
    hostile: str, tmp_path: Path, auditor: Any, validate: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: `auditor scan` of a requirements.txt against a bombed index."""
    monkeypatch.setenv("AUDITOR_PYPI_URL", f"{hostile}/bomb/256/0")
    monkeypatch.setenv("AUDITOR_HTTP_MAX_BYTES", str(4 * MiB))
    (tmp_path / "requirements.txt").write_text("requests==2.32.3\n")
    ran = auditor("scan", tmp_path / "requirements.txt", "--no-store", "-f", "json")
    doc = validate(ran.stdout)
    (component,) = doc["components"]
    assert component["origin"]["status"] == "unreachable"
    assert "AUDITOR_HTTP_MAX_BYTES" in component["origin"]["reason"]
