"""A hosted service's answer, the same in every view (issue 30).

DeepSeek's model served by a US operator (Together's OpenAI-compatible endpoint, Bedrock's
DeepSeek model id) traces to the operator (US) and, through its `model-lab` root, to DeepSeek
(CN); a local vLLM endpoint serving Qwen is `self-hosted`, a row of its own, and traces to
Alibaba through its lab. Scanned offline through the CLI, every view — JSON `roots`, `show`,
`why`, `origins`, the table summary, Markdown, HTML — and the `review_countries` finding agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.model import MODEL_LAB, SELF_HOSTED_ROW, Scan
from auditor.render.table import cell
from auditor.resolvers.publishers import load as load_publishers
from tests.conftest import Ran, write_files
from tests.services import filled
from tests.test_model_answer import _md, _report, _traces_to

Auditor = Callable[..., Ran]
TOGETHER = "pkg:generic/ai-service/together/deepseek-ai/DeepSeek-V3"
BEDROCK = "pkg:generic/ai-service/aws-bedrock/us.deepseek.r1-v1:0"
LOCAL = "pkg:generic/ai-service/self-hosted/Qwen/Qwen2.5-7B-Instruct"
APP = """\
import boto3
from openai import OpenAI

together = OpenAI(base_url="https://{host:together}/v1")
together.chat.completions.create(model="deepseek-ai/DeepSeek-V3", messages=[])

bedrock = boto3.client("bedrock-runtime", region_name="us-west-2")
bedrock.converse(modelId="us.deepseek.r1-v1:0", messages=[])

local = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")
local.chat.completions.create(model="Qwen/Qwen2.5-7B-Instruct", messages=[])
"""


def _org(key: str) -> tuple[str, str]:
    """(legal name, country) of a knowledge-base organisation: the names come from the data."""
    org = next(o for o in load_publishers().organisations if o.key == key)
    return org.name, org.country


def _ordered() -> dict[str, list[tuple[str, str]]]:
    """Each service's (organisation, country) answers, the operator first, then the lab."""
    deepseek = _org("deepseek")
    return {
        TOGETHER: [_org("together"), deepseek],
        BEDROCK: [_org("amazon"), deepseek],
        LOCAL: [(SELF_HOSTED_ROW, SELF_HOSTED_ROW), _org("alibaba")],
    }


def _expected() -> dict[str, set[tuple[str | None, str | None]]]:
    """The same answers as sets, as every view must give them."""
    return {purl: set(pairs) for purl, pairs in _ordered().items()}


def _scan(auditor: Auditor, tmp_path: Path) -> dict[str, Any]:
    write_files(tmp_path / "app", {"llm.py": filled(APP)})
    (tmp_path / "auditor.toml").write_text('review_countries = ["CN"]\n', encoding="utf-8")
    ran = auditor("scan", tmp_path / "app", "--offline", "--format", "json",
                  "--policy", tmp_path / "auditor.toml")  # fmt: skip
    assert ran.code == 0, ran.stderr
    doc: dict[str, Any] = json.loads(ran.stdout)
    return doc


def _self_hosted(pair: tuple[str | None, str | None], purl: str) -> tuple[str | None, str | None]:
    """The per-component views name no organisation for the self-hosted endpoint (the JSON
    root is null/null, `show` says `self-hosted`): the roll-ups' row stands for it."""
    return (SELF_HOSTED_ROW, SELF_HOSTED_ROW) if purl == LOCAL and pair[0] is None else pair


