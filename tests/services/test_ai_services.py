"""Hosted AI services in code and configuration (issue 30): the corpus of documented usage,
negatives, secrets, and the scan's service components with their operators."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.collectors import COLLECTORS
from auditor.config import Config
from auditor.model import ComponentKind, OriginStatus, PublisherKind
from auditor.pipeline import run_scan
from auditor.render.json import JsonRenderer
from auditor.services import clean_endpoint, kind_of, services_in_text
from auditor.services.catalogue import catalogue, is_self_hosted
from auditor.services.js_services import tokens
from tests.conftest import write_files
from tests.services import filled, host

CORPUS = Path(__file__).parents[1] / "data" / "ai_services"
Use = tuple[str, int, str, str | None]


def _expected() -> set[Use]:
    raw = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    return {(path, *row) for path, rows in raw.items() for row in rows}


def _read(path: Path) -> str:
    """A corpus file with its `{host:…}` placeholders filled from the data file."""
    return filled(path.read_text(encoding="utf-8"))


def _found() -> set[Use]:
    found: set[Use] = set()
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path.name == "expected.yaml":
            continue
        rel = path.relative_to(CORPUS).as_posix()
        extracted = services_in_text(rel, _read(path))
        assert not extracted.diagnostics, extracted.diagnostics
        found |= {(u.path, u.line, u.provider, u.model) for u in extracted.uses}
    return found


def test_precision_and_recall_on_the_documented_corpus() -> None:
    expected, found = _expected(), _found()
    true = found & expected
    precision = len(true) / len(found)
    recall = len(true) / len(expected)
    print(
        f"ai-services corpus: {len(expected)} uses, precision {precision:.3f}, recall {recall:.3f}"
    )
    assert precision >= 0.95, sorted(found - expected)
    assert recall >= 0.9, sorted(expected - found)
    assert len(expected) >= 40  # per provider and per framework, not a handful


def test_negatives_name_nothing() -> None:
    """Comments, docstrings, strings, unrelated base_url settings, local classes named
    Client, tests, fixtures and hub model ids in configs are not services called."""
    for path in sorted((CORPUS / "neg").rglob("*")):
        if path.is_file():
            rel = path.relative_to(CORPUS).as_posix()
            assert services_in_text(rel, _read(path)).uses == (), rel


def test_test_code_and_fixtures_are_not_the_project_calling() -> None:
    from auditor.services import is_test_path

    tests = ("conftest.py", "a/conftest.py", "tests/x.py", "pkg/test_llm.py", "llm_test.py",
             "web/__tests__/a.ts", "web/a.spec.ts", "web/a.test.mjs", "fixtures/r.py")  # fmt: skip
    for path in tests:
        assert is_test_path(path), path
    for path in ("app/llm.py", "contest.py", "latest/app.py", "web/spectrum.ts"):
        assert not is_test_path(path), path


def test_secret_values_and_credentials_never_kept() -> None:
    deepseek = host("deepseek")
    env = (
        f"OPENAI_BASE_URL=https://alice:hunter2@{deepseek}/v1?api_key=sk-abc#frag\n"
        "DEEPSEEK_API_KEY=sk-live-0123456789\nOPENAI_API_KEY=sk-other\n"
    )
    uses = services_in_text(".env", env).uses
    text = repr(uses)
    for secret in ("hunter2", "alice", "sk-abc", "sk-live-0123456789", "sk-other", "frag"):
        assert secret not in text
    assert [(u.provider, u.endpoint) for u in uses] == [("deepseek", f"https://{deepseek}/v1")]
    assert clean_endpoint("https://u:p@[::1]:8443/v1/?x=1") == "https://[::1]:8443/v1"
    assert clean_endpoint("not a url") is None


def test_hosts_and_self_hosted_endpoints() -> None:
    data = catalogue()
    intl = host("dashscope", "intl")
    assert (found := data.by_host(intl)) is not None
    assert found.id == "dashscope" and found.region(intl) == "SG"
    assert data.by_host(host("azure-openai")).id == "azure-openai"  # type: ignore[union-attr]
    assert data.by_host(host("aws-bedrock")).id == "aws-bedrock"  # type: ignore[union-attr]
    assert data.by_host(host("deepseek") + ".example.invalid") is None
    for name in ("localhost", "127.0.0.1", "10.1.2.3", "192.168.0.5", "::1", "vllm", "gpu.local"):
        assert is_self_hosted(name), name
    for name in (host("deepseek"), "8.8.8.8", "llm.example.invalid"):
        assert not is_self_hosted(name), name
    lab = data.lab_of("anthropic.claude-3-haiku-20240307-v1:0")
    assert lab is not None and lab.lab == "anthropic"
    assert data.lab_of("deepseek/deepseek-chat").lab == "deepseek"  # type: ignore[union-attr]
    assert data.lab_of("ep-20240607092512-c5wnh") is None  # an Ark endpoint id names no lab


def test_every_provider_names_a_known_operator_with_a_source() -> None:
    from auditor.resolvers.publishers import load

    keys = {o.key for o in load().organisations}
    for provider in catalogue().providers:
        assert provider.operator in keys, provider.id
        assert provider.source.startswith("https://") and provider.checked
    for lab in catalogue().labs:
        assert lab.lab in keys and lab.source.startswith("https://"), lab.prefix


def test_the_registry_line_claims_every_file_read() -> None:
    line = next(c for c in COLLECTORS if c.name == "ai-services")
    paths = ("app/main.py", "web/a.ts", "web/b.mjs", ".env", "deploy/.env.production",
             "conf/prod.env", "compose.yaml", "k8s/d.yml", "s.toml", "agent.json")  # fmt: skip
    for path in paths:
        assert kind_of(path) is not None, path
        assert line.wants(path), path
    assert kind_of("package.json") is None and not line.wants("package.json")


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=400), st.sampled_from(["a.py", "a.ts", ".env", "a.yaml", "a.json", "a.toml"])
)
def test_any_text_is_read_without_raising(text: str, name: str) -> None:
    services_in_text(name, text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab/*'\"`\n{}()=.: \\$", max_size=200))
def test_js_tokens_keep_line_numbers(text: str) -> None:
    for token in tokens(text):
        assert 1 <= token.line <= text.count("\n") + 1


APP: dict[str, str | bytes] = {
    "app/llm.py": _read(CORPUS / "py" / "deepseek_openai.py"),
    "app/qwen.py": _read(CORPUS / "py" / "dashscope_native.py"),
    "app/local.py": _read(CORPUS / "py" / "llamaindex_dashscope.py"),
    ".env": filled("OPENAI_BASE_URL=https://{host:deepseek}\nOPENAI_API_KEY=sk-not-real\n"),
    "tests/test_llm.py": _read(CORPUS / "neg" / "tests" / "llm_client.py"),
}


def test_a_scan_resolves_operators_offline(
    tmp_path: Path, validate: Callable[[str], dict[str, Any]]
) -> None:
    write_files(tmp_path, APP)
    scan = run_scan([str(tmp_path)], replace(Config(store=False), offline=True))
    services = {c.purl: c for c in scan.components if c.kind is ComponentKind.SERVICE}
    assert set(services) == {
        "pkg:generic/ai-service/deepseek/deepseek-chat",
        "pkg:generic/ai-service/deepseek/deepseek-reasoner",
        "pkg:generic/ai-service/deepseek",
        "pkg:generic/ai-service/dashscope/qwen-max",
        "pkg:generic/ai-service/self-hosted/my-model",
    }
    chat = services["pkg:generic/ai-service/deepseek/deepseek-chat"]
    assert [(loc.path, loc.line) for loc in chat.locations] == [("app/llm.py", 8)]
    origins = scan.origins_by_purl()
    deepseek = origins["pkg:generic/ai-service/deepseek/deepseek-chat"]
    assert deepseek.status is OriginStatus.RESOLVED
    assert deepseek.organisation is not None and "DeepSeek" in deepseek.organisation.value
    assert deepseek.country is not None and deepseek.country.value == "CN"
    assert any(e.field == "model.lab" and "DeepSeek" in e.value for e in deepseek.evidence)
    qwen = origins["pkg:generic/ai-service/dashscope/qwen-max"]
    assert qwen.organisation is not None and qwen.organisation.value.startswith("Alibaba")
    # app/qwen.py names the Singapore endpoint; app/local.py's DashScope() reaches the SDK's
    # default host (Beijing, rules/data/ai-services.yaml `default_host`)
    assert {e.value for e in qwen.evidence if e.field == "endpoint_region"} == {"SG", "CN"}
    local = origins["pkg:generic/ai-service/self-hosted/my-model"]
    assert local.publisher_kind is PublisherKind.SELF_HOSTED and local.organisation is None
    # the JSON carries them, valid against the shipped schema, with no secret in it
    text = JsonRenderer().render(scan)
    doc = validate(text)
    kinds = {c["kind"] for c in doc["components"]}
    assert "service" in kinds and "sk-not-real" not in text
    # the operator's legal name is prose, not an `Authorization: Basic` token (urls.redact_text)
    assert "Artificial Intelligence Basic Technology Research" in text
    # the Markdown report's "AI services called" section, one row per service
    from auditor.render.markdown import MarkdownRenderer

    markdown = MarkdownRenderer().render(scan)
    section = markdown.split("## AI services called", 1)[1].split("<details>", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(services)  # the header, then a row each
    assert any("qwen-max" in r and "SG" in r and "app/qwen.py:12" in r for r in rows)
    assert any("| self-hosted | my-model |" in r and "app/local.py:7" in r for r in rows), rows
    assert json.loads(text)["components"]
    # the terminal table: a service has no version to pin ("-", not "(unpinned)"), and the
    # answer's sentence names each provider with its operator and country
    from auditor.render.answer import answer
    from auditor.render.table import TableRenderer

    table = TableRenderer(width=80).render(scan)
    row = next(line for line in table.splitlines() if line.startswith("deepseek/deepseek-chat "))
    assert row.split()[1:3] == ["-", "service"], row
    said = answer(scan).services
    assert said.startswith("The code calls 5 AI services of 3 providers: deepseek (3; Hangzhou")
    assert "dashscope (1; Alibaba Group Holding Limited, CN)" in said
    assert said.endswith("self-hosted (1, no outside operator).")
    from auditor.escape import markdown as md_escape

    assert md_escape(said) in markdown  # the Markdown report leads with the same sentence


def test_cyclonedx_lists_services_with_endpoints(tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from auditor.render.cyclonedx import CycloneDxRenderer

    write_files(tmp_path, APP)
    scan = run_scan([str(tmp_path)], replace(Config(store=False), offline=True))
    text = CycloneDxRenderer().render(scan)
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    assert errors is None, "\n".join(str(e) for e in list(errors)[:5])
    bom = json.loads(text)
    services = {s["bom-ref"]: s for s in bom["services"]}
    purls = {c.purl for c in scan.components if c.kind is ComponentKind.SERVICE}
    assert set(services) == purls
    assert not purls & {c.get("bom-ref") for c in bom.get("components", [])}
    qwen = services["pkg:generic/ai-service/dashscope/qwen-max"]
    assert qwen["endpoints"] == [f"https://{host('dashscope', 'intl')}/api/v1"]
    assert qwen["provider"]["name"].startswith("Alibaba") and qwen["x-trust-boundary"] is True
    props = {(p["name"], p["value"]) for p in qwen["properties"]}
    assert ("auditor:service:endpoint-region", "SG") in props
    assert ("auditor:service:called-at", "app/qwen.py:12") in props
    local = services["pkg:generic/ai-service/self-hosted/my-model"]
    assert local["x-trust-boundary"] is False and "provider" not in local
    # the described target depends on what it calls: every service is reachable
    top = next(
        d for d in bom["dependencies"] if d["ref"] == bom["metadata"]["component"]["bom-ref"]
    )
    assert purls <= set(top["dependsOn"])


def test_parsing_only_the_statements_that_matter_finds_what_the_whole_file_does() -> None:
    """python_services parses only the statements around hit lines (for speed); on every
    corpus file that must agree with reading the whole parsed file."""
    import ast

    from auditor.services.python_services import _Reader, python_services

    for path in sorted(CORPUS.rglob("*.py")):
        text = _read(path)
        whole = tuple(_Reader(path.name, ast.parse(text)).uses())
        assert python_services(path.name, text).uses == whole, path.name


def test_endpoint_hosts_are_named_only_in_the_data_file() -> None:
    """Every host (or host glob) of rules/data/ai-services.yaml appears nowhere else, the other
    rules files included: tests and the corpus write `{host:…}` placeholders
    (tests/services/__init__.py); code and docs name providers. Documentation pages cited as
    sources are other hosts."""
    import re

    root = Path(__file__).parents[2]
    patterns = {
        glob
        for p in catalogue().providers
        for glob in (*p.hosts, *(g for g, _ in p.regions), p.default_host or "")
        if glob
    }
    found = re.compile(
        "|".join(re.escape(g).replace(r"\*", "[a-z0-9-]+") for g in sorted(patterns)), re.I
    )
    places = [root / "README.md", root / "docs", root / "auditor", root / "tests", root / "bench"]
    # the other rules files (the publisher knowledge base, packs) recognise no endpoint host
    places += [p for p in (root / "rules").iterdir() if p.is_file()]
    files = [p for place in places for p in ([place] if place.is_file() else place.rglob("*"))]
    hits = []
    for path in files:
        # hidden folders are not the project's files: bench/.venv holds the peer tools
        # (bench/setup.sh), hundreds of MB a text scan must not read
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.is_file() and path.suffix not in {".png", ".db", ".pyc", ".gz", ".tar"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            hits += [f"{path.relative_to(root)}: {m.group()}" for m in found.finditer(text)]
    assert hits == []
