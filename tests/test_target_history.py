"""History per target identity: a scan of several targets does not pollute the history of
each one (`diff --since-last`, `--notify`, `origin.changed`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Location,
    Origin,
    OriginStatus,
    Scan,
    ScanStatus,
    Strength,
    Target,
    TargetKind,
)
from auditor.target_history import for_target, previous_scan
from tests.conftest import Ran
from tests.servers.webhook import WebhookState, serve

Auditor = Callable[..., Ran]


@pytest.fixture
def webhook() -> Iterator[tuple[WebhookState, str]]:
    state = WebhookState()
    yield from ((state, url) for url in serve(state))


def _projects(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, text in ((a, "click==8.1.7\n"), (b, "six==1.16.0\nidna==3.7\n")):
        folder.mkdir()
        (folder / "requirements.txt").write_text(text)
    return a, b


def _scan(auditor: Auditor, *args: str | Path) -> str:
    ran = auditor("scan", "--no-resolve", *args, "--format", "json")
    assert ran.code == 0, ran.stderr
    return str(json.loads(ran.stdout)["scan"]["id"])


def test_diff_since_last_of_one_target_ignores_the_others(auditor: Auditor, tmp_path: Path) -> None:
    a, b = _projects(tmp_path)
    _scan(auditor, a, b)  # both at once
    (a / "requirements.txt").write_text("click==8.1.8\n")
    _scan(auditor, a)  # then only a
    ran = auditor("diff", "--since-last", a, "--format", "json")
    assert ran.code == 0, ran.stderr
    diff = json.loads(ran.stdout)
    # six and idna belong to b: not "removed" from a
    assert diff["added"] == diff["removed"] == []
    assert [(c["old"], c["new"]) for c in diff["changed"]] == [("8.1.7", "8.1.8")]
    # b's own history has one scan, the shared one
    ran = auditor("diff", "--since-last", b)
    assert ran.code == 2 and "only one stored scan" in ran.stderr


def test_notify_compares_each_target_with_its_own_last_scan(
    auditor: Auditor, tmp_path: Path, webhook: tuple[WebhookState, str]
) -> None:
    state, url = webhook
    a, b = _projects(tmp_path)
    _scan(auditor, a, "--notify", url)
    _scan(auditor, b, "--notify", url)
    (b / "requirements.txt").write_text("six==1.16.0\nidna==3.8\n")
    _scan(auditor, a, b, "--notify", url)  # a unchanged, b upgraded idna
    _scan(auditor, b, "--notify", url)  # unchanged since the shared scan
    _, first_b, both, only_b = state.received
    assert [c["purl"] for c in first_b["added"]] == ["pkg:pypi/idna@3.7", "pkg:pypi/six@1.16.0"]
    assert both["added"] == both["removed"] == []
    assert [(c["name"], c["old"], c["new"]) for c in both["changed"]] == [("idna", "3.7", "3.8")]
    # before: the shared scan's click (a's) would be "removed" from b
    assert only_b["added"] == only_b["removed"] == only_b["changed"] == []


def _component(purl: str, ref: str) -> Component:
    name = purl.split("/")[-1].split("@")[0]
    return Component(purl, ComponentKind.LIBRARY, name, "1", locations=(Location(ref, "r.txt"),))


def _origin(purl: str, publisher: str) -> Origin:
    return Origin(purl, OriginStatus.RESOLVED, publisher=Claim(publisher, Strength.REGISTRY))


def _stored(scan_id: str, refs: tuple[str, ...], found: dict[str, str]) -> Scan:
    """A scan of targets `refs` finding `found` (purl -> the ref it was found in)."""
    return Scan(
        id=scan_id,
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="test",
        targets=tuple(Target(r, TargetKind.DIRECTORY, f"directory:/{r}", "sha256:0") for r in refs),
        components=tuple(_component(p, ref) for p, ref in found.items()),
        origins=tuple(_origin(p, "someone") for p in found),
    )


def test_previous_scan_unites_each_targets_own_last_scan() -> None:
    both = _stored("s1", ("a", "b"), {"pkg:pypi/x@1": "a", "pkg:pypi/y@1": "b"})
    only_b = _stored("s2", ("b",), {"pkg:pypi/z@1": "b"})
    latest = {"directory:/a": both, "directory:/b": only_b}
    previous = previous_scan(both.targets, latest.get)
    assert previous is not None
    # a's part of the shared scan, and b's own newer scan: never y, which b no longer has
    assert [c.purl for c in previous.components] == ["pkg:pypi/x@1", "pkg:pypi/z@1"]
    assert [o.purl for o in previous.origins] == ["pkg:pypi/x@1", "pkg:pypi/z@1"]
    assert previous_scan(both.targets, {}.get) is None
    narrowed = for_target(both, "directory:/b")
    assert narrowed is not None and [c.purl for c in narrowed.components] == ["pkg:pypi/y@1"]
    assert for_target(both, "directory:/elsewhere") is None
