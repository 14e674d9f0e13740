"""`auditor history`, `diff`, `prune` and `scan --notify` through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from auditor.model import (
    Claim,
    Origin,
    OriginStatus,
    Scan,
    ScanStatus,
    Strength,
    Target,
    TargetKind,
)
from auditor.store import open_store
from tests.conftest import Ran
from tests.servers.webhook import WebhookState, serve

Auditor = Callable[..., Ran]


@pytest.fixture
def webhook() -> Iterator[tuple[WebhookState, str]]:
    """A loopback webhook receiver; yields (state, URL)."""
    state = WebhookState()
    yield from ((state, url) for url in serve(state))


def scan_json(auditor: Auditor, *args: str | Path) -> dict[str, object]:
    ran = auditor("scan", *args, "--no-resolve", "--format", "json")
    assert ran.code == 0, ran.stderr
    scan: dict[str, object] = json.loads(ran.stdout)["scan"]
    return scan


def test_history_and_diff_since_last(auditor: Auditor, tmp_path: Path) -> None:
    req = tmp_path / "app" / "requirements.txt"
    req.parent.mkdir()
    req.write_text("click==8.1.7\nsix==1.16.0\n")
    first = scan_json(auditor, req.parent)
    req.write_text("click==8.1.8\nidna==3.7\n")
    second = scan_json(auditor, req.parent)
    scan_json(auditor, tmp_path / "app" / "requirements.txt")  # another target: a lockfile

    listed = json.loads(auditor("history", "--target", req.parent, "--format", "json").stdout)
    assert [s["id"] for s in listed["scans"]] == [second["id"], first["id"]]
    identity = f"directory:{req.parent.resolve().as_posix()}"
    assert listed["scans"][0]["targets"] == [identity]
    assert listed["scans"][0]["component_count"] == 2
    # An identity is accepted as well as a path; without --target every scan is listed.
    by_identity = auditor("history", "--target", identity).stdout
    assert by_identity.splitlines()[0].startswith(str(second["id"]))
    assert len(auditor("history").stdout.splitlines()) == 3

    doc = json.loads(auditor("diff", "--since-last", req.parent, "-f", "json").stdout)
    assert doc["from"] == first["id"] and doc["to"] == second["id"]
    assert [c["purl"] for c in doc["added"]] == ["pkg:pypi/idna@3.7"]
    assert [c["purl"] for c in doc["removed"]] == ["pkg:pypi/six@1.16.0"]
    assert [(c["name"], c["old"], c["new"], c["change"]) for c in doc["changed"]] == [
        ("click", "8.1.7", "8.1.8", "upgraded")
    ]
    explicit = auditor("diff", str(first["id"]), str(second["id"]), "-f", "json").stdout
    assert json.loads(explicit) == doc
    table = auditor("diff", str(second["id"])[:8], str(first["id"])[:8]).stdout
    assert "click 8.1.8 -> 8.1.7 (downgraded)" in table
    markdown = auditor("diff", "--since-last", identity, "-f", "markdown").stdout
    assert "### Version changes" in markdown


def test_diff_usage_errors(auditor: Auditor, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("click==8.1.7\n")
    assert auditor("diff").code == 2
    assert auditor("diff", "a", "b", "--since-last", tmp_path).code == 2
    unknown = auditor("diff", "--since-last", tmp_path)
    assert unknown.code == 2 and "no stored scans" in unknown.stderr
    scan_json(auditor, tmp_path)
    once = auditor("diff", "--since-last", tmp_path)
    assert once.code == 2 and "only one stored scan" in once.stderr
    assert auditor("diff", "nope", "nope2").code == 2


def stored(db_url: str, scan_id: str, started: str, identity: str, publisher: str) -> Scan:
    """Save a synthetic one-component scan straight into the store (origin claims included)."""
    from auditor.model import Component, ComponentKind

    purl = "pkg:pypi/lib@1.0"
    scan = Scan(
        id=scan_id,
        started_at=started,
        finished_at=started,
        status=ScanStatus.COMPLETE,
        tool_version="0",
        targets=(Target(identity, TargetKind.DIRECTORY, identity, "sha256:0"),),
        components=(Component(purl, ComponentKind.LIBRARY, "lib", "1.0"),),
        origins=(
            Origin(purl, OriginStatus.RESOLVED, publisher=Claim(publisher, Strength.REGISTRY)),
        ),
    )
    with open_store(db_url) as store:
        store.save_scan(scan)
    return scan


def test_diff_flags_a_publisher_change_as_takeover(auditor: Auditor, db_url: str) -> None:
    stored(db_url, "scan-old", "2026-01-01T00:00:00Z", "directory:/srv/x", "alice")
    stored(db_url, "scan-new", "2026-01-02T00:00:00Z", "directory:/srv/x", "mallory")
    table = auditor("diff", "--since-last", "directory:/srv/x").stdout
    assert "TAKEOVER SIGNAL pkg:pypi/lib@1.0 publisher: alice -> mallory (changed)" in table


def test_prune_keep_last_and_older_than(auditor: Auditor, db_url: str) -> None:
    for i, day in enumerate(("2020-01-01", "2020-01-02", "2020-01-03")):
        stored(db_url, f"a{i}", f"{day}T00:00:00Z", "directory:/a", "p")
    stored(db_url, "b0", "2020-01-01T00:00:00Z", "directory:/b", "p")
    stored(db_url, "recent", "2999-01-01T00:00:00Z", "directory:/a", "p")

    dry = auditor("prune", "--keep-last", "2", "--dry-run")
    assert dry.code == 0
    assert [line.split()[2] for line in dry.stdout.splitlines()] == ["a1", "a0"]
    assert len(auditor("history").stdout.splitlines()) == 5  # nothing deleted

    assert auditor("prune", "--keep-last", "2").code == 0
    assert [line.split()[0] for line in auditor("history").stdout.splitlines()] == [
        "recent", "a2", "b0",
    ]  # fmt: skip
    gone = auditor("prune", "--older-than", "30d")
    assert [line.split()[1] for line in gone.stdout.splitlines()] == ["a2", "b0"]
    assert [line.split()[0] for line in auditor("history").stdout.splitlines()] == ["recent"]
    with open_store(db_url) as store:
        assert store.load_scan("recent").components[0].purl == "pkg:pypi/lib@1.0"


@pytest.mark.parametrize("args", [[], ["--older-than", "3 days"], ["--older-than", "5y"]])
def test_prune_usage_errors(auditor: Auditor, args: list[str]) -> None:
    ran = auditor("prune", *args)
    assert ran.code == 2 and "error:" in ran.stderr


def test_notify_posts_what_is_new_since_the_previous_scan(
    auditor: Auditor, tmp_path: Path, webhook: tuple[WebhookState, str]
) -> None:
    state, url = webhook
    req = tmp_path / "requirements.txt"
    req.write_text("click==8.1.7\n")
    first = scan_json(auditor, tmp_path, "--notify", url)
    req.write_text("click==8.1.8\nsix==1.16.0\n")
    second = scan_json(auditor, tmp_path, "--notify", url)
    scan_json(auditor, tmp_path, "--notify", url)  # unchanged: an empty notification

    one, two, three = state.received
    identity = f"directory:{tmp_path.resolve().as_posix()}"
    assert (one["scan"], one["previous"], one["target"]) == (first["id"], None, identity)
    assert [c["purl"] for c in one["added"]] == ["pkg:pypi/click@8.1.7"]
    assert two["previous"] == first["id"] and two["status"] == second["status"]
    assert [c["purl"] for c in two["added"]] == ["pkg:pypi/six@1.16.0"]
    assert [(c["old"], c["new"], c["change"]) for c in two["changed"]] == [
        ("8.1.7", "8.1.8", "upgraded")
    ]
    assert two["removed"] == two["origin_changes"] == two["new_findings"] == []
    assert three["previous"] == second["id"] and three["added"] == three["changed"] == []


def test_notify_slack_format(
    auditor: Auditor, tmp_path: Path, webhook: tuple[WebhookState, str]
) -> None:
    state, url = webhook
    (tmp_path / "requirements.txt").write_text("click==8.1.7\n")
    scan_json(auditor, tmp_path, "--notify", url, "--notify-format", "slack")
    (body,) = state.received
    assert set(body) == {"text", "blocks"} and "1 added" in body["text"]
    assert [b["type"] for b in body["blocks"]][:2] == ["header", "section"]
    added = [b["text"]["text"] for b in body["blocks"] if "*Added*" in b["text"]["text"]]
    assert added == ["*Added*\n• pkg:pypi/click@8.1.7"]


def test_notify_retries_on_500(
    auditor: Auditor, tmp_path: Path, webhook: tuple[WebhookState, str]
) -> None:
    state, url = webhook
    state.answers = [500, 503]
    state.retry_after = "0"
    (tmp_path / "requirements.txt").write_text("click==8.1.7\n")
    ran = auditor("scan", tmp_path, "--no-resolve", "--notify", url)
    assert ran.code == 0 and "warning" not in ran.stderr
    assert state.statuses == [500, 503, 200]
    assert state.received[0] == state.received[2]  # the same body each time


@pytest.mark.parametrize(("answers", "attempts"), [([500] * 9, 4), ([404], 1)])
def test_failed_notification_warns_and_keeps_the_scan(
    auditor: Auditor,
    tmp_path: Path,
    webhook: tuple[WebhookState, str],
    answers: list[int],
    attempts: int,
) -> None:
    state, url = webhook
    state.answers = list(answers)
    state.retry_after = "0"
    (tmp_path / "requirements.txt").write_text("click==8.1.7\n")
    secret_url = url.replace("http://", "http://user:token@")
    ran = auditor("scan", tmp_path, "--no-resolve", "--notify", secret_url, "-f", "json")
    assert ran.code == 0
    assert "warning:" in ran.stderr and "notification not delivered" in ran.stderr
    assert "token" not in ran.stderr
    assert len(state.received) == attempts
    scan_id = json.loads(ran.stdout)["scan"]["id"]
    assert auditor("history").stdout.startswith(scan_id)


def test_unreachable_webhook_warns_and_keeps_the_scan(auditor: Auditor, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("click==8.1.7\n")
    ran = auditor("scan", tmp_path, "--no-resolve", "--notify", "http://127.0.0.1:9/hook")
    assert ran.code == 0 and "notification not delivered: ConnectionError" in ran.stderr
    assert len(auditor("history").stdout.splitlines()) == 1


# --- history per target identity (auditor/target_history.py) --------------------------------


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
