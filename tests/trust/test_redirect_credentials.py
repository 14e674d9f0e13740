"""Credentials never follow a redirect to another origin (issue 28).

Two loopback servers on one machine: the first answers every request with a redirect, the
second records what arrived. `127.0.0.1` -> `localhost` changes the host name only; another
port on 127.0.0.1 changes the port only. Every credential the tool sends is tried, through
the code that builds it from the environment (`auditor.resolution._request_headers`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from auditor.http import Http, HttpSettings, origin
from auditor.resolution import _request_headers
from tests.servers import StateServer, running

FAST = HttpSettings(attempts=1, backoff=0.0, connect_timeout=2.0, read_timeout=5.0)
SECRETS = {
    "GITHUB_TOKEN": "ghp_githubsecret0123456789",
    "GITLAB_TOKEN": "glpat-gitlabsecret012345",
    "HF_TOKEN": "hf_hubsecret0123456789abcdef",
}


@dataclass
class State:
    redirect_to: str = ""
    status: int = 302
    seen: list[dict[str, str]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: StateServer[State]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        if state.redirect_to and self.path.startswith("/hop"):
            self.send_response(state.status)
            self.send_header("Location", state.redirect_to + "/landed")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        state.seen.append({k.lower(): v for k, v in self.headers.items()})
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def pair() -> Iterator[tuple[State, State, str, str]]:
    first, second = State(), State()
    with running(StateServer(_Handler, first), StateServer(_Handler, second)) as urls:
        yield first, second, urls[0], urls[1]


def _credentials(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    for name in ("GITHUB_TOKEN", "GITLAB_TOKEN", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return _request_headers({"huggingface", "npm", "pypi"})


def _leaked(seen: list[dict[str, str]]) -> list[str]:
    text = repr(seen)
    basic = base64.b64encode(b"user:basicsecret").decode()
    secrets = [*SECRETS.values(), "basicsecret", basic]
    return [s for s in secrets if s in text]


ROLES = ("github", "gitlab", "huggingface", "pypi-basic")


def _http(role: str, base: str, headers: dict[str, dict[str, str]]) -> Http:
    if role == "pypi-basic":  # credentials in a configured index URL, as pip allows
        base = base.replace("http://", "http://user:basicsecret@")
    return Http({role: base}, settings=FAST, headers=headers)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("change", ["host", "port"])
def test_no_credential_follows_a_redirect_to_another_origin(
    pair: tuple[State, State, str, str],
    monkeypatch: pytest.MonkeyPatch,
    role: str,
    status: int,
    change: str,
) -> None:
    first, second, url1, url2 = pair
    headers = _credentials(monkeypatch)
    assert {"github", "gitlab", "huggingface"} <= set(headers)  # every token is in play
    if change == "host":  # same port, other host name: the first server redirects to itself
        first.redirect_to = url1.replace("127.0.0.1", "localhost")
        target = first
    else:
        first.redirect_to = url2
        target = second
    first.status = status
    answer = _http(role, url1, headers).get(role, "/hop/x")
    assert answer.status == 200
    assert len(target.seen) == 1
    assert _leaked(target.seen) == []


@pytest.mark.parametrize("role", ROLES)
def test_credentials_still_reach_the_same_origin(
    pair: tuple[State, State, str, str], monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    """The control: a redirect within one origin keeps the credential (else the test above
    would pass for a tool that sent none at all)."""
    first, _, url1, _ = pair
    headers = _credentials(monkeypatch)
    first.redirect_to = url1
    _http(role, url1, headers).get(role, "/hop/x")
    assert len(_leaked(first.seen)) == 1


def test_probe_withholds_too(pair: tuple[State, State, str, str]) -> None:
    """`auditor doctor`'s probe goes through the same session."""
    first, _, url1, _ = pair
    first.redirect_to = url1.replace("127.0.0.1", "localhost")
    http = Http({"pypi": url1.replace("http://", "http://user:basicsecret@")}, settings=FAST)
    assert http.probe("pypi", "/hop")[0]
    assert _leaked(first.seen) == []


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://h.invalid/x", "https://H.invalid:443/y", True),
        ("http://h.invalid/x", "http://h.invalid:80/y", True),
        ("http://h.invalid/x", "https://h.invalid/x", False),
        ("https://h.invalid/x", "https://h.invalid:8443/x", False),
        ("https://h.invalid/x", "https://g.invalid/x", False),
        ("https://u:p@h.invalid/x", "https://h.invalid/x", True),
    ],
)
def test_origin(a: str, b: str, same: bool) -> None:
    assert (origin(a) == origin(b)) is same
