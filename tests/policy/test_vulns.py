"""Vulnerabilities from a loopback OSV API: pip-audit's OsvService for PyPI, querybatch for
npm and Debian, cached in the store, offline from the cache and from snapshots."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pip_audit._service.osv import OsvService

from auditor import snapshot
from auditor.config import Config
from auditor.http import HttpSettings
from auditor.model import ComponentKind, Severity
from auditor.pipeline import run_scan
from auditor.policy.vulns import lookup, osv_base, query_of
from auditor.store import open_store
from tests.conftest import write_files
from tests.policy.helpers import TODAY, component
from tests.servers.osv import OsvState, load_records, serve
from tests.servers.pypi import PyPIState

FAST = HttpSettings(backoff=0.01, connect_timeout=1, read_timeout=2, attempts=2)
REQUESTS = component("pkg:pypi/requests@2.31.0")
CLICK = component("pkg:pypi/click@8.5.1")
LODASH = component("pkg:npm/lodash@4.17.20")
OPENSSL = component(
    "pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u1?arch=amd64&distro=debian-11",
    ComponentKind.OS_PACKAGE,
)
OPENSSL = type(OPENSSL)(OPENSSL.purl, OPENSSL.kind, "openssl", "1.1.1n-0+deb11u1")
MODEL = component("pkg:huggingface/acme/m@main", ComponentKind.MODEL)
ALL = (REQUESTS, CLICK, LODASH, OPENSSL, MODEL)


@pytest.fixture
def osv(monkeypatch: pytest.MonkeyPatch) -> Iterator[OsvState]:
    state = OsvState(records=load_records())
    for url in serve(state):
        monkeypatch.setenv("AUDITOR_OSV_URL", url)
        yield state


def test_endpoint_defaults_to_pip_audits_constant() -> None:
    assert osv_base({}) + "/v1/query" == OsvService.DEFAULT_OSV_URL
    assert osv_base({"AUDITOR_OSV_URL": "http://127.0.0.1:1/"}) == "http://127.0.0.1:1"


def test_ecosystems() -> None:
    assert query_of(REQUESTS) == ("PyPI", "requests", "2.31.0")
    assert query_of(component("pkg:npm/%40types/node@20.1.0")) == ("npm", "@types/node", "20.1.0")
    assert query_of(OPENSSL) == ("Debian:11", "openssl", "1.1.1n-0+deb11u1")
    alpine = component("pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=3.19.1")
    assert query_of(alpine) == ("Alpine:v3.19", "busybox", "1.36.1-r2")
    assert query_of(component("pkg:rpm/redhat/curl@7.61.1")) == ("Red Hat", "curl", "7.61.1")
    assert query_of(MODEL) is None


def test_every_ecosystem_through_the_real_query_shapes(osv: OsvState) -> None:
    findings, problems = lookup(ALL, Config(http=FAST), None)
    assert not problems
    by_purl = {f.purl: f for f in findings}
    assert set(by_purl) == {REQUESTS.purl, LODASH.purl, OPENSSL.purl}
    req = by_purl[REQUESTS.purl]
    assert req.rule == "vulnerability.osv" and "GHSA-9wx4-h78v-vm56" in req.message
    assert "CVE-2024-35195" in req.message and "2.32.0" in req.message
    assert by_purl[LODASH.purl].severity is Severity.HIGH  # database_specific.severity
    assert "4.17.21" in by_purl[LODASH.purl].message
    assert "DSA-5139-1" in by_purl[OPENSSL.purl].message
    methods = [(m, p) for m, p, _ in osv.log]
    assert ("POST", "/v1/query") in methods  # pip-audit's OsvService for PyPI
    assert methods.count(("POST", "/v1/querybatch")) == 1  # one batch for npm + Debian
    assert ("GET", "/v1/vulns/GHSA-35jh-r3h4-6jhm") in methods
    batch = next(body for m, p, body in osv.log if p == "/v1/querybatch")
    assert {q["package"]["ecosystem"] for q in batch["queries"]} == {"npm", "Debian:11"}


def test_cached_in_the_store_then_offline_and_from_a_snapshot(
    osv: OsvState, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    online, _ = lookup(ALL, Config(http=FAST), store.http_cache())
    sent = len(osv.log)
    osv.fail = True
    offline, problems = lookup(ALL, Config(http=FAST, offline=True), store.http_cache())
    assert offline == online and not problems and len(osv.log) == sent
    cached_again, problems = lookup(ALL, Config(http=FAST), store.http_cache())  # fresh: no request
    assert cached_again == online and len(osv.log) == sent
    out = io.StringIO()
    snapshot.write(out, store.http_cache().entries())
    store.close()
    other = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    other.http_cache().put_many(snapshot.read("snap", io.StringIO(out.getvalue())))
    from_snapshot, problems = lookup(ALL, Config(http=FAST, offline=True), other.http_cache())
    assert from_snapshot == online and not problems
    other.close()


def test_offline_without_cache_and_a_failing_service_are_diagnostics(osv: OsvState) -> None:
    findings, problems = lookup(ALL, Config(http=FAST, offline=True), None)
    assert not findings and len(problems) == 1 and "offline" in problems[0].message
    osv.fail = True
    findings, problems = lookup(ALL, Config(http=FAST), None)
    assert not findings
    text = " ".join(p.message for p in problems)
    assert "not checked" in text and "HTTP 500" in text


def test_enabled_by_configuration_in_a_real_scan(
    osv: OsvState, pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    from auditor.policy.engine import load_policy
    from auditor.policy.settings import load_settings

    _, base = pypi
    write_files(
        tmp_path / "app",
        {
            "requirements.txt": "requests==2.31.0\nclick==8.5.1\n",
            "auditor.toml": "vulnerabilities = true\n",
        },
    )
    policy = load_policy(load_settings(tmp_path / "app" / "auditor.toml", None))
    config = Config(pypi_url=base, http=FAST, store=False, today=TODAY, policy=policy)
    result = run_scan([str(tmp_path / "app")], config)
    hits = [f for f in result.findings if f.rule == "vulnerability.osv"]
    assert [f.purl for f in hits] == ["pkg:pypi/requests@2.31.0"]
    off = run_scan(
        [str(tmp_path / "app")], Config(pypi_url=base, http=FAST, store=False, today=TODAY)
    )
    assert not [f for f in off.findings if f.rule == "vulnerability.osv"]