def test_a_us_operator_serving_a_cn_lab_model_gives_one_answer_in_every_view(
    auditor: Auditor, tmp_path: Path, validate: Callable[[str], dict[str, Any]]
) -> None:
    doc = _scan(auditor, tmp_path)
    validate(json.dumps(doc))
    expected = _expected()
    scan_id = doc["scan"]["id"]
    components = {c["purl"]: c for c in doc["components"]}
    assert set(expected) <= set(components)

    # JSON: the operator is the component's own root, the lab a `model-lab` root
    for purl, want in expected.items():
        roots = components[purl]["origin"]["roots"]
        got = {_self_hosted((r["organisation"], r["country"]), purl) for r in roots}
        assert got == want, purl
        [lab] = [r for r in roots if r["relation"] == MODEL_LAB]
        assert lab["purl"].startswith("pkg:generic/ai-lab/")
        assert lab["path"] == [purl, lab["purl"]]
        # the lab is `inferred` unless the knowledge base entry is verified (these are)
        assert lab["strength"] in ("declared", "inferred")
    assert components[LOCAL]["origin"]["publisher_kind"] == "self-hosted"

    # show and why: one `traces to` line per answer
    for purl, want in expected.items():
        for view in ("show", "why"):
            ran = auditor(view, scan_id, purl)
            assert ran.code == 0, ran.stderr
            got = {_self_hosted(p, purl) for p in _traces_to(ran.stdout)}
            if purl == LOCAL:
                assert "traces to: self-hosted (the target's own endpoint" in ran.stdout
                got.add((cell(SELF_HOSTED_ROW), SELF_HOSTED_ROW))
            shown = {(cell(o) if o else o, c) for o, c in want}  # long names are cut there
            assert got == shown, (view, purl, ran.stdout)

    # origins: each service is a member of its operator's group and of its lab's
    by: dict[str, dict[str, set[str | None]]] = {"organisation": {}, "country": {}}
    for facet, members in by.items():
        ran = auditor("origins", scan_id, "--by", facet, "--format", "json")
        assert ran.code == 0, ran.stderr
        for group in json.loads(ran.stdout)["groups"]:
            for member in group["components"]:
                members.setdefault(member["purl"], set()).add(group["value"])
    for purl, want in expected.items():
        assert by["organisation"][purl] == {o for o, _ in want}, purl
        assert by["country"][purl] == {c for _, c in want}, purl

    # the roll-ups: the table summary and the HTML chart count the same countries
    counts: dict[str, int] = {}
    for purl in components:
        for country in by["country"][purl]:
            counts[country or "unknown"] = counts.get(country or "unknown", 0) + 1
    assert counts == {"CN": 3, "US": 2, SELF_HOSTED_ROW: 1}  # no unknown: self-hosted is a row
    table = _report(auditor, scan_id, "table", tmp_path)
    line = next(x for x in table.splitlines() if x.strip().startswith("by country:"))
    assert dict(re.findall(r"([\w-]+) (\d+)", line)) == {k: str(v) for k, v in counts.items()}
    html = _report(auditor, scan_id, "html", tmp_path)
    chart = html[html.index('id="chart-country"') :]
    chart = chart[: chart.index("</figure>")]
    bars = re.findall(r'data-bar="([^"]+)" data-value="(\d+)"', chart)
    assert {label: int(n) for label, n in bars} == counts
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    assert data is not None
    rows = {r[10]: r for r in json.loads(data.group(1))["rows"]}
    for purl, pairs in _ordered().items():
        assert rows[purl][7] == ", ".join(o for o, _ in pairs), purl
        assert rows[purl][8] == ", ".join(c for _, c in pairs), purl

    # Markdown: the inventory's countries and the services section's lab
    markdown = _report(auditor, scan_id, "markdown", tmp_path)
    for purl, want in expected.items():
        name = components[purl]["name"]
        row = next(x for x in markdown.splitlines() if x.startswith(f"| {_md(name)} |"))
        assert set(row.strip("|").split("|")[-1].strip().split(", ")) == {c for _, c in want}
    section = markdown.split("## AI services called", 1)[1].split("\n## ", 1)[0]
    deepseek, _ = _org("deepseek")
    assert sum(_md(deepseek) in r for r in section.splitlines() if r.startswith("| ")) == 2

    # policy: review_countries trips through the model's lab, and says so
    findings = [f for f in doc["findings"] if f["rule"] == "origin.review-country"]
    tripped = {f["purl"]: f["message"] for f in findings}
    assert set(tripped) == set(expected)  # Qwen served locally: its lab, as its weights would
    for purl in (TOGETHER, BEDROCK):
        assert f"through the model's lab {deepseek} (CN)" in tripped[purl], tripped[purl]
    # the local endpoint's own origin is said as what it is, not as unknown
    assert "own origin self-hosted;" in tripped[LOCAL], tripped[LOCAL]


