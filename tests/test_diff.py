"""auditor/diff.py and auditor/diff_render.py: what changed between two scans."""

from __future__ import annotations

import json
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st
from packageurl import PackageURL

from auditor.diff import Change, diff_scans, direction, identity
from auditor.diff_render import render_diff
from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    Finding,
    Origin,
    OriginStatus,
    Scan,
    ScanStatus,
    Severity,
    Strength,
)


def make(
    scan_id: str,
    versions: dict[str, Sequence[str]],
    origins: dict[str, dict[str, str]] | None = None,
    findings: Sequence[tuple[str, str, str]] = (),
) -> Scan:
    """A scan with these pypi components (name -> versions), origin claims (purl -> field ->
    value) and findings (rule, purl, message)."""
    comps = tuple(
        Component(f"pkg:pypi/{n}@{v}", ComponentKind.LIBRARY, n, v)
        for n, vs in versions.items()
        for v in vs
    )
    return Scan(
        id=scan_id,
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="0",
        targets=(),
        components=comps,
        origins=tuple(
            Origin(
                purl,
                OriginStatus.RESOLVED,
                **{k: Claim(v, Strength.REGISTRY) for k, v in claims.items()},  # type: ignore[arg-type]
            )
            for purl, claims in (origins or {}).items()
        ),
        findings=tuple(
            Finding(rule, Severity.HIGH, Action.WARN, purl, msg) for rule, purl, msg in findings
        ),
    )


def test_identity_drops_only_the_version() -> None:
    assert identity("pkg:pypi/requests@2.32.3") == "pkg:pypi/requests"
    assert identity("pkg:npm/%40scope/pkg@1.0.0?arch=x") == "pkg:npm/%40scope/pkg?arch=x"
    assert identity("pkg:npm/%40scope/pkg@1.0.0") != identity("pkg:npm/pkg@1.0.0")
    assert identity("not a purl@1") == "not a purl"


def test_direction_uses_pep440_order() -> None:
    assert direction("1.9", "1.10") is Change.UPGRADED
    assert direction("2.0", "2.0rc1") is Change.DOWNGRADED
    assert direction("1.0", "1.0.0") is Change.CHANGED
    assert direction("abc", "abd") is Change.CHANGED
    assert direction(None, "1") is Change.CHANGED


def test_added_removed_upgraded_downgraded() -> None:
    old = make("a", {"keep": ["1"], "up": ["1.9"], "down": ["3"], "gone": ["1"]})
    new = make("b", {"keep": ["1"], "up": ["1.10"], "down": ["2"], "fresh": ["0.1"]})
    d = diff_scans(old, new)
    assert [c.purl for c in d.added] == ["pkg:pypi/fresh@0.1"]
    assert [c.purl for c in d.removed] == ["pkg:pypi/gone@1"]
    assert {(c.name, c.old, c.new, c.change) for c in d.changed} == {
        ("up", "1.9", "1.10", Change.UPGRADED),
        ("down", "3", "2", Change.DOWNGRADED),
    }
    assert not d.origin_changes and not d.new_findings and not d.resolved_findings


def test_several_versions_of_one_name_are_added_and_removed() -> None:
    d = diff_scans(make("a", {"x": ["1", "2"]}), make("b", {"x": ["2", "3", "4"]}))
    assert [c.version for c in d.added] == ["3", "4"]
    assert [c.version for c in d.removed] == ["1"]
    assert not d.changed


def test_origin_changes_flag_takeovers_only_for_replaced_values() -> None:
    old = make(
        "a",
        {"lib": ["1"]},
        {"pkg:pypi/lib@1": {"publisher": "alice", "repository": "https://github.com/a/lib"}},
    )
    new = make(
        "b",
        {"lib": ["2"]},
        {"pkg:pypi/lib@2": {"publisher": "mallory", "country": "US"}},
    )
    changes = {
        (c.field, c.old, c.new, c.kind, c.takeover) for c in diff_scans(old, new).origin_changes
    }
    assert changes == {
        ("publisher", "alice", "mallory", "changed", True),
        ("repository", "https://github.com/a/lib", None, "no longer known", False),
        ("country", None, "US", "newly known", False),
    }
    assert [c.field for c in diff_scans(old, new).takeovers] == ["publisher"]


