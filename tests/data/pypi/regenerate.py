"""Real PyPI answers for the resolver tests and the demo snapshot, trimmed, hosts rewritten.

Run with the project venv: `.venv/bin/python tests/data/pypi/regenerate.py`. The index is
pip's own default (read from pip, never spelled here). Trimming keeps the files small:
`releases` holds only the versions used and `description` is emptied; nothing else is
changed except registry hosts, rewritten to `.invalid` ones.

It writes tests/data/pypi/<project>.json, and examples/pypi-snapshot.jsonl: a real
`auditor cache export` after an online scan of examples/, which `make demo` imports to
scan offline.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import requests
from pip._internal.models.index import PyPI

HERE = Path(__file__).parent
REPO = HERE.parent.parent.parent
WANTED = {
    "requests": ["2.32.0", "2.32.3", "2.34.2"],  # 2.32.0 was yanked
    "click": ["8.1.7", "8.5.1"],
    "sampleproject": ["4.0.0"],
    # Its sdist carries real PEP 740 test material (tests/data/attestations/).
    "pypi-attestations": ["0.0.19", "0.0.20"],
}


def registry_hosts(doc: dict) -> set[str]:
    """The index host and every host its file URLs name (subdomains included later)."""
    hosts = {urlsplit(PyPI.url).hostname or ""}
    for files in doc.get("releases", {}).values():
        hosts |= {urlsplit(f["url"]).hostname or "" for f in files if "://" in f["url"]}
    return {h for h in hosts if h}


def rewrite(text: str, hosts: set[str]) -> str:
    for host in sorted(hosts, key=len, reverse=True):
        domain = ".".join(host.split(".")[-2:])
        text = re.sub(
            rf"https?://([a-z0-9.-]*\.)?{re.escape(domain)}",
            lambda m: "https://files.registry.invalid"
            if "files" in m.group(0) or m.group(1)
            else "https://registry.invalid",
            text,
        )
    return text


def trim(doc: dict, versions: list[str]) -> dict:
    """Only the releases named; no long description."""
    doc["info"]["description"] = ""
    if "releases" in doc:
        doc["releases"] = {v: doc["releases"][v] for v in versions if v in doc["releases"]}
        if doc["info"]["version"] not in versions:  # `urls` lists the newest release's files
            doc["urls"] = []
    return doc


def test_documents() -> None:
    base = PyPI.url.rstrip("/")
    for name, versions in WANTED.items():
        doc = trim(requests.get(f"{base}/pypi/{name}/json", timeout=30).json(), versions)
        text = rewrite(json.dumps(doc, indent=1, sort_keys=True), registry_hosts(doc))
        (HERE / f"{name}.json").write_text(text + "\n")


def example_snapshot() -> None:
    """Scan examples/ online, export the cache, trim and rewrite each answer."""
    auditor = Path(sys.executable).parent / "auditor"
    with tempfile.TemporaryDirectory() as tmp:
        db, raw = f"sqlite:///{tmp}/s.db", Path(tmp) / "raw.jsonl"
        scan = subprocess.run(
            [auditor, "scan", REPO / "examples", "-f", "json", "--db", db, "--pypi-url", PyPI.url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        locked: dict[str, list[str]] = {}
        for component in json.loads(scan.stdout)["components"]:
            locked.setdefault(component["name"].lower(), []).append(component["version"])
        subprocess.run([auditor, "cache", "export", raw, "--db", db], check=True)
        lines = raw.read_text().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        entry = json.loads(line)
        if entry["status"] == 200:
            doc = json.loads(entry["body"])
            doc = trim(doc, locked.get(doc["info"]["name"].lower(), []))
            entry["body"] = rewrite(json.dumps(doc, sort_keys=True), registry_hosts(doc))
        out.append(json.dumps(entry, ensure_ascii=False))
    (REPO / "examples" / "pypi-snapshot.jsonl").write_text("\n".join(out) + "\n")


def main() -> None:
    test_documents()
    example_snapshot()


if __name__ == "__main__":
    main()
