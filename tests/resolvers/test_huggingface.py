"""Hub resolution against a loopback hub, with huggingface_hub laying out the caches it reads.

Cases from the issue: a quantisation by a re-packager of a fine-tune of a Chinese base; a
merge of two bases from different countries; a lineage cycle; a gated repo; a mirror serving
a different blob; a flagged file; and the failure matrix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import snapshot
from auditor.config import Config
from auditor.http import FetchError, HttpSettings, Response
from auditor.model import (
    Component,
    ComponentFile,
    ComponentKind,
    DependencyKind,
    Evidence,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Strength,
)
from auditor.render import renderer
from auditor.resolution import Resolved, resolve_components
from auditor.resolvers.hub_api import parse_repo
from auditor.resolvers.publishers import load as load_publishers
from auditor.store import Store, open_store
from tests.hub_cache import components_from_cache, hub_purl
from tests.servers.hub import HubState, Repo, git_blob_id, serve
from tests.servers.pypi import Fault

FAST = HttpSettings(backoff=0.01, connect_timeout=1, read_timeout=0.5, attempts=3)
# Organisations as the shipped publisher knowledge base (rules/publishers.yaml) names them.
QWEN_ORG = load_publishers().lookup("huggingface", "Qwen").name  # type: ignore[union-attr]


def sha(n: int) -> str:
    return hashlib.sha1(str(n).encode()).hexdigest()


CONFIG = {"config.json": b'{"model_type": "qwen2"}\n', "README.md": b"---\nlicense: x\n---\n"}


def _repo(repo_id: str, n: int, base: tuple[str, list[str]] | None = None, **kw: object) -> Repo:
    files = {**CONFIG, "model.safetensors": repo_id.encode() * 50}
    bases = {"relation": base[0], "models": [{"id": b} for b in base[1]]} if base else None
    return Repo(repo_id, sha(n), files, base_models=bases, **kw)  # type: ignore[arg-type]


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[HubState, str]]:
    state = HubState(token="hf_loopback_secret_token")
    state.add(_repo("Qwen/Qwen2.5-7B", 1, card={"license": "apache-2.0"}))
    state.add(
        _repo(
            "Qwen/Qwen2.5-7B-Instruct",
            2,
            ("finetune", ["Qwen/Qwen2.5-7B"]),
            card={"license": "apache-2.0", "base_model": "Qwen/Qwen2.5-7B"},
        )
    )
    state.add(
        _repo(
            "bartowski/Qwen2.5-7B-Instruct-GGUF",
            3,
            ("quantized", ["Qwen/Qwen2.5-7B-Instruct"]),
            card={"license": "apache-2.0", "base_model": "Qwen/Qwen2.5-7B-Instruct"},
        )
    )
    state.add(
        _repo(
            "mistralai/Mistral-7B-v0.1",
            4,
            card={"license": "apache-2.0"},
            created_at="2022-03-02T23:29:04.000Z",
        )
    )
    state.add(
        _repo(
            "merger/Qwstral-Merge", 5, ("merge", ["mistralai/Mistral-7B-v0.1", "Qwen/Qwen2.5-7B"])
        )
    )
    state.add(_repo("loop/A", 6, ("finetune", ["loop/B"])))
    state.add(_repo("loop/B", 7, ("finetune", ["loop/A"])))
    state.add(_repo("meta-llama/Llama-3.2-1B", 8, gated="manual", card={"license": "llama3.2"}))
    state.add(
        _repo(
            "evil/pickled",
            9,
            flagged=[
                {"path": "pytorch_model.bin", "level": "unsafe"},
                {"path": "build_pickles.py", "level": "caution"},
            ],
        )
    )
    state.add(_repo("someone/private", 10, private=True))
    state.add(
        _repo(
            "carded/declared-only",
            11,
            card={"base_model": "Qwen/Qwen2.5-7B", "base_model_relation": "adapter"},
        )
    )
    data = Repo("allenai/c4-mini", sha(12), {"data/train.parquet": b"rows" * 10}, kind="dataset")
    state.add(data)
    state.orgs["Qwen"] = {
        "avatarUrl": "",
        "name": "Qwen",
        "fullname": "Qwen",
        "isVerified": True,
        "numModels": 300,
    }
    for i in range(12):  # a chain deeper than the walk goes
        state.add(_repo(f"deep/m{i}", 100 + i, ("finetune", [f"deep/m{i + 1}"])))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no token file of the machine's
    monkeypatch.delenv("HF_TOKEN", raising=False)
    for url in serve(state):
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield state, url


def component(
    repo_id: str, revision: str, files: tuple[ComponentFile, ...] = (), kind: str = "model"
) -> Component:
    return Component(
        hub_purl(repo_id, revision, kind), ComponentKind.MODEL, repo_id, revision, files=files
    )


def files_of(repo: Repo) -> tuple[ComponentFile, ...]:
    """The files as a cache holding exactly the Hub's bytes reports them."""
    out = []
    for path, data in sorted(repo.files.items()):
        if repo.is_lfs(path):
            out.append(ComponentFile(path, len(data), sha256=hashlib.sha256(data).hexdigest()))
        else:
            out.append(ComponentFile(path, len(data), git_sha1=git_blob_id(data)))
    return tuple(out)


