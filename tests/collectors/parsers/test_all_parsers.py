"""Every registered parser, fed random bytes and mutated real files: only ParseError escapes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collectors import Collected
from auditor.collectors.parsers import PARSERS, FileParser
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree
from tests.conftest import REPO

SEEDS = {
    "requirements-txt": (REPO / "examples/python-app/requirements.txt").read_bytes(),
    "uv-lock": (REPO / "examples/python-app/uv.lock").read_bytes(),
    "package-lock-json": (REPO / "tests/data/js/npm/v3/package-lock.json").read_bytes(),
    "yarn-lock": (REPO / "tests/data/js/yarn-berry/yarn.lock").read_bytes()[:6000]
    + (REPO / "tests/data/js/yarn-classic/yarn.lock").read_bytes()[:3000],
    "pnpm-lock-yaml": (REPO / "tests/data/js/pnpm/v9/pnpm-lock.yaml").read_bytes(),
    "bun-lock": (REPO / "tests/data/js/bun/bun.lock").read_bytes(),
    "poetry-lock": (REPO / "tests/data/python/poetry/sources/poetry.lock").read_bytes(),
    "pipfile-lock": (REPO / "tests/data/python/pipenv/project/Pipfile.lock").read_bytes(),
    "pdm-lock": (REPO / "tests/data/python/pdm/sources/pdm.lock").read_bytes(),
    "pylock-toml": (REPO / "tests/data/python/pylock/uv/pylock.toml").read_bytes(),
    "cyclonedx-json": (REPO / "tests/data/sbom/published/valid-service-1.7.json").read_bytes(),
    "cyclonedx-xml": (REPO / "tests/data/sbom/published/valid-service-1.6.xml").read_bytes(),
    "syft-json": (REPO / "tests/data/sbom/python-app.syft.json").read_bytes(),
    "spdx-json": (REPO / "tests/data/sbom/spdx/python-uv.trivy.spdx.json").read_bytes()[:9000],
    "spdx-tag-value": (REPO / "tests/data/sbom/spdx/published/example6-lib.spdx").read_bytes(),
    "spdx3-jsonld": (
        REPO / "tests/data/sbom/spdx/published/owid-co2-dataset.spdx3.json"
    ).read_bytes(),
}
FILE_NAMES = {
    "requirements-txt": "requirements.txt",
    "uv-lock": "uv.lock",
    "package-lock-json": "package-lock.json",
    "yarn-lock": "yarn.lock",
    "pnpm-lock-yaml": "pnpm-lock.yaml",
    "bun-lock": "bun.lock",
    "poetry-lock": "poetry.lock",
    "pipfile-lock": "Pipfile.lock",
    "pdm-lock": "pdm.lock",
    "pylock-toml": "pylock.toml",
    "cyclonedx-json": "bom.json",
    "cyclonedx-xml": "bom.xml",
    "syft-json": "app.syft.json",
    "spdx-json": "vendor.spdx.json",
    "spdx-tag-value": "vendor.spdx",
    "spdx3-jsonld": "vendor.spdx3.json",
}


def _parse(parser: FileParser, data: bytes) -> Collected | ParseError:
    with tempfile.TemporaryDirectory() as tmp:
        name = FILE_NAMES[parser.name]
        (Path(tmp) / name).write_bytes(data)
        try:
            return parser.parse(DirectoryTree("t", Path(tmp)), name)
        except ParseError as exc:
            assert exc.message.startswith(name), exc.message
            return exc


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """A real file with a slice replaced, duplicated or cut: near-valid input finds most bugs."""
    data = bytearray(seed[: draw(st.integers(0, len(seed)))] if draw(st.booleans()) else seed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        special = st.sampled_from([b"\n", b"\\\n", b"=", b"[", b'"', b"\x00"])
        junk = draw(st.binary(max_size=16) | special)
        end = at + draw(st.integers(0, 8))
        data[at:end] = junk
    return bytes(data)


def test_every_parser_has_a_seed() -> None:
    assert {p.name for p in PARSERS} == set(SEEDS)


@pytest.mark.parametrize("parser", [line.load() for line in PARSERS], ids=lambda p: p.name)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_and_mutated_input(parser: FileParser, data: st.DataObject) -> None:
    raw = data.draw(st.binary(max_size=512) | mutated(SEEDS[parser.name]))
    result = _parse(parser, raw)
    assert isinstance(result, (Collected, ParseError))
