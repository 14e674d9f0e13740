"""Issue 36: peak memory of resolving 1,000 PyPI packages through the project-document route.

Real project documents of a few large projects (`--record` fetches them from the index the
user's pip configuration names, rewrites the index's own hosts to `.invalid`, and keeps them
gzipped in bench/inputs/projectdocs/) are served from loopback, replicated under generated
names, by an index without the per-release route (a mirror that answers it 404, so every
component falls back to the whole project document) and with the JSON Simple API (whose
project page lists every file of every release). A requirements.txt pins 1,000 of those
names. Whole CLI, peak RSS from wait4 and wall time:

  cold     fresh store: every document fetched        -> peak RSS <= 150 MB
  warm     same store, online, every answer fresh     -> kilobytes per package read
  offline  same store, --offline

`--auditor PATH` runs another build (say the code before issue 36) for comparison.
Usage: python bench/memory_bench.py [--record] [--rounds 3] [--auditor PATH] [--markdown]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_tools import child_env  # noqa: E402

from tests.servers.pypi import PyPIState, simple_document  # noqa: E402

DOCS = REPO / "bench" / "inputs" / "projectdocs"
PROJECTS = ("torch", "tensorflow", "botocore")
"""Large real project documents: many releases, many files per release."""
COMPONENTS = 1000
LIMIT_MB = 150.0
AUDITOR = REPO / ".venv" / "bin" / "auditor"


def record() -> None:
    """Fetch PROJECTS' documents from the configured index (fair use: three requests)."""
    import requests

    from auditor import endpoints

    base = endpoints.pypi(None, os.environ).url.rstrip("/")
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in PROJECTS:
        reply = requests.get(f"{base}/pypi/{name}/json", timeout=60)
        reply.raise_for_status()
        body = reply.content
        # The index's own hosts (its API and its file host) become `.invalid`.
        hosts = {urlsplit(base).netloc.encode()}
        hosts |= {
            urlsplit(f["url"]).netloc.encode()
            for files in reply.json()["releases"].values()
            for f in files
        }
        api = urlsplit(base).netloc.encode()
        for host in sorted(filter(None, hosts), key=len, reverse=True):
            neutral = b"registry.invalid" if host == api else b"files.registry.invalid"
            body = body.replace(b"//" + host, b"//" + neutral)
        (DOCS / f"{name}.json.gz").write_bytes(gzip.compress(body, 9, mtime=0))
        print(f"recorded {name}: {len(reply.content)} bytes", file=sys.stderr)


def templates() -> list[tuple[dict[str, Any], str]]:
    """(project document, a release of it that has files) for each recorded project."""
    made = []
    for name in PROJECTS:
        doc = json.loads(gzip.decompress((DOCS / f"{name}.json.gz").read_bytes()))
        version = doc["info"]["version"]
        if not doc["releases"].get(version):
            version = next(v for v, files in reversed(doc["releases"].items()) if files)
        made.append((doc, version))
    return made