def resolve(*components: Component, store: Store | None = None, **config: object) -> Resolved:
    settings = replace(Config(http=FAST, store=False, concurrency=4), **config)  # type: ignore[arg-type]
    return resolve_components(components, settings, store.http_cache() if store else None)


def strip(roots: tuple[Root, ...]) -> tuple[Root, ...]:
    """Roots without their fetch time (the loopback answers now)."""
    return tuple(replace(r, retrieved_at=None) for r in roots)


def rules(resolved: Resolved) -> list[str]:
    return sorted(f.rule for f in resolved.findings)


def test_quantisation_by_a_repackager_traces_to_the_chinese_base(
    hub: tuple[HubState, str],
) -> None:
    state, _ = hub
    repo = state.repos["model:bartowski/qwen2.5-7b-instruct-gguf"]
    c = component(repo.id, repo.sha, files_of(repo))
    resolved = resolve(c)
    origin = resolved.origins[0]
    assert origin.status is OriginStatus.RESOLVED
    assert origin.publisher is not None
    assert (origin.publisher.value, origin.publisher.strength) == ("bartowski", Strength.REGISTRY)
    assert strip(origin.roots) == (
        Root("pkg:huggingface/Qwen/Qwen2.5-7B", "quantized", QWEN_ORG, "CN", Strength.REGISTRY),
    )
    # The root's account came from the Hub's answer: its age travels with it.
    assert origin.roots[0].retrieved_at is not None
    edges = {(d.source, d.target, d.kind) for d in resolved.dependencies}
    assert edges == {
        (c.purl, "pkg:huggingface/Qwen/Qwen2.5-7B-Instruct", DependencyKind.DERIVED_FROM),
        (
            "pkg:huggingface/Qwen/Qwen2.5-7B-Instruct",
            "pkg:huggingface/Qwen/Qwen2.5-7B",
            DependencyKind.DERIVED_FROM,
        ),
    }
    fields = {(e.field, e.value, e.strength) for e in origin.evidence}
    assert ("baseModels.relation", "quantized", Strength.REGISTRY) in fields
    assert ("lineage.root.cardData.license", "apache-2.0", Strength.DECLARED) in fields
    assert ("cardData.license", "apache-2.0", Strength.DECLARED) in fields
    assert not resolved.findings  # every local file matches the Hub
    # The revision is asked for with blobs and security status, exactly as HfApi does.
    assert f"/api/models/{repo.id}/revision/{repo.sha}?securityStatus=true&blobs=true" in (
        state.api_paths()
    )