def test_findings_are_matched_by_rule_and_identity() -> None:
    old = make(
        "a",
        {"lib": ["1"], "other": ["1"]},
        findings=[("r.kept", "pkg:pypi/lib@1", "old words"), ("r.fixed", "pkg:pypi/other@1", "m")],
    )
    new = make(
        "b",
        {"lib": ["2"], "other": ["1"]},
        findings=[("r.kept", "pkg:pypi/lib@2", "new words"), ("r.new", "pkg:pypi/lib@2", "m")],
    )
    d = diff_scans(old, new)
    assert [f.rule for f in d.new_findings] == ["r.new"]
    assert [f.rule for f in d.resolved_findings] == ["r.fixed"]


def test_no_previous_scan_adds_everything() -> None:
    new = make("b", {"a": ["1"], "b": ["2"]}, findings=[("r", "pkg:pypi/a@1", "m")])
    d = diff_scans(None, new)
    assert d.old_id is None and len(d.added) == 2 and len(d.new_findings) == 1


def test_renderings() -> None:
    old = make("a", {"lib": ["1"]}, {"pkg:pypi/lib@1": {"publisher": "alice"}})
    new = make("b", {"lib": ["2"], "new_lib": ["1"]}, {"pkg:pypi/lib@2": {"publisher": "bob"}})
    d = diff_scans(old, new)
    doc = json.loads(render_diff(d, "json"))
    assert doc["from"] == "a" and doc["to"] == "b"
    assert doc["changed"][0]["change"] == "upgraded"
    assert doc["origin_changes"][0] | {} == {
        "identity": "pkg:pypi/lib",
        "purl": "pkg:pypi/lib@2",
        "field": "publisher",
        "old": "alice",
        "new": "bob",
        "kind": "changed",
        "takeover": True,
    }
    table = render_diff(d, "table")
    assert "TAKEOVER SIGNAL pkg:pypi/lib@2 publisher: alice -> bob" in table
    assert "lib 1 -> 2 (upgraded)" in table
    markdown = render_diff(d, "markdown")
    assert markdown.startswith("## Scan diff a -> b")
    assert "- pkg:pypi/new\\_lib@1" in markdown  # `_` escaped: no stray emphasis
    assert "no changes" in render_diff(diff_scans(old, old), "table")


VERSIONS = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]),
    st.lists(st.sampled_from(["1", "1.1", "2", "2.0.0", "x"]), min_size=1, max_size=3, unique=True),
)


@given(VERSIONS, VERSIONS)
def test_swapping_the_scans_mirrors_the_diff(
    a: dict[str, list[str]], b: dict[str, list[str]]
) -> None:
    forward, backward = (
        diff_scans(make("a", a), make("b", b)),
        diff_scans(make("b", b), make("a", a)),
    )
    assert {c.purl for c in forward.added} == {c.purl for c in backward.removed}
    assert {c.purl for c in forward.removed} == {c.purl for c in backward.added}
    mirror = {Change.UPGRADED: Change.DOWNGRADED, Change.DOWNGRADED: Change.UPGRADED}
    assert {(c.identity, c.old, c.new, c.change) for c in forward.changed} == {
        (c.identity, c.new, c.old, mirror.get(c.change, c.change)) for c in backward.changed
    }
    # Every purl is accounted for: unchanged, added/removed, or one side of a change.
    olds = {f"pkg:pypi/{n}@{v}" for n, vs in a.items() for v in vs}
    news = {f"pkg:pypi/{n}@{v}" for n, vs in b.items() for v in vs}
    assert olds - news == {c.purl for c in forward.removed} | {c.old_purl for c in forward.changed}
    assert news - olds == {c.purl for c in forward.added} | {c.new_purl for c in forward.changed}
    assert diff_scans(make("a", a), make("a", a)).empty


_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.~-", min_size=1, max_size=12)


@given(
    st.sampled_from(["pypi", "npm", "deb", "generic", "huggingface", "github", "maven", "oci"]),
    st.lists(_SEGMENT, min_size=1, max_size=3),
    st.none() | st.text(max_size=12).filter(lambda v: "?" not in v and "#" not in v),
)
def test_identity_shortcut_agrees_with_packageurl(
    kind: str, path: list[str], version: str | None
) -> None:
    purl = f"pkg:{kind}/{'/'.join(path)}" + (f"@{version}" if version is not None else "")
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return  # not a purl packageurl reads: the shortcut's answer is the plain cut
    expected = PackageURL(
        type=parsed.type,
        namespace=parsed.namespace,
        name=parsed.name,
        qualifiers=parsed.qualifiers,
        subpath=parsed.subpath,
    ).to_string()
    assert identity(purl) == expected
