"""Every pattern-bearing lockfile parser finishes a crafted file within a time budget.

Each input is a real lockfile with a long run of one adversarial unit spliced in (white
space, blank lines, comments, quotes, escapes, brackets: the characters the parsers' patterns
repeat over), run in a child process under RLIMIT_CPU and RLIMIT_AS. A backtracking pattern
turns such a run into seconds or hours (the bun.lock comment skipper was exponential, the
requirements.txt comment pattern and package-lock.json key pattern quadratic); a linear one
parses it in milliseconds. Only a ParseError may come out.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.bounded import assert_bounded, examples, run_bounded
from tests.conftest import REPO

SEEDS = {
    "requirements.txt": REPO / "examples/python-app/requirements.txt",
    "uv.lock": REPO / "examples/python-app/uv.lock",
    "package-lock.json": REPO / "tests/data/js/npm/v3/package-lock.json",
    "yarn.lock": REPO / "tests/data/js/yarn-berry/yarn.lock",
    "pnpm-lock.yaml": REPO / "tests/data/js/pnpm/v9/pnpm-lock.yaml",
    "bun.lock": REPO / "tests/data/js/bun/bun.lock",
    "poetry.lock": REPO / "tests/data/python/poetry/sources/poetry.lock",
    "Pipfile.lock": REPO / "tests/data/python/pipenv/project/Pipfile.lock",
    "pdm.lock": REPO / "tests/data/python/pdm/sources/pdm.lock",
    "pylock.toml": REPO / "tests/data/python/pylock/uv/pylock.toml",
}
_JSON = ("\n", " ", "\n\n", '"', "\\", '\\"', ",", ", ", "[", "{", "]", "}", ":", '"a": {', '    "')
_YAML = (" ", "\n", "\n\n", "- ", ": ", "#", "'", '"', "\\", "[", "{", ",", "&a ", "*a ", "|", ">")
_TOML = (" ", "\n", "\n\n", "#", '"', "'", '"""', "\\", "[", "[[", "]", "=", ",", "{")
UNITS = {
    "requirements.txt": (" ", "\t", "#", " #", "[", "]", "\\", "\n", "-e ", "a[", "@", "${"),
    "package-lock.json": _JSON,
    "Pipfile.lock": _JSON,
    "bun.lock": ("/**/", "/* */", "//", "/*", "*/", ",/**/", *_JSON),
    "yarn.lock": (*_YAML, "a@", "__metadata:"),
    "pnpm-lock.yaml": _YAML,
    "uv.lock": _TOML,
    "poetry.lock": _TOML,
    "pdm.lock": _TOML,
    "pylock.toml": _TOML,
}
"""The characters each format's grammar (and so its patterns) repeats over; the first is
what hypothesis tries first (white space, or comments for JSON with comments)."""
CPU_LIMIT = 6
"""RLIMIT_CPU: the child is killed past this."""
BUDGET = 2.0
"""CPU seconds per file, interpreter start and imports included: a linear parse of these
~100 KB files takes a fraction of that, a quadratic one several times more."""


