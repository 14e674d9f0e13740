"""Rebuild the demo's models: `python -m tests.examples.models_demo` (from the repo root).

Writes `examples/models-app/hf-cache/` (a Hugging Face cache laid out by huggingface_hub's
`snapshot_download` from the loopback Hub in `tests/lineage_hub.py`: a re-packager's GGUF
quantisation, the instruct model it quantises, and an unvetted model) and
`examples/hub-snapshot.jsonl` (the Hub's answers for them, in the documented API shapes,
as `auditor cache export` writes them after an online scan), so that `make demo` shows the
quantisation traced to its root lab and country offline. Nothing here reaches the internet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.lineage_hub import INSTRUCT, QUANT, UNVETTED, download, populate
from tests.servers.hub import HubState, serve

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "examples" / "models-app" / "hf-cache"
SNAPSHOT = ROOT / "examples" / "hub-snapshot.jsonl"


def build() -> None:
    """Lay out the cache and export the Hub's answers (replacing both)."""
    shutil.rmtree(CACHE, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, HF_HOME=f"{tmp}/hf-home", AUDITOR_DB=f"sqlite:///{tmp}/a.db")
        os.environ["HF_HOME"] = env["HF_HOME"]
        state = HubState()
        for url in serve(state):
            populate(state, None)
            download(state, url, CACHE, (QUANT, INSTRUCT, UNVETTED))
            env["HF_ENDPOINT"] = url
            auditor = [sys.executable, "-m", "auditor"]
            subprocess.run([*auditor, "scan", str(CACHE), "--format", "json", "--output",
                            f"{tmp}/scan.json"], env=env, check=False)  # fmt: skip
            subprocess.run([*auditor, "cache", "export", str(SNAPSHOT)], env=env, check=True)
    for lock in CACHE.glob(".locks"):
        shutil.rmtree(lock)


if __name__ == "__main__":
    build()
