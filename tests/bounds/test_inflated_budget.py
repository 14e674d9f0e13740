"""Decompression bombs in images: the layer past the inflated-bytes budget is a diagnostic,
the other layers are inventoried; within the budget, a zero-filled file is just a file.

Each image (an OS layer with one dpkg package, plus a gzip layer of zeros) is scanned in a
child process under RLIMIT_CPU and RLIMIT_AS with `--max-inflated-bytes`; sizes, the budget
and the layers' order are drawn by hypothesis.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.bounded import assert_bounded, examples, run_bounded
from tests.sources.images import Member, docker_save, layer_tar, zeros_layer

MiB = 1 << 20
STATUS = b"Package: hello\nStatus: install ok installed\nVersion: 2.10-3\nArchitecture: amd64\n"


def _image(zeros_mib: int, bomb_first: bool) -> bytes:
    base = layer_tar(
        [Member("etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
         Member("var/lib/dpkg/status", STATUS)]
    )  # fmt: skip
    layers = [b"x", base] if bomb_first else [base, b"x"]
    bomb = 0 if bomb_first else 1
    with tempfile.TemporaryDirectory() as folder:
        path = docker_save(
            Path(folder) / "i.tar", layers, blob_override={bomb: zeros_layer(zeros_mib * MiB)}
        )
        return path.read_bytes()


@examples(5)
@given(
    zeros_mib=st.integers(8, 300),
    budget_mib=st.integers(4, 200),
    bomb_first=st.booleans(),
)
def test_only_the_layer_past_the_budget_is_skipped(
    zeros_mib: int, budget_mib: int, bomb_first: bool
) -> None:
    outcome = run_bounded(
        "tests.bounds.targets:scan_image",
        _image(zeros_mib, bomb_first),
        name="i.tar",
        cpu_seconds=60,
        wall_seconds=120,
        env={"BOUNDED_ARGS": f"--max-inflated-bytes {budget_mib}MiB"},
    )
    assert_bounded(outcome, max_rss_mb=256)
    assert outcome.result is not None, outcome.describe()
    report = json.loads(outcome.result)
    assert report["exit"] == 0, report
    assert "hello" in report["components"], report
    over = zeros_mib * MiB + 2048 > budget_mib * MiB  # the zeros, the tar's headers
    skipped = [d for d in report["diagnostics"] if "--max-inflated-bytes" in d]
    assert bool(skipped) == over, report