@st.composite
def adversarial(draw: st.DrawFn, seed: bytes, units: tuple[str, ...]) -> bytes:
    """`seed` with a long run of one (compound) unit inserted inside one of its lines (at
    the end of its content, by default: where a pattern's trailing repeat meets it)."""
    unit = "".join(draw(st.lists(st.sampled_from(units), min_size=1, max_size=2)))
    length = draw(st.integers(60_000, 120_000))
    tail = draw(st.sampled_from(("", "x", "]", "}", '"', "*", "#")))
    run = (unit * (length // len(unit)) + tail).encode()
    lines = seed.split(b"\n")
    index = len(lines) - 1 - draw(st.integers(0, len(lines) - 1))
    line = lines[index]
    at = len(line) - draw(st.integers(0, len(line)))
    lines[index] = line[:at] + run + line[at:]
    return b"\n".join(lines)


@pytest.mark.parametrize("name", sorted(SEEDS))
@examples(6)
@given(data=st.data())
def test_parsers_are_linear_on_adversarial_runs(name: str, data: st.DataObject) -> None:
    crafted = data.draw(adversarial(SEEDS[name].read_bytes(), UNITS[name]))
    outcome = run_bounded(
        "tests.bounds.targets:parse_lockfile", crafted, name=name, cpu_seconds=CPU_LIMIT
    )
    assert_bounded(outcome, allowed=("ParseError",), max_cpu_seconds=BUDGET)


REPRODUCTIONS = {
    # 227 bytes: a run of comments after a comma made the JSONC pattern backtrack 2^n ways.
    "bun.lock": b'{"lockfileVersion": 1, "workspaces": {"": {}}, "packages": {}'
    + b","
    + b"/**/" * 45
    + b"x",
    # One line: `(^|\s+)#` retried from each of 100,000 spaces.
    "requirements.txt": b"requests" + b" " * 100_000 + b"x\n",
    # Blank lines: `^\s*"` crossed all the following blank lines from each one.
    "package-lock.json": b'{"lockfileVersion": 3, "packages": {}' + b"\n" * 100_000 + b"}",
    # A path's extras: `^(.+?)(\[[^\]]*\])$` retried each `[`.
    "Pipfile.lock": b'{"_meta": {"pipfile-spec": 6}, "default": {}' + b" " * 100_000 + b"}",
}


@pytest.mark.parametrize("name", sorted(REPRODUCTIONS))
def test_known_reproductions_finish_at_once(name: str) -> None:
    outcome = run_bounded(
        "tests.bounds.targets:parse_lockfile", REPRODUCTIONS[name], name=name, cpu_seconds=3
    )
    assert_bounded(outcome, allowed=("ParseError",), max_cpu_seconds=BUDGET)


def test_requirement_extras_after_many_brackets_finish_at_once() -> None:
    line = b"-e ./lib" + b"[" * 100_000 + b"]\n"
    outcome = run_bounded(
        "tests.bounds.targets:parse_lockfile", line, name="requirements.txt", cpu_seconds=3
    )
    assert_bounded(outcome, allowed=("ParseError",), max_cpu_seconds=BUDGET)


REFERENCE_FILES = {
    "train.py": 'from transformers import AutoModel\nmodel = AutoModel.from_pretrained("org/m")\n',
    "run.sh": "hf download org/model --revision main && echo done\n",
    "Dockerfile": "RUN huggingface-cli download org/model ; echo\n",
    "config.yaml": "model_name_or_path: org/model\nrevision: main\n",
    "config.json": '{"model_name_or_path": "org/model"}\n',
    ".npmrc": "registry=${NPM_URL}\n",
}
REFERENCE_UNITS = (
    " ", "\t", "\n", "(", "hf ", "hf download ", ";", " ; ", "&& ", "|", "${", "=", ":",
    "a", "a_", "'", '"', "as ", "a.", "@", "a@", "/", "--",
)  # fmt: skip


@pytest.mark.parametrize("name", sorted(REFERENCE_FILES))
@examples(3)
@given(data=st.data())
def test_reference_and_config_readers_are_linear(name: str, data: st.DataObject) -> None:
    """Model references in code, scripts and configs, and .npmrc: a whole scan of a folder
    holding one crafted file stays within a CPU budget (imports included)."""
    seed = REFERENCE_FILES[name].encode()
    crafted = data.draw(adversarial(seed, REFERENCE_UNITS))
    outcome = run_bounded(
        "tests.bounds.targets:scan_folder", crafted, name=name, cpu_seconds=CPU_LIMIT
    )
    assert_bounded(outcome, max_cpu_seconds=2 * BUDGET)


METADATA_UNITS = ("a", "a.", "a@", "@", ".", "-", " ", "${", "${a", "}", "=", "<", "%")


@examples(6)
@given(data=st.data())
def test_metadata_patterns_are_linear(data: st.DataObject) -> None:
    """Author e-mail fields from registries and .npmrc lines: the address pattern retried a
    long run from each of its characters (n²); `${` without `}` did the same."""
    crafted = data.draw(adversarial(b"Jane <jane@example.org>\nregistry=${URL}\n", METADATA_UNITS))
    outcome = run_bounded("tests.bounds.targets:metadata_text", crafted, cpu_seconds=CPU_LIMIT)
    assert_bounded(outcome, max_cpu_seconds=BUDGET)