class _Index(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, tuple[bytes, bytes]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages = pages
        """Generated name -> (project document, Simple page), pre-encoded: the index must
        not be what the benchmark measures."""
        self.served = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: _Index
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.served += 1
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        found = self.server.pages.get(parts[1]) if len(parts) > 1 else None
        if found is not None and parts[0] == "pypi" and len(parts) == 3:
            return self._send(200, found[0], "application/json")
        simple = "application/vnd.pypi.simple.v1+json"
        if found is not None and parts[0] == "simple" and len(parts) == 2:  # noqa: SIM102
            if simple in self.headers.get("Accept", ""):
                return self._send(200, found[1], simple)
        # The per-release route, like a mirror that lacks it, and anything else.
        self._send(404, b'{"message": "Not Found"}', "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", f'"{hash(body) & 0xFFFFFFFF:x}"')
        self.end_headers()
        self.wfile.write(body)


def serve() -> tuple[_Index, str, Path]:
    """The index with COMPONENTS generated projects, and a requirements.txt pinning them."""
    made = templates()
    encoded = []
    for doc, _ in made:
        simple = simple_document(PyPIState(), doc, "http://127.0.0.1")
        encoded.append((json.dumps(doc).encode(), json.dumps(simple).encode()))
    pages: dict[str, tuple[bytes, bytes]] = {}
    pins = []
    for i in range(COMPONENTS):
        which = i % len(made)
        name = f"{PROJECTS[which]}-bench-{i:04d}"
        pages[name] = encoded[which]
        pins.append(f"{name}=={made[which][1]}")
    index = _Index(pages)
    threading.Thread(target=index.serve_forever, daemon=True).start()
    folder = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    (folder / "requirements.txt").write_text("\n".join(pins) + "\n")
    return index, f"http://127.0.0.1:{index.server_address[1]}", folder


def run(auditor: Path, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one whole-CLI run (wait4: that child alone)."""
    started = time.perf_counter()
    child = subprocess.Popen([str(auditor), *args], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)  # fmt: skip
    _, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - started
    err = child.stderr.read().decode() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{auditor} {' '.join(args)} failed:\n{err[-2000:]}")
    return took, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--auditor", type=Path, action="append")
    parser.add_argument("--markdown", action="store_true")
    opts = parser.parse_args()
    if opts.record:
        record()
    auditors = opts.auditor or [AUDITOR]
    index, base, folder = serve()
    sizes = {p: (DOCS / f"{p}.json.gz").stat().st_size for p in PROJECTS}
    whole = {p: len(gzip.decompress((DOCS / f"{p}.json.gz").read_bytes())) for p in PROJECTS}
    env = child_env({})
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    target = str(folder / "requirements.txt")
    common = ["scan", target, "--format", "json", "--pypi-url", base, "--concurrency", "16"]
    load = os.getloadavg()
    for _ in range(opts.rounds):
        for auditor in auditors:  # rotated: each round starts with the next build
            with tempfile.TemporaryDirectory() as tmp:
                db = f"sqlite:///{tmp}/store.db"
                for kind, extra in (("cold", []), ("warm", []), ("offline", ["--offline"])):
                    results.setdefault((str(auditor), kind), []).append(
                        run(auditor, [*common, *extra, "--db", db], env)
                    )
                kept = _cache_bytes(Path(tmp) / "store.db")
            results.setdefault((str(auditor), "cache"), []).append((kept, 0.0))
        auditors = auditors[1:] + auditors[:1]
    index.shutdown()
    lines = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, at end "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg()),
        "- documents: "
        + ", ".join(f"{p} {whole[p] / 1e6:.1f} MB ({sizes[p] / 1e3:.0f} kB gz)" for p in PROJECTS)
        + f"; {COMPONENTS} components, {opts.rounds} rounds, medians",
        "",
        "| build | run | wall s | peak RSS MiB | verdict |",
        "|---|---|---|---|---|",
    ]
    for (auditor, kind), values in results.items():
        if kind == "cache":
            continue
        wall = statistics.median(v[0] for v in values)
        rss = statistics.median(v[1] for v in values)
        verdict = ("PASS" if rss <= LIMIT_MB else "MISS") + f" (<= {LIMIT_MB:.0f} MB)"
        lines.append(f"| {auditor} | {kind} | {wall:.2f} | {rss:.1f} | {verdict} |")
    for (auditor, kind), values in results.items():
        if kind == "cache":
            per = statistics.median(v[0] for v in values) / COMPONENTS / 1024
            lines.append(
                f"\n- {auditor}: the store's registry cache holds {per:.1f} kB per package"
            )
    print("\n".join(lines))


def _cache_bytes(db: Path) -> float:
    import sqlite3

    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT COALESCE(SUM(LENGTH(body)), 0) FROM http_cache").fetchone()
    return float(row[0])


if __name__ == "__main__":
    main()
