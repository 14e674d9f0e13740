"""GitHub Actions: `uses:` at file and line, purls per the spec, job permissions as a fact."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from auditor.collectors import CollectContext
from auditor.collectors.github_actions import GitHubActionsCollector, action_purl
from auditor.config import Config
from auditor.model import Scan, Severity
from auditor.pipeline import run_scan
from auditor.sources.directory import DirectoryTree
from tests.conftest import write_files

DATA = Path(__file__).parent.parent / "data" / "ci"
PIN = "b4ffde65f46336ab88eb53be808477a3936bae11"

WORKFLOW = f"""\
name: ci
on: [push]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    container: node:20
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/setup
      - uses: $/.github/actions/setup
      - uses: github/codeql-action/init@v3
      - uses: actions/setup-node@{PIN}
  release:
    permissions:
      contents: write
    runs-on: ubuntu-latest
    steps:
      - uses: softprops/action-gh-release@v2
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: some-one/upload@v1
        with:
          token: ${{{{ secrets.UPLOAD_TOKEN }}}}
  reuse:
    uses: octo-org/example-repo/.github/workflows/reusable.yml@main
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker://alpine:3.19
"""
COMPOSITE = """\
name: setup
runs:
  using: composite
  steps:
    - uses: actions/setup-python@v5
"""


def _collect(root: Path) -> tuple[dict[str, tuple[str, int | None]], tuple[str, ...]]:
    got = GitHubActionsCollector().collect(DirectoryTree(str(root), root), CollectContext())
    where = {c.purl: (c.locations[0].path, c.locations[0].line) for c in got.components}
    return where, tuple(str(d) for d in got.diagnostics)


def _scan(tmp_path: Path) -> Scan:
    write_files(
        tmp_path,
        {".github/workflows/ci.yml": WORKFLOW, ".github/actions/setup/action.yml": COMPOSITE},
    )
    return run_scan([str(tmp_path)], replace(Config(store=False), offline=True))


def test_every_kind_of_uses_at_its_file_and_line(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {".github/workflows/ci.yml": WORKFLOW, ".github/actions/setup/action.yml": COMPOSITE},
    )
    where, diagnostics = _collect(tmp_path)
    ci = ".github/workflows/ci.yml"
    assert where["pkg:githubactions/actions/checkout@v4"] == (ci, 10)
    assert where["pkg:githubactions/github/codeql-action%2Finit@v3"] == (ci, 13)
    assert where[f"pkg:githubactions/actions/setup-node@{PIN}"] == (ci, 14)
    reusable = "pkg:githubactions/octo-org/example-repo%2F.github%2Fworkflows%2Freusable.yml@main"
    assert where[reusable] == (ci, 28)
    assert where["pkg:oci/alpine?repository_url=docker.io/library/alpine&tag=3.19"] == (ci, 32)
    assert where["pkg:oci/node?repository_url=docker.io/library/node&tag=20"] == (ci, 8)
    # the local action is followed to its action.yml, whose own uses are read there
    composite = ".github/actions/setup/action.yml"
    assert where["pkg:githubactions/actions/setup-python@v5"] == (composite, 5)
    assert not diagnostics


def test_a_missing_local_action_and_bad_yaml_are_diagnostics(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            ".github/workflows/a.yml": "jobs:\n  x:\n    steps:\n      - uses: ./nowhere\n",
            ".github/workflows/b.yml": "jobs: [\n",
            ".github/workflows/c.yml": "jobs:\n  x:\n    steps:\n      - uses: ${{ matrix.a }}\n",
            # a local reusable workflow is a file, not a folder with an action.yml
            ".github/workflows/d.yml": "jobs:\n  x:\n    uses: ./.github/workflows/c.yml\n",
        },
    )
    where, diagnostics = _collect(tmp_path)
    assert where == {}
    assert any(d.startswith(".github/workflows/a.yml:4: local action") for d in diagnostics)
    assert any(d.startswith(".github/workflows/b.yml: line 2: not valid YAML") for d in diagnostics)
    assert any(d.startswith(".github/workflows/c.yml:4: uses:") for d in diagnostics)
    assert not any(d.startswith(".github/workflows/d.yml") for d in diagnostics)


def test_an_alias_bomb_is_a_diagnostic_not_a_hang(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    write_files(tmp_path, {".github/workflows/bomb.yml": bomb})
    _, diagnostics = _collect(tmp_path)
    assert diagnostics and "too many" in diagnostics[0]


def test_job_permissions_rate_unpinned_actions(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    rated = {(f.rule, f.purl): f.severity for f in result.findings if f.rule.startswith("action.")}
    # read-only workflow token
    assert rated[("action.unpinned-readonly", "pkg:githubactions/actions/checkout@v4")] is (
        Severity.MEDIUM
    )
    # a job with write permissions; a job using a secret
    assert rated[("action.unpinned", "pkg:githubactions/softprops/action-gh-release@v2")] is (
        Severity.HIGH
    )
    assert rated[("action.unpinned", "pkg:githubactions/some-one/upload@v1")] is Severity.HIGH
    # a commit is pinned
    assert not [p for _, p in rated if p.endswith(PIN)]
    assert any(f.rule == "image.unpinned" and "alpine" in f.purl for f in result.findings)


def test_owners_are_attributed_through_the_knowledge_base(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    origins = result.origins_by_purl()
    checkout = origins["pkg:githubactions/actions/checkout@v4"]
    assert checkout.organisation is not None and checkout.organisation.value == "GitHub, Inc."
    assert checkout.country is not None and checkout.country.value == "US"
    assert any(e.field == "verified-creator" for e in checkout.evidence)
    stranger = origins["pkg:githubactions/some-one/upload@v1"]
    assert stranger.organisation is None and stranger.country is None


def test_real_workflows_read_without_noise() -> None:
    """flask and pip pin every action to a commit: no component is unpinned."""
    for repo in ("pallets+flask", "pypa+pip"):
        where, diagnostics = _collect(DATA / repo)
        assert len(where) >= 5 and not diagnostics
        assert all(
            purl.rpartition("@")[2].__len__() == 40 for purl in where if "githubactions" in purl
        )


@given(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,10}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True),
    st.one_of(
        st.none(), st.from_regex(r"[A-Za-z0-9_-]{1,8}(/[A-Za-z0-9_.-]{1,8}){0,2}", fullmatch=True)
    ),
    st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True),
)
def test_action_purls_follow_the_spec(owner: str, repo: str, path: str | None, ref: str) -> None:
    value = f"{owner}/{repo}/{path}@{ref}" if path else f"{owner}/{repo}@{ref}"
    parsed = action_purl(value)
    assert parsed is not None
    purl = parsed[0]
    assert purl.startswith(f"pkg:githubactions/{owner.lower()}/{repo.lower()}")
    assert purl.count("/") == 2  # the path is percent-encoded into the name
    assert purl.endswith(f"@{ref}")