def test_the_portfolio_lineage_facet_counts_a_service_under_its_lab(tmp_path: Path) -> None:
    """`lineage-root-organisation` (auditor.portfolio.index): the models' roots, and a hosted
    service's model under its lab, never under the operator serving it."""
    from dataclasses import replace

    from auditor.config import Config
    from auditor.pipeline import run_scan
    from auditor.portfolio.index import LINEAGE, rollup_rows

    write_files(tmp_path / "app", {"llm.py": filled(APP)})
    scan: Scan = run_scan([str(tmp_path / "app")], replace(Config(store=False), offline=True))
    lineage = {r["value"]: r["components"] for r in rollup_rows(scan) if r["facet"] == LINEAGE}
    organisation = {
        r["value"]: r["components"] for r in rollup_rows(scan) if r["facet"] == "organisation"
    }
    assert lineage == {_org("deepseek")[0]: 2, _org("alibaba")[0]: 1}
    assert organisation[SELF_HOSTED_ROW] == 1 and organisation[_org("together")[0]] == 1


def test_an_endpoint_set_at_run_time_is_not_guessed(tmp_path: Path) -> None:
    """`OpenAI(base_url=settings.URL)` reaches some endpoint, not the library's default: the
    operator is unknown (no guess of OpenAI), the model's lab still known."""
    from dataclasses import replace

    from auditor.config import Config
    from auditor.model import OriginStatus
    from auditor.pipeline import run_scan

    corpus = Path(__file__).parents[1] / "data" / "ai_services" / "py" / "runtime_endpoint.py"
    write_files(tmp_path / "app", {"llm.py": corpus.read_text(encoding="utf-8")})
    scan = run_scan([str(tmp_path / "app")], replace(Config(store=False), offline=True))
    purl = "pkg:generic/ai-service/runtime-endpoint/deepseek-chat"
    [service] = [c for c in scan.components if c.purl == purl]
    assert {e.value for e in service.evidence if e.field == "endpoint"} == {"(set at run time)"}
    origin = scan.origins_by_purl()[purl]
    assert origin.status is OriginStatus.UNKNOWN and origin.organisation is None
    assert origin.reason is not None and "set at run time" in origin.reason
    assert [(r.relation, r.organisation) for r in origin.roots if r.relation == MODEL_LAB] == [
        (MODEL_LAB, _org("deepseek")[0])
    ]


def test_a_lab_the_knowledge_base_links_by_naming_only_is_inferred() -> None:
    """The model's lab is matched by the model name's prefix: `declared` only when the
    knowledge base entry is verified, `inferred` when its link rests on naming alone."""
    from dataclasses import replace

    from auditor.model import Strength
    from auditor.resolvers.ai_service import _lab_root

    kb = load_publishers()
    found = _lab_root(kb, "deepseek-chat")
    assert found is not None and found[0].strength is Strength.DECLARED  # verified entry
    unverified = replace(kb, organisations=tuple(
        replace(o, verified=False) if o.key == "deepseek" else o for o in kb.organisations
    ))  # fmt: skip
    found = _lab_root(unverified, "deepseek-chat")
    assert found is not None
    root, evidence = found
    assert root.strength is Strength.INFERRED and evidence.strength is Strength.INFERRED
    assert root.organisation == _org("deepseek")[0] and root.relation == MODEL_LAB
    assert _lab_root(kb, "no-such-model-family") is None
