"""Issue 30: 5,000 source files scanned for models and hosted AI services together, against
the < 5 s budget and beside today's model-reference figure, in one run.

Two trees of 5,000 valid 200-line Python files (and the 50-file pair), the whole CLI
`auditor scan DIR --no-resolve --no-store --format json`, median of `--rounds` after a
warm-up:
- `models`: issue 5's tree (every file imports transformers; one in ten names two models);
- `models+services`: the same, and every file also imports openai, so neither reader skips a
  file before `ast`; one in ten also calls a hosted service (an OpenAI client pointed at
  DeepSeek, DashScope `Generation.call`, a LiteLLM model string or a LangChain class).
Counts are checked: every reference and every service call is found, nothing more.

    PYTHONPATH=. python bench/services_bench.py --markdown
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
_BLOCK = [
    "def helper_{k}(value):",
    '    """Helper {k}."""',
    "    total = 0",
    "    for i in range({k}):",
    "        total += value * i",
    "    if total > {k}:",
    '        logger.debug("total %s", total)',
    "    return total",
    "",
]
_REFS = [
    'model = AutoModel.from_pretrained("org-{i}/model-{i}")',
    'path = hf_hub_download(repo_id="org-{i}/weights", filename="m.bin")',
]
_SERVICES = [
    'client = OpenAI(base_url="https://{deepseek}")\n'
    'reply = client.chat.completions.create(model="deepseek-chat-{i}", messages=[])',
    'answer = dashscope.Generation.call(model="qwen-max-{i}", messages=[])',
    'out = litellm.completion(model="deepseek/deepseek-reasoner-{i}", messages=[])',
    'llm = ChatTongyi(model="qwen-plus-{i}")',
]


def _deepseek_host() -> str:
    """DeepSeek's endpoint host, from rules/data/ai-services.yaml (hosts live only there)."""
    from auditor.services.catalogue import catalogue

    provider = catalogue().by_id("deepseek")
    assert provider is not None
    return provider.hosts[0]


def make_tree(root: Path, files: int, services: bool, lines: int = 200) -> tuple[int, int]:
    """(model references, service calls) written."""
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(30)
    refs = calls = 0
    deepseek = _deepseek_host()
    for n in range(files):
        folder = root / f"pkg{n // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        body = [
            "import logging",
            "from transformers import AutoModel",
            "from huggingface_hub import hf_hub_download",
            "logger = logging.getLogger(__name__)",
        ]
        if services:
            body += [
                "import dashscope",
                "import litellm",
                "from openai import OpenAI",
                "from langchain_community.chat_models import ChatTongyi",
            ]
        if n % 10 == 0:
            for ref in _REFS:
                body.append(ref.format(i=n))
                refs += 1
        if services and n % 10 == 5:
            body.extend(rng.choice(_SERVICES).format(i=n, deepseek=deepseek).split("\n"))
            calls += 1
        while len(body) + len(_BLOCK) <= lines:
            body.extend(line.format(k=len(body)) for line in _BLOCK)
        body.extend(f"# padding {i}" for i in range(lines - len(body)))
        (folder / f"mod{n}.py").write_text("\n".join(body) + "\n")
    return refs, calls


def run(root: Path, rounds: int) -> tuple[float, float, int, int]:
    """Median wall and CPU seconds, and the references and services the JSON holds."""
    out = BENCH / "work" / "services.json"
    times: list[float] = []
    cpus: list[float] = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    refs = calls = 0
    for _ in range(rounds + 1):  # the first is a warm-up (page cache, .pyc)
        argv = [sys.executable, "-m", "auditor", "scan", str(root), "--no-resolve"]
        argv += ["--no-store", "--format", "json", "--output", str(out)]
        start = time.perf_counter()
        child = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        _, _, usage = os.wait4(child.pid, 0)
        times.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        doc = json.loads(out.read_text())
        refs = sum(len(c["locations"]) for c in doc["components"] if c["kind"] == "model")
        calls = sum(len(c["locations"]) for c in doc["components"] if c["kind"] == "service")
    tail = sorted(times[1:]), sorted(cpus[1:])
    return tail[0][len(tail[0]) // 2], tail[1][len(tail[1]) // 2], refs, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ok = True
    if args.markdown:
        print("| input | found (models / services) | wall | CPU (user+sys) | budget | verdict |")
        print("|---|---|---|---|---|---|")
    for files, budget in ((5000, 5.0), (50, 1.0)):
        for services in (False, True):
            name = "models+services" if services else "models"
            root = BENCH / "work" / f"services{files}-{name}"
            refs, calls = make_tree(root, files, services)
            wall, cpu, found_refs, found_calls = run(root, args.rounds)
            passed = wall < budget and (found_refs, found_calls) == (refs, calls)
            ok = ok and passed
            verdict = f"{'PASS' if passed else 'MISS'} ({wall / budget:.2f}x)"
            found = f"{found_refs}/{refs} / {found_calls}/{calls}"
            if args.markdown:
                print(f"| {files:,} files x 200 lines, {name} | {found} | {wall:.2f} s | "
                      f"{cpu:.2f} s | < {budget:.0f} s | {verdict} |")  # fmt: skip
            else:
                print(f"{files} {name}: {found}; {wall:.2f} s wall, {cpu:.2f} s CPU: {verdict}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
