"""Fetch real PyPI JSON documents for the resolver tests, trimmed and with hosts rewritten.

Run with the project venv: `.venv/bin/python tests/data/pypi/regenerate.py`. The index is
pip's own default (read from pip, never spelled here). Trimming keeps the files small:
`releases` holds only the versions the tests use and `description` is emptied; nothing
else is changed except registry hosts, rewritten to `.invalid` ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import requests
from pip._internal.models.index import PyPI

HERE = Path(__file__).parent
WANTED = {
    "requests": ["2.32.0", "2.32.3", "2.34.2"],  # 2.32.0 was yanked
    "click": ["8.1.7", "8.5.1"],
    "sampleproject": ["4.0.0"],
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


def main() -> None:
    base = PyPI.url.rstrip("/")
    for name, versions in WANTED.items():
        doc = requests.get(f"{base}/pypi/{name}/json", timeout=30).json()
        doc["info"]["description"] = ""
        doc["releases"] = {v: doc["releases"][v] for v in versions}
        text = rewrite(json.dumps(doc, indent=1, sort_keys=True), registry_hosts(doc))
        (HERE / f"{name}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