def test_merge_lists_both_roots_with_their_countries(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:merger/qwstral-merge"]
    origin = resolve(component(repo.id, repo.sha)).origins[0]
    assert {(r.purl, r.relation, r.country) for r in origin.roots} == {
        ("pkg:huggingface/mistralai/Mistral-7B-v0.1", "merge", "FR"),
        ("pkg:huggingface/Qwen/Qwen2.5-7B", "merge", "CN"),
    }
    # createdAt at the Hub's floor means "unknown": not reported as a date.
    assert not any(e.field == "createdAt" for e in origin.evidence if "Mistral" in e.where)


def test_lineage_cycle_is_a_finding_not_a_hang(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:loop/a"]
    resolved = resolve(component(repo.id, repo.sha))
    assert rules(resolved) == ["hub.lineage-cycle"]
    assert "loop/a -> loop/b -> loop/a" in resolved.findings[0].message
    assert resolved.origins[0].roots == ()
    assert state.api_paths().count("/api/models/loop/B") == 1


def test_depth_bound_stops_the_walk(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:deep/m0"]
    resolved = resolve(component(repo.id, repo.sha))
    assert rules(resolved) == ["hub.lineage-incomplete"]
    assert "deeper than 8 hops" in resolved.findings[0].message
    assert len([p for p in state.api_paths() if p.startswith("/api/models/deep/m")]) == 9


def test_self_root_without_lineage(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:qwen/qwen2.5-7b"]
    resolved = resolve(component(repo.id, repo.sha))
    origin = resolved.origins[0]
    assert origin.roots == (Root(resolved.origins[0].purl, "self", QWEN_ORG, "CN"),)
    assert not resolved.dependencies
    fields = {(e.field, e.value) for e in origin.evidence}
    assert ("organization.fullname", "Qwen") in fields
    assert ("organization.isVerified", "true") in fields
    assert ("createdAt", "2024-09-16T11:55:40Z") in fields


def test_card_base_model_is_declared_when_the_hub_computed_none(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:carded/declared-only"]
    resolved = resolve(component(repo.id, repo.sha))
    origin = resolved.origins[0]
    assert strip(origin.roots) == (
        Root("pkg:huggingface/Qwen/Qwen2.5-7B", "adapter", QWEN_ORG, "CN", Strength.REGISTRY),
    )
    assert ("cardData.base_model", Strength.DECLARED) in {
        (e.field, e.strength) for e in origin.evidence
    }


def test_gated_repo_without_token_resolves_but_files_are_not_verifiable(
    hub: tuple[HubState, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, _ = hub
    repo = state.repos["model:meta-llama/llama-3.2-1b"]
    c = component(repo.id, repo.sha, files_of(repo))
    resolved = resolve(c)
    origin = resolved.origins[0]
    assert origin.status is OriginStatus.RESOLVED
    assert origin.publisher is not None and origin.publisher.value == "meta-llama"
    assert ("gated", "manual") in {(e.field, e.value) for e in origin.evidence}
    assert rules(resolved) == ["hub.unverifiable"]
    assert "HF_TOKEN" in resolved.findings[0].message
    assert all("authorization" not in h for _, _, h in state.log)

    monkeypatch.setenv("HF_TOKEN", "hf_loopback_secret_token")
    with_token = resolve(c)
    assert rules(with_token) == []  # verified: every file matches
    assert state.log[-1][2]["authorization"] == "Bearer hf_loopback_secret_token"


def test_token_never_reaches_the_store_or_the_evidence(
    hub: tuple[HubState, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    state, _ = hub
    monkeypatch.setenv("HF_TOKEN", "hf_loopback_secret_token")
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    repo = state.repos["model:meta-llama/llama-3.2-1b"]
    resolved = resolve(component(repo.id, repo.sha, files_of(repo)), store=store)
    store.close()
    assert b"hf_loopback_secret_token" not in (tmp_path / "store.db").read_bytes()
    assert "hf_loopback_secret_token" not in repr(resolved)


def test_private_and_missing_repos_are_unknown_with_the_reason(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    private = state.repos["model:someone/private"]
    resolved = resolve(
        component(private.id, private.sha),
        component("nobody/nothing", sha(999)),
        component("Qwen/Qwen2.5-7B", sha(998)),  # a revision the Hub does not have
    )
    statuses = [(o.status, o.reason) for o in resolved.origins]
    assert statuses[0][0] is statuses[1][0] is statuses[2][0] is OriginStatus.UNKNOWN
    assert "HTTP 401" in (statuses[0][1] or "") and "private" in (statuses[0][1] or "")
    assert "HTTP 404" in (statuses[2][1] or "") and sha(998) in (statuses[2][1] or "")


def test_flagged_files_become_findings(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:evil/pickled"]
    local = (*files_of(repo), ComponentFile("pytorch_model.bin", 10, sha256="0" * 64))
    resolved = resolve(component(repo.id, repo.sha, tuple(sorted(local, key=lambda f: f.path))))
    found = {f.rule: f for f in resolved.findings}
    assert found["hub.flagged-file"].severity.value == "high"
    assert "pytorch_model.bin as unsafe (present in the local copy)" in (
        found["hub.flagged-file"].message
    )
    assert "build_pickles.py as caution" in found["hub.caution-file"].message
    # A file the Hub does not list for this revision is a mismatch too.
    assert "pytorch_model.bin: not listed" in found["hub.hash-mismatch"].message


def test_dataset_is_resolved_through_the_dataset_route(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["dataset:allenai/c4-mini"]
    c = component(repo.id, repo.sha, files_of(repo), kind="dataset")
    resolved = resolve(c)
    assert resolved.origins[0].status is OriginStatus.RESOLVED
    assert resolved.origins[0].publisher is not None
    assert resolved.origins[0].publisher.value == "allenai"
    assert f"/api/datasets/{repo.id}/revision/{repo.sha}?blobs=true" in state.api_paths()
    assert not resolved.findings


def test_mirror_serving_a_different_blob_is_caught(
    hub: tuple[HubState, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real cache laid out by hf_hub_download from a mirror that served other bytes."""
    from huggingface_hub import hf_hub_download

    state, official = hub
    repo = state.repos["model:qwen/qwen2.5-7b-instruct"]
    mirror_state = HubState()
    tampered = replace(
        repo,
        served={
            "model.safetensors": b"backdoored weights" * 20,
            "config.json": b'{"model_type": "evil"}\n',
        },
    )
    mirror_state.add(tampered)
    cache = tmp_path / "hub-cache"
    for mirror in serve(mirror_state):
        for path in repo.files:
            hf_hub_download(repo.id, path, revision=repo.sha, cache_dir=cache, endpoint=mirror)
    (c,) = components_from_cache(cache)
    assert c.purl == hub_purl(repo.id, repo.sha)
    resolved = resolve(c)  # against the official hub (HF_ENDPOINT)
    (mismatch,) = [f for f in resolved.findings if f.rule == "hub.hash-mismatch"]
    assert mismatch.severity.value == "high"
    assert "2 of 3 local file(s)" in mismatch.message
    assert "model.safetensors: the hub lists sha256" in mismatch.message
    assert "config.json: the hub lists git-sha1" in mismatch.message
    del official


def test_missing_local_files_are_reported(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:qwen/qwen2.5-7b"]
    partial = tuple(f for f in files_of(repo) if f.path != "model.safetensors")
    resolved = resolve(component(repo.id, repo.sha, partial))
    assert rules(resolved) == ["hub.missing-file"]
    assert "model.safetensors" in resolved.findings[0].message


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault("500"), "HTTP 500 after 3 attempt(s)"),
        (Fault("429", retry_after="0"), "HTTP 429 after 3 attempt(s)"),
        (Fault("429", retry_after="3600"), "Retry-After 3600 s"),
        (Fault("hang", seconds=2), "timed out after 3 attempt(s)"),
        (Fault("malformed"), "malformed JSON response"),
        (Fault("badshape"), "malformed repo document"),
    ],
)
def test_failure_matrix_is_unreachable(
    hub: tuple[HubState, str], fault: Fault, reason: str
) -> None:
    state, _ = hub
    repo = state.repos["model:qwen/qwen2.5-7b"]
    state.faults["/api/models/Qwen/Qwen2.5-7B/revision"] = fault
    origin = resolve(component(repo.id, repo.sha)).origins[0]
    assert origin.status is OriginStatus.UNREACHABLE
    assert reason in (origin.reason or "")


def test_ancestor_failure_makes_the_component_unreachable(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:bartowski/qwen2.5-7b-instruct-gguf"]
    state.faults["/api/models/Qwen/Qwen2.5-7B-Instruct"] = Fault("503")
    origin = resolve(component(repo.id, repo.sha)).origins[0]
    assert origin.status is OriginStatus.UNREACHABLE
    assert "HTTP 503" in (origin.reason or "")


def test_cached_forever_offline_and_through_a_snapshot(
    hub: tuple[HubState, str], tmp_path: Path
) -> None:
    state, _ = hub
    repo = state.repos["model:bartowski/qwen2.5-7b-instruct-gguf"]
    c = component(repo.id, repo.sha, files_of(repo))
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    first = resolve(c, store=store)
    sent = len(state.log)
    again = resolve(c, store=store)  # the revision document is immutable: not asked again
    assert state.log[sent:] == []  # revisions kept forever, ancestors within their TTL
    assert again.origins == first.origins
    offline = resolve(c, store=store, offline=True)
    assert offline.origins[0].roots == first.origins[0].roots
    # Export, import elsewhere, resolve offline: the same verdict without the hub.
    out = tmp_path / "snap.jsonl"
    with out.open("w") as fh:
        snapshot.write(fh, store.http_cache().entries())
    store.close()
    other = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    with out.open() as fh:
        other.http_cache().put_many(snapshot.read(str(out), fh))
    sent = len(state.log)
    moved = resolve(c, store=other, offline=True)
    assert len(state.log) == sent
    assert moved.origins[0].roots == first.origins[0].roots
    assert moved.dependencies == first.dependencies
    other.close()


def test_offline_without_cache_is_skipped(hub: tuple[HubState, str], tmp_path: Path) -> None:
    state, _ = hub
    repo = state.repos["model:qwen/qwen2.5-7b"]
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    origin = resolve(component(repo.id, repo.sha), store=store, offline=True).origins[0]
    store.close()
    assert origin.status is OriginStatus.SKIPPED
    assert state.log == []


def test_hf_cache_verify_agrees_on_a_real_cache(hub: tuple[HubState, str], tmp_path: Path) -> None:
    """The loopback tree endpoint is what `hf cache verify` reads: it passes on good bytes."""
    from huggingface_hub import HfApi, hf_hub_download

    state, url = hub
    repo = state.repos["model:qwen/qwen2.5-7b"]
    cache = tmp_path / "hub-cache"
    for path in repo.files:
        hf_hub_download(repo.id, path, revision=repo.sha, cache_dir=cache, endpoint=url)
    result = HfApi(endpoint=url).verify_repo_checksums(
        repo_id=repo.id, revision=repo.sha, cache_dir=cache
    )
    assert not result.mismatches and result.checked_count == 3
    (c,) = components_from_cache(cache, hash_content=True)
    assert not resolve(c).findings


def _reply(body: bytes) -> Response:
    from datetime import UTC, datetime

    return Response("huggingface:/api/models/x", 200, body, datetime.now(UTC), False)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "id",
        "author",
        "sha",
        "siblings",
        "baseModels",
        "cardData",
        "gated",
        "createdAt",
        "lastModified",
        "securityRepoStatus",
        "private",
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(keys, json_values, max_size=8),
    st.sampled_from(["model", "dataset"]),
    st.booleans(),
)
def test_repo_parser_never_crashes(doc: dict[str, object], kind: str, named: bool) -> None:
    """Any JSON is either a repo or FetchError (the component goes `unreachable`)."""
    if named:
        doc["id"] = "org/name"
    try:
        repo = parse_repo(_reply(json.dumps(doc).encode()), kind)
    except FetchError as exc:
        assert exc.reason.startswith("malformed")
    else:
        assert repo.id == doc["id"]
        assert all(isinstance(b, str) for b in repo.base_models)


def test_lineage_scan_validates_and_survives_the_store(
    hub: tuple[HubState, str], tmp_path: Path, validate: Callable[[str], dict[str, Any]]
) -> None:
    """Roots and `derived_from` edges reach the JSON contract and come back from the store."""
    state, _ = hub
    repos = [state.repos["model:bartowski/qwen2.5-7b-instruct-gguf"],
             state.repos["model:merger/qwstral-merge"]]  # fmt: skip
    components = tuple(component(r.id, r.sha, files_of(r)) for r in repos)
    resolved = resolve(*components)
    scan = Scan(
        id="hub-scan", started_at="2026-11-28T15:00:00Z", finished_at="2026-11-28T15:00:01Z",
        status=ScanStatus.COMPLETE, tool_version="0", targets=(), components=components,
        origins=resolved.origins, dependencies=resolved.dependencies, findings=resolved.findings,
    )  # fmt: skip
    doc = validate(renderer("json").render(scan))
    kinds = {(d["from"], d["to"], d["kind"]) for d in doc["dependencies"]}
    assert (components[0].purl, "pkg:huggingface/Qwen/Qwen2.5-7B-Instruct", "derived_from") in kinds
    merge = next(c for c in doc["components"] if c["purl"] == components[1].purl)
    assert {r["country"] for r in merge["origin"]["roots"]} == {"FR", "CN"}
    store = open_store(f"sqlite:///{tmp_path / 'scan.db'}")
    store.save_scan(scan)
    loaded = store.load_scan("hub-scan")
    store.close()
    assert set(loaded.dependencies) == set(scan.dependencies)
    assert loaded.origins_by_purl()[components[1].purl].roots == resolved.origins[1].roots


def test_whole_cli_resolves_a_model_named_in_code(
    hub: tuple[HubState, str],
    tmp_path: Path,
    auditor: Callable[..., Any],
    validate: Callable[[str], dict[str, Any]],
) -> None:
    """`auditor scan` of code that loads a pinned quantisation: its origin, roots and lineage
    edges come back in the JSON report (huggingface purls from the model-reference collector)."""
    state, _ = hub
    repo = state.repos["model:bartowski/qwen2.5-7b-instruct-gguf"]
    app = tmp_path / "app"
    app.mkdir()
    (app / "load.py").write_text(
        "from transformers import AutoModelForCausalLM\n"
        f'model = AutoModelForCausalLM.from_pretrained("{repo.id}", revision="{repo.sha}")\n'
    )
    ran = auditor("scan", app, "--format", "json")
    doc = validate(ran.stdout)
    assert doc["scan"]["status"] == "complete", ran.stderr
    (model,) = [c for c in doc["components"] if c["purl"] == hub_purl(repo.id, repo.sha)]
    assert model["origin"]["status"] == "resolved"
    assert model["origin"]["publisher"] == {"value": "bartowski", "strength": "registry"}
    assert [(r["purl"], r["relation"], r["country"]) for r in model["origin"]["roots"]] == [
        ("pkg:huggingface/Qwen/Qwen2.5-7B", "quantized", "CN")
    ]
    edges = {(d["from"], d["to"], d["kind"]) for d in doc["dependencies"]}
    instruct, base = "pkg:huggingface/Qwen/Qwen2.5-7B-Instruct", "pkg:huggingface/Qwen/Qwen2.5-7B"
    assert {(model["purl"], instruct, "derived_from"), (instruct, base, "derived_from")} <= edges


def _declaring(c: Component, base: str) -> Component:
    """`c` as the cache collector reports it when its card declares `base`."""
    card = Evidence("model-card", "declared.base_model", base, "README.md:base_model",
                    Strength.DECLARED)  # fmt: skip
    return replace(c, evidence=(card,))


def test_the_hub_corrects_a_declared_base_and_says_so(hub: tuple[HubState, str]) -> None:
    state, _ = hub
    repo = state.repos["model:bartowski/qwen2.5-7b-instruct-gguf"]
    c = _declaring(component(repo.id, repo.sha), "mistralai/Mistral-7B-v0.1")
    origin = resolve(c).origins[0]
    assert [r.purl for r in origin.roots] == ["pkg:huggingface/Qwen/Qwen2.5-7B"]
    assert any("declare base mistralai/mistral-7b-v0.1; the hub computes" in x
               for x in origin.conflicts)  # fmt: skip


def test_offline_or_hub_down_the_declared_base_is_followed_as_inferred(
    hub: tuple[HubState, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, _ = hub
    repo = state.repos["model:bartowski/qwen2.5-7b-instruct-gguf"]
    c = _declaring(component(repo.id, repo.sha), "Qwen/Qwen2.5-7B-Instruct")
    offline = resolve(c, offline=True).origins[0]
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    down = resolve(c).origins[0]
    for origin, status in ((offline, OriginStatus.SKIPPED), (down, OriginStatus.UNREACHABLE)):
        assert origin.status is status
        assert origin.roots == (
            Root("pkg:huggingface/Qwen/Qwen2.5-7B-Instruct", "declared", QWEN_ORG, "CN",
                 Strength.INFERRED),
        )  # fmt: skip
        # The namespace alone, with no registry answer behind it, is never `registry`.
        assert origin.organisation is None or origin.organisation.strength is Strength.INFERRED
