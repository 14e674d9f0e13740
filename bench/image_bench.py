"""Issue 6: scanning a ~1 GB container image, against trivy and syft in the same run.

Generates (once, cached in bench/work/image/) a docker-save archive of 5 gzip layers:
a Debian-like base with a dpkg status of 400 packages, 150 system dist-packages, a venv
with 150 more, binary filler (half random, half repetitive, so gzip halves it as it does
real binaries), a whiteout and a dpkg status rewritten by a later layer. Then times
`auditor scan`, `trivy image --input` and `syft scan docker-archive:` on it (rotated
order, median of N), records peak RSS (wait4), and compares the pypi and deb components
each tool reports.

    .venv/bin/python bench/image_bench.py [--rounds 3] [--markdown]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import random
import statistics
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zlib_ng.zlib_ng as zng
from bench_tools import DEFAULT_AUDITOR, WORK, child_env, find_syft, find_trivy

IMAGE = WORK / "image" / "image.tar"
FILLER_PER_LAYER = 200 << 20
DEB_COUNT, SYSTEM_DISTS, VENV_DISTS = 400, 150, 150
DEB_EARLY = 360
"""The base layer installs this many packages; a later layer rewrites the status with all."""


# --- generating the image ----------------------------------------------------------------


class Layer:
    """An uncompressed layer tar being written in memory-bounded pieces to a gzip file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw = hashlib.sha256()
        self.gz = hashlib.sha256()
        self.out = path.open("wb")
        self.z = zng.compressobj(1, zng.DEFLATED, 31)
        self.written = 0
        self.tar = tarfile.open(fileobj=self, mode="w", format=tarfile.PAX_FORMAT)  # type: ignore[call-overload]  # noqa: SIM115

    def tell(self) -> int:
        return self.written

    def write(self, data: bytes) -> int:
        self.written += len(data)
        self.raw.update(data)
        packed = self.z.compress(data)
        self.gz.update(packed)
        self.out.write(packed)
        return len(data)

    def add(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
        self.tar.addfile(info, io.BytesIO(data))

    def filler(self, prefix: str, total: int, seed: int) -> None:
        rng = random.Random(seed)
        size = 8 << 20
        for i in range(total // size):
            half = rng.randbytes(size // 2)
            self.add(f"{prefix}/blob{i:03d}.bin", half + bytes(range(256)) * (size // 512))

    def close(self) -> tuple[str, str]:
        self.tar.close()
        tail = self.z.flush()
        self.gz.update(tail)
        self.out.write(tail)
        self.out.close()
        return "sha256:" + self.raw.hexdigest(), "sha256:" + self.gz.hexdigest()


def deb_status(count: int) -> bytes:
    stanzas = [
        (
            f"Package: libbench{i:03d}\nStatus: install ok installed\nPriority: optional\n"
            f"Section: libs\nInstalled-Size: {100 + i}\n"
            "Maintainer: Bench Maintainers <bench@example.invalid>\n"
            f"Architecture: amd64\nSource: bench{i:03d}\nVersion: 1.{i}.0-{i % 7 + 1}\n"
            f"Description: benchmark library {i}\n more text\n"
            "Homepage: https://bench.example.invalid/\n"
        )
        for i in range(count)
    ]
    return "\n".join(stanzas).encode()


def dist(layer: Layer, site: str, name: str, version: str) -> None:
    info = f"{site}/{name}-{version}.dist-info"
    layer.add(f"{site}/{name}/__init__.py", b"# bench\n")
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: bench\n"
    meta += "Home-page: https://bench.example.invalid/\n"
    layer.add(f"{info}/METADATA", meta.encode())
    layer.add(f"{info}/INSTALLER", b"pip\n")
    record = f"{name}/__init__.py,,\n{info}/METADATA,,\n{info}/INSTALLER,,\n{info}/RECORD,,\n"
    layer.add(f"{info}/RECORD", record.replace(f"{site}/", "").encode())


def generate(path: Path) -> None:
    work = path.parent
    work.mkdir(parents=True, exist_ok=True)
    layers: list[tuple[str, str]] = []
    written = 0

    def layer(index: int) -> Layer:
        return Layer(work / f"layer{index}.gz")

    base = layer(0)
    base.add(
        "etc/os-release",
        b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
        b"VERSION_CODENAME=bookworm\n",
    )
    base.add("etc/debian_version", b"12.7\n")
    base.add("var/lib/dpkg/status", deb_status(DEB_EARLY))
    for i in range(DEB_COUNT):
        base.add(
            f"var/lib/dpkg/info/libbench{i:03d}:amd64.list",
            f"/usr/lib/libbench{i:03d}.so\n".encode(),
        )
        base.add(f"usr/share/doc/libbench{i:03d}/copyright", b"Copyright: bench\n")
    base.add("tmp/removed-later.bin", b"gone" * 1000)
    base.filler("usr/lib/x86_64-linux-gnu/bench", FILLER_PER_LAYER, 0)
    layers.append(base.close())
    written += base.written

    system = layer(1)
    site = "usr/lib/python3/dist-packages"
    for i in range(SYSTEM_DISTS):
        dist(system, site, f"sysdist{i:03d}", f"2.{i}.0")
    system.filler("usr/lib/python3.11/bench", FILLER_PER_LAYER, 1)
    layers.append(system.close())
    written += system.written

    venv = layer(2)
    venv.add("opt/venv/pyvenv.cfg", b"home = /usr/bin\nversion = 3.11.2\n")
    for i in range(VENV_DISTS):
        dist(venv, "opt/venv/lib/python3.11/site-packages", f"venvdist{i:03d}", f"3.{i}.1")
    venv.filler("opt/venv/share/bench", FILLER_PER_LAYER, 2)
    layers.append(venv.close())
    written += venv.written

    apt = layer(3)
    apt.add("var/lib/dpkg/status", deb_status(DEB_COUNT))
    apt.add("tmp/.wh.removed-later.bin", b"")
    apt.filler("usr/share/bench", FILLER_PER_LAYER, 3)
    layers.append(apt.close())
    written += apt.written

    data = layer(4)
    data.filler("srv/data", FILLER_PER_LAYER, 4)
    layers.append(data.close())
    written += data.written

    commands = [
        "FROM debian:12",
        "RUN apt-get install python3-*",
        "RUN python -m venv /opt/venv && pip install ...",
        "RUN apt-get install ...",
        "COPY data /srv/data",
    ]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "Env": ["PATH=/usr/bin"],
                "Labels": {"org.opencontainers.image.vendor": "Bench"},
            },
            "rootfs": {"type": "layers", "diff_ids": [raw for raw, _ in layers]},
            "history": [{"created_by": c} for c in commands],
        }
    ).encode()
    config_digest = hashlib.sha256(config).hexdigest()
    manifest = [
        {
            "Config": f"blobs/sha256/{config_digest}",
            "RepoTags": ["bench/image:1.0"],
            "Layers": [f"blobs/sha256/{gz[7:]}" for _, gz in layers],
        }
    ]
    tmp = path.with_suffix(".partial")
    with tarfile.open(tmp, "w") as tar:
        for name, payload in (
            ("manifest.json", json.dumps(manifest).encode()),
            (f"blobs/sha256/{config_digest}", config),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        for i, (_, gz) in enumerate(layers):
            tar.add(work / f"layer{i}.gz", f"blobs/sha256/{gz[7:]}")
    tmp.rename(path)
    path.with_suffix(".json").write_text(json.dumps({"uncompressed_bytes": written}))
    for i in range(len(layers)):
        (work / f"layer{i}.gz").unlink()


# --- running the tools ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    rss_mib: float
    output: str
    cpu: float


def timed(argv: list[str], env: dict[str, str]) -> Run:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed with {proc.returncode}")
    return Run(seconds, usage.ru_maxrss / 1024, text, usage.ru_utime + usage.ru_stime)


def commands(
    tmp: Path, image: Path = IMAGE, auditor: Path = DEFAULT_AUDITOR, store: bool = True
) -> dict[str, tuple[list[str], dict[str, str]]]:
    """`store=False`: the inventory alone (`--no-store`, issue 36's figure)."""
    IMAGE = image
    stored = ["--db", f"sqlite:///{tmp / 'auditor.db'}"] if store else ["--no-store"]
    trivy, syft = find_trivy(), find_syft()
    if trivy is None or syft is None:
        raise SystemExit("run `bash bench/setup.sh` first (trivy and syft in bench/.venv)")
    cache = tmp / "trivy-cache"
    return {
        "auditor": (
            [str(auditor), "scan", str(IMAGE), "--no-resolve", "--format", "json", *stored],
            child_env({}),
        ),
        "trivy": (
            [str(trivy), "image", "--input", str(IMAGE), "--format", "cyclonedx",
             "--offline-scan", "--skip-db-update", "--skip-java-db-update",
             "--cache-dir", str(cache)],
            child_env({}),
        ),
        "syft": (
            [str(syft), "scan", f"docker-archive:{IMAGE}", "-o", "cyclonedx-json"],
            child_env({"SYFT_CHECK_FOR_APP_UPDATE": "false"}),
        ),
    }  # fmt: skip


def packages(tool: str, text: str) -> set[tuple[str, str, str]]:
    """(type, name, version) of the pypi and deb components a report lists."""
    doc = json.loads(text)
    found = set()
    for item in _walk(doc.get("components", [])):
        purl = item.get("purl") or ""
        if not purl.startswith(("pkg:pypi/", "pkg:deb/")):
            continue
        kind = purl[4:].split("/", 1)[0]
        name = str(item.get("name", "")).lower().replace("_", "-")
        version = str(item.get("version", ""))
        found.add((kind, name, version))
    return found


def _fastest(results: dict[str, list[Run]], tool: str) -> float:
    return min(r.seconds for r in results[tool])


def _walk(items: list[Any]) -> Iterator[dict[str, Any]]:
    for item in items:
        if isinstance(item, dict):
            yield item
            yield from _walk(item.get("components") or [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--image", type=Path, help="a docker-save archive (default: generated)")
    parser.add_argument("--auditor", type=Path, default=DEFAULT_AUDITOR)
    parser.add_argument("--no-store", action="store_true", help="time the inventory alone")
    args = parser.parse_args()
    image = args.image or IMAGE
    if not image.exists():
        print("generating", image)
        generate(image)
    size = image.stat().st_size
    sidecar = image.with_suffix(".json")
    raw = json.loads(sidecar.read_text())["uncompressed_bytes"] if sidecar.exists() else 0
    load = os.getloadavg()
    results: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cmds = commands(tmp, image, args.auditor, store=not args.no_store)
        order = list(cmds)
        for round_ in range(args.rounds + 1):  # round 0 warms the page cache and the store
            for tool in order[round_ % 3 :] + order[: round_ % 3]:
                argv, env = cmds[tool]
                if tool == "trivy":  # no layer cache carried between runs
                    subprocess.run(["rm", "-rf", str(tmp / "trivy-cache")], check=True)
                run = timed(argv, env)
                if round_:
                    results.setdefault(tool, []).append(run)
    median = {t: statistics.median(r.seconds for r in runs) for t, runs in results.items()}
    rss = {t: max(r.rss_mib for r in runs) for t, runs in results.items()}
    found = {t: packages(t, runs[-1].output) for t, runs in results.items()}
    ours = found["auditor"]
    end = os.getloadavg()
    lines = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; load at start "
        + " / ".join(f"{x:.2f}" for x in load)
        + ", at end "
        + " / ".join(f"{x:.2f}" for x in end),
        f"- image: {image.name}, {size / 2**20:.0f} MiB docker-save"
        + (
            f" ({raw / 2**20:.0f} MiB of layer tars uncompressed), 5 gzip layers, "
            f"{DEB_COUNT} deb + {SYSTEM_DISTS + VENV_DISTS} pypi packages"
            if args.image is None
            else ""
        )
        + ("; auditor with --no-store" if args.no_store else ""),
        f"- runs: 1 warm-up + {args.rounds} measured per tool, order rotated",
        "",
        "| tool | median s | min s | CPU s (median) | peak RSS MiB | pypi | deb |",
        "|---|---|---|---|---|---|---|",
    ]
    for tool in results:
        counts = {k: sum(1 for p in found[tool] if p[0] == k) for k in ("pypi", "deb")}
        runs = results[tool]
        fastest = min(r.seconds for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        row = (tool, f"{median[tool]:.2f}", f"{fastest:.2f}", f"{cpu:.2f}", f"{rss[tool]:.0f}",
               counts["pypi"], counts["deb"])  # fmt: skip
        lines.append("| " + " | ".join(map(str, row)) + " |")
    checks = [
        ("auditor wall time <= trivy's", median["auditor"] / median["trivy"], 1.0),
        (
            "(minima) auditor <= trivy",
            _fastest(results, "auditor") / _fastest(results, "trivy"),
            1.0,
        ),
        ("auditor wall time <= 0.3x syft's", median["auditor"] / median["syft"], 0.3),
        ("auditor peak RSS < 300 MB", rss["auditor"] * 2**20 / 1e6 / 300, 1.0),
    ]
    lines += ["", "| target | ratio | verdict |", "|---|---|---|"]
    for name, ratio, limit in checks:
        lines.append(f"| {name} | {ratio:.2f} | {'PASS' if ratio <= limit else 'MISS'} |")
    for peer in ("trivy", "syft"):
        missing = sorted(found[peer] - ours)
        lines.append(f"- {peer} reports {len(missing)} pypi/deb component(s) auditor does not"
                     + (f": {missing[:10]}" if missing else ""))  # fmt: skip
    print("\n".join(lines))


if __name__ == "__main__":
    main()
