"""The requirements.txt parser against pip's own account, every form pip accepts, and garbage."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from auditor.collectors import Collected
from auditor.collectors.parsers import parser_for
from auditor.collectors.parsers.requirements_txt import PARSER, parse, sniff
from auditor.errors import ParseError
from auditor.model import Component, ComponentKind, Strength
from auditor.sources.directory import DirectoryTree
from tests.conftest import DATA

REAL = DATA / "python" / "requirements"
TOOLS = ("uv", "piptools")
H1 = "a" * 64
H2 = "b" * 64


def _files(tmp: Path, files: dict[str, str]) -> DirectoryTree:
    for name, text in files.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(text, encoding="utf-8")
    return DirectoryTree("t", tmp)


def _parse(tmp: Path, text: str, **others: str) -> Collected:
    # keyword `requirements__base` is the file `requirements/base.txt`
    files = {"requirements.txt": text}
    files.update({f"{k.replace('__', '/')}.txt": v for k, v in others.items()})
    return parse(_files(tmp, files), "requirements.txt")


def _one(result: Collected) -> Component:
    assert len(result.components) == 1, result.components
    return result.components[0]


def _rules(result: Collected) -> set[str]:
    return {f.rule for f in result.findings}


# --- against the real tools ------------------------------------------------------------


def _report(tool: str) -> list[dict[str, Any]]:
    installs: list[dict[str, Any]] = json.loads((REAL / f"report-{tool}.json").read_text())[
        "install"
    ]
    return installs


@pytest.mark.parametrize("tool", TOOLS)
def test_compiled_file_matches_pips_report(tool: str) -> None:
    result = parse(DirectoryTree("data", REAL), f"requirements-{tool}.txt")
    report = _report(tool)
    ours = {canonicalize_name(c.name): c for c in result.components}
    theirs = {canonicalize_name(i["metadata"]["name"]): i for i in report}
    assert len(ours) == len(result.components)  # a compiled file lists each package once
    assert 40 <= len(theirs) <= 60
    assert {(n, c.version) for n, c in ours.items()} == {
        (n, i["metadata"]["version"]) for n, i in theirs.items()
    }
    requested = {n for n, i in theirs.items() if i["requested"]}
    assert {n for n, c in ours.items() if c.direct} == requested
    for name, install in theirs.items():
        chosen = install["download_info"]["archive_info"]["hashes"]
        assert {f"sha256:{chosen['sha256']}"} <= set(ours[name].hashes), name
    assert not result.diagnostics
    assert not result.findings  # every line is pinned and from the index


@pytest.mark.parametrize("tool", TOOLS)
def test_via_edges_are_declared_requirements(tool: str) -> None:
    result = parse(DirectoryTree("data", REAL), f"requirements-{tool}.txt")
    declared = {
        canonicalize_name(i["metadata"]["name"]): {
            canonicalize_name(Requirement(r).name) for r in i["metadata"]["requires_dist"]
        }
        for i in _report(tool)
    }
    name = {c.purl: canonicalize_name(c.name) for c in result.components}
    assert result.dependencies
    for edge in result.dependencies:
        assert name[edge.target] in declared[name[edge.source]], edge
    # every transitive package is reached from something
    targets = {name[e.target] for e in result.dependencies}
    assert {n for c in result.components if not c.direct for n in [name[c.purl]]} <= targets


def test_generated_files_name_no_registry_host() -> None:
    for path in REAL.iterdir():
        hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", path.read_text()))
        assert all(h == "github.com" or h.endswith(".invalid") for h in hosts), (path, hosts)


# --- forms ---------------------------------------------------------------------------------


def test_pins_ranges_and_bare_names(tmp_path: Path) -> None:
    result = _parse(
        tmp_path,
        "Requests==2.32.3\nfoo===1.0-local\nbar>=1,<2\nbaz\nqux==1.*\nzap==2.0,>=1\n",
    )
    got = {(c.name, c.version, c.purl) for c in result.components}
    assert got == {
        ("Requests", "2.32.3", "pkg:pypi/requests@2.32.3"),
        ("foo", "1.0-local", "pkg:pypi/foo@1.0-local"),
        ("bar", None, "pkg:pypi/bar"),
        ("baz", None, "pkg:pypi/baz"),
        ("qux", None, "pkg:pypi/qux"),
        ("zap", "2.0", "pkg:pypi/zap@2.0"),
    }
    unpinned = {f.purl for f in result.findings if f.rule == "package.unpinned"}
    assert unpinned == {"pkg:pypi/bar", "pkg:pypi/baz", "pkg:pypi/qux"}
    assert any("requirements.txt:3" in f.message for f in result.findings)
    for c in result.components:
        assert c.kind is ComponentKind.LIBRARY
        assert c.found_by == "requirements-txt"
        assert c.direct is True
        assert c.locations[0].target == "t"


def test_extras_markers_and_hashes(tmp_path: Path) -> None:
    text = (
        f'Foo[a,b]==1.0 ; python_version < "3.12" --hash=sha256:{H2.upper()} \\\n'
        f"    --hash sha256:{H1} \\\n"
        f"    --hash=sha256:{H2}\n"
    )
    c = _one(_parse(tmp_path, text))
    assert (c.name, c.version) == ("Foo", "1.0")
    assert c.hashes == (f"sha256:{H1}", f"sha256:{H2}")
    assert c.locations[0].line == 1


def test_continuations_comments_and_line_numbers(tmp_path: Path) -> None:
    text = (
        "# a comment\n"
        "\n"
        "alpha==1 \\\n"
        "  # a comment line ends a continuation\n"
        "beta==2  # trailing comment\n"
        "gam\\\n"
        "ma==3\n"
        "#delta==4\n"
        "\\\n"
    )
    result = _parse(tmp_path, text)
    lines = {c.name: c.locations[0].line for c in result.components}
    assert lines == {"alpha": 3, "beta": 5, "gamma": 6}


def test_hash_after_a_url_fragment_is_not_a_comment(tmp_path: Path) -> None:
    url = "git+https://github.com/org/repo@v1.0#egg=thing"
    c = _one(_parse(tmp_path, f"{url}\n"))
    assert c.name == "thing"
    assert c.purl == "pkg:pypi/thing?vcs_url=git%2Bhttps://github.com/org/repo%40v1.0"
    assert c.evidence[0].value == url


def test_environment_variables_are_left_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REF", "should-not-appear")
    c = _one(_parse(tmp_path, "pkg @ https://example.invalid/${REF}/pkg-1.0.tar.gz\n"))
    assert "${REF}" in c.evidence[0].value
    assert "should-not-appear" not in c.purl


def test_options_are_accepted_and_not_recorded(tmp_path: Path) -> None:
    text = (
        "-i https://user:secret@index.invalid/simple\n"
        "--index-url=https://index.invalid/simple\n"
        "--extra-index-url https://extra.invalid/simple\n"
        "-f ./wheels\n--find-links=https://links.invalid/\n"
        "--no-index\n--pre\n--prefer-binary\n--require-hashes\n"
        "--no-binary :all:\n--only-binary=:none:\n--trusted-host host.invalid\n"
        "--use-feature=truststore\n"
        "pkg==1 --global-option=--quiet -C key=value --config-settings k=v\n"
    )
    result = _parse(tmp_path, text)
    assert [c.name for c in result.components] == ["pkg"]
    assert "secret" not in repr(result) and "index.invalid" not in repr(result)


def test_includes_relative_to_the_including_file(tmp_path: Path) -> None:
    result = _parse(
        tmp_path,
        "-r requirements/base.txt\n--requirement=requirements/dev.txt\ntop==1\n",
        requirements__base="base==1\n",
        requirements__dev="-r base.txt\ndev==2\n",
    )
    where = {c.name: (c.locations[0].path, c.locations[0].line) for c in result.components}
    assert where == {
        "base": ("requirements/base.txt", 1),
        "dev": ("requirements/dev.txt", 2),
        "top": ("requirements.txt", 3),
    }
    assert not result.diagnostics


def test_constraints_pin_but_add_nothing(tmp_path: Path) -> None:
    result = _parse(
        tmp_path,
        "-c constraints.txt\nrequests\nrich>=13\n",
        constraints=f"requests==2.32.3 --hash=sha256:{H1}\nunused==1.0\nrich==13.7.1\n",
    )
    got = {c.purl: c.hashes for c in result.components}
    assert got == {
        "pkg:pypi/requests@2.32.3": (f"sha256:{H1}",),
        "pkg:pypi/rich@13.7.1": (),
    }
    assert not result.findings


def test_constraint_that_contradicts_a_pin(tmp_path: Path) -> None:
    result = _parse(tmp_path, "-c c.txt\nfoo==1.0\n", c="foo==2.0\n")
    assert _one(result).version == "1.0"
    [diag] = result.diagnostics
    assert diag.location == "requirements.txt:2"
    assert "c.txt:1" in diag.message


def test_editables(tmp_path: Path) -> None:
    result = _parse(
        tmp_path,
        "-e ./libs/my_lib[extra]\n"
        "--editable git+https://github.com/org/tool.git@main#egg=tool\n"
        "-e .\n",
    )
    by_name = {c.name: c for c in result.components}
    assert set(by_name) == {"my_lib", "tool"}  # `-e .` is the project itself: no name
    assert by_name["my_lib"].purl == "pkg:pypi/my-lib?download_url=./libs/my_lib"
    assert by_name["my_lib"].evidence[0].field == "path"
    assert by_name["tool"].evidence[0].field == "url"
    for c in by_name.values():
        rules = {f.rule for f in result.findings if f.purl == c.purl}
        assert rules == {"package.editable", "package.direct-reference"}


def test_direct_references(tmp_path: Path) -> None:
    text = (
        "pkg @ https://host.invalid/path/pkg-1.0.tar.gz#sha256=" + H1 + "\n"
        "other @ git+https://github.com/org/other@v1.0 ; sys_platform == 'linux'\n"
        "https://host.invalid/wheels/Some_Name-2.0-py3-none-any.whl\n"
        "./dist/local-3.1.zip\n"
        "./dist/UPPER-4.0.TAR.GZ\n"
        "git+ssh://git@github.com/org/ssh-thing.git@abc123\n"
        "https://token:x-oauth@host.invalid/private/secret_pkg-0.1.tar.gz\n"
    )
    result = _parse(tmp_path, text)
    got = {(c.name, c.version) for c in result.components}
    assert got == {
        ("pkg", "1.0"),
        ("other", None),
        ("some-name", "2.0"),
        ("local", "3.1"),
        ("ssh-thing", None),
        ("secret-pkg", "0.1"),
        ("upper", "4.0"),
    }
    by_name = {c.name: c for c in result.components}
    assert by_name["pkg"].hashes == (f"sha256:{H1}",)
    assert by_name["pkg"].purl == (
        "pkg:pypi/pkg@1.0?download_url=https://host.invalid/path/pkg-1.0.tar.gz"
    )
    assert (
        "vcs_url=git%2Bssh://git%40github.com/org/ssh-thing.git%40abc123"
        in by_name["ssh-thing"].purl
    )
    assert "token" not in repr(result) and "x-oauth" not in repr(result)
    assert {f.rule for f in result.findings} == {"package.direct-reference"}
    assert len(result.findings) == 7
    ev = by_name["other"].evidence[0]
    assert (ev.source, ev.field, ev.where, ev.strength) == (
        "requirements",
        "url",
        "requirements.txt:2",
        Strength.DECLARED,
    )


def test_unnamed_reference_is_a_diagnostic(tmp_path: Path) -> None:
    result = _parse(tmp_path, "https://host.invalid/\nok==1\n")
    assert [c.name for c in result.components] == ["ok"]
    [diag] = result.diagnostics
    assert diag.location == "requirements.txt:1"


def test_via_annotations_both_styles(tmp_path: Path) -> None:
    text = (
        "# autogenerated\n"
        "anyio==4.0 \\\n"
        f"    --hash=sha256:{H1}\n"
        "    # via\n"
        "    #   httpx\n"
        "    #   -r requirements.in\n"
        f"httpx==0.27 --hash=sha256:{H2}\n"
        "    # via -r requirements.in\n"
        "idna==3.7  # via anyio, httpx\n"
        'exceptiongroup==1.2 ; python_version < "3.11"\n'
        "    # via anyio\n"
        "orphan==1\n"
        "    # via -c constraints.txt\n"
        "    # The following packages are considered to be unsafe:\n"
        "    #   not-a-parent\n"
    )
    result = _parse(tmp_path, text)
    direct = {c.name: c.direct for c in result.components}
    assert direct == {
        "anyio": True,
        "httpx": True,
        "idna": False,
        "exceptiongroup": False,
        "orphan": False,
    }
    edges = {(e.source, e.target, e.marker) for e in result.dependencies}
    assert edges == {
        ("pkg:pypi/httpx@0.27", "pkg:pypi/anyio@4.0", None),
        ("pkg:pypi/anyio@4.0", "pkg:pypi/idna@3.7", None),
        ("pkg:pypi/httpx@0.27", "pkg:pypi/idna@3.7", None),
        ("pkg:pypi/anyio@4.0", "pkg:pypi/exceptiongroup@1.2", 'python_version < "3.11"'),
    }


def test_unannotated_file_is_all_direct(tmp_path: Path) -> None:
    result = _parse(tmp_path, "a==1\n# via nothing here\nb==2\n")
    assert all(c.direct for c in result.components)


def test_same_package_twice(tmp_path: Path) -> None:
    result = _parse(
        tmp_path,
        "-r other.txt\nfoo==1.0\nfoo==1.0.0\n"
        'bar==1 ; python_version < "3.12"\nbar==2 ; python_version >= "3.12"\n',
        other="foo==2.0\n",
    )
    foos = [c for c in result.components if c.name == "foo"]
    assert [(c.locations[0].path, c.locations[0].line) for c in foos] == [
        ("other.txt", 1),
        ("requirements.txt", 2),
        ("requirements.txt", 3),
    ]
    # 1.0 == 1.0.0; markers that differ are not conflicts; 2.0 vs 1.0 is (reported twice)
    assert {d.location for d in result.diagnostics} == {
        "requirements.txt:2",
        "requirements.txt:3",
    }
    assert all("other.txt:1" in d.message for d in result.diagnostics)


# --- includes that cannot be followed ----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("-r missing.txt", "no such file"),
        ("-r ../outside.txt", "leaves the target"),
        ("-c /etc/passwd", "leaves the target"),
        ("-r https://host.invalid/reqs.txt", "not fetched"),
        ("-r nul\x00.txt", "not a file name"),
    ],
)
def test_unusable_include_is_a_diagnostic(tmp_path: Path, line: str, expected: str) -> None:
    (tmp_path / "outside.txt").write_text("evil==1\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    result = _parse(inner, f"kept==1\n{line}\n")
    assert [c.name for c in result.components] == ["kept"]
    [diag] = result.diagnostics
    assert diag.location == "requirements.txt:2"
    assert expected in diag.message


def test_include_cycle(tmp_path: Path) -> None:
    result = _parse(tmp_path, "-r a.txt\ntop==1\n", a="-r b.txt\na==1\n", b="-r a.txt\nb==1\n")
    assert sorted(c.name for c in result.components) == ["a", "b", "top"]
    [diag] = result.diagnostics
    assert diag.location == "b.txt:1"
    assert "cycle" in diag.message and "a.txt -> b.txt -> a.txt" in diag.message


def test_self_include(tmp_path: Path) -> None:
    result = _parse(tmp_path, "-r requirements.txt\nx==1\n")
    assert [c.name for c in result.components] == ["x"]
    assert "cycle" in result.diagnostics[0].message


def test_malformed_include_keeps_the_rest(tmp_path: Path) -> None:
    result = _parse(tmp_path, "-r bad.txt\nok==1\n", bad="fine==1\nnot valid!!\n")
    assert [c.name for c in result.components] == ["ok"]  # nothing half-read from bad.txt
    [diag] = result.diagnostics
    assert diag.location == "requirements.txt:1"
    assert "bad.txt:2" in diag.message


def test_editable_constraint_is_rejected(tmp_path: Path) -> None:
    result = _parse(tmp_path, "-c c.txt\n", c="-e ./x\n")
    [diag] = result.diagnostics
    assert "c.txt:1: an editable cannot be a constraint" in diag.message


# --- errors: one tiny malformed file per message -------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("ok==1\nnot valid!!\n", 2, "invalid requirement"),
        ("ok==1\nepsilon==5#x\n", 2, "invalid requirement"),
        ("--frobnicate\n", 1, "no such option: --frobnicate"),
        ("\n\n-r\n", 3, "-r option requires 1 argument"),
        ("--re x\n", 1, "ambiguous option"),
        ("--pre=yes\n", 1, "does not take a value"),
        ("foo==1 --install-option=x\n", 1, "no such option"),
        (f"foo==1 \\\n  --hash=md5:{H1}\n", 1, "--hash expects"),
        ("foo==1 --hash=sha256:xyz\n", 1, "--hash expects"),
        ("foo==1 --hash 'sha256:\n", 1, "cannot split the options"),
        ("./local.whl ; python_version <\n", 1, "invalid reference"),
        ("https://[::1/x-1.0.tar.gz\n", 1, "invalid reference"),
        ("-e https://host.invalid/x-1.0.tar.gz\n", 1, "-e needs a local path or a VCS URL"),
    ],
)
def test_malformed_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    with pytest.raises(ParseError) as info:
        _parse(tmp_path, text)
    assert info.value.message.startswith(f"requirements.txt:{line}: ")
    assert words in info.value.message


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"foo==1\n\xff\xfe\n")
    with pytest.raises(ParseError, match=r"^requirements\.txt: not UTF-8"):
        parse(DirectoryTree("t", tmp_path), "requirements.txt")


# --- discovery ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "ours"),
    [
        ("requirements.txt", True),
        ("app/requirements-dev.txt", True),
        ("dev-requirements.txt", True),
        ("requirements/base.txt", True),
        ("requirements.in", False),
        ("constraints.txt", False),
        ("notes.txt", False),
    ],
)
def test_patterns(path: str, ours: bool) -> None:
    assert PARSER.matches(path) is ours


@pytest.mark.parametrize(
    ("head", "ours"),
    [
        (b"# deps\nrequests==2.32.3\n-r base.txt\nclick>=8\n", True),
        (b"-e .\n", True),
        (b"requests\nrich\nhttpx[http2]==0.2", True),  # the cut last line is not judged
        (b"\xef\xbb\xbfflask\n", True),
        (b"", False),
        (b"# only a comment\n", False),
        (b'{"name": "x", "version": "1"}\n', False),
        (b"[project]\nname = 'x'\n", False),
        (b"version = 1\nrequires-python = '>=3.11'\n", False),
        (b"MIT License\n\nCopyright\n", False),
        (b"\x00\x01binary", False),
        (b"\xff\xfe\xfd\n", False),
    ],
)
def test_sniff(head: bytes, ours: bool) -> None:
    assert sniff(head) is ours


def test_sniffed_file_is_dispatched_here() -> None:
    assert parser_for("deps.in", b"requests==2.32.3\n") is PARSER


# --- properties --------------------------------------------------------------------------

SEEDS = [(REAL / f"requirements-{tool}.txt").read_bytes()[:3000] for tool in TOOLS] + [
    b"-r base.txt\n-c c.txt\n-e ./x\nfoo[a]==1 ; python_version<'3' --hash=sha256:"
    + H1.encode()
    + b"\ngit+https://github.com/o/r@v1#egg=r\nbar @ https://h.invalid/bar-1.0.tar.gz\n"
    b"    # via\n    #   foo\n"
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(data)))
        junk = draw(
            st.binary(max_size=12)
            | st.sampled_from(
                [
                    b"\n",
                    b"\\\n",
                    b"#",
                    b" #",
                    b"-r ",
                    b"-e ",
                    b"@",
                    b";",
                    b"[",
                    b"'",
                    b"==",
                    b".ZIP",
                ]
            )
        )
        data[at : at + draw(st.integers(0, 6))] = junk
    return bytes(data)


def _outcome(files: dict[str, bytes]) -> Collected | ParseError:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        try:
            return parse(DirectoryTree("t", root), "requirements.txt")
        except ParseError as exc:
            assert exc.message.startswith("requirements.txt"), exc.message
            return exc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode) | mutated())
def test_random_input_only_raises_parse_errors(data: bytes) -> None:
    assert isinstance(_outcome({"requirements.txt": data}), (Collected, ParseError))


NAMES = ["requirements.txt", "a.txt", "sub/b.txt", "sub/deeper/c.txt"]
REFS = ["a.txt", "../a.txt", "b.txt", "sub/b.txt", "deeper/c.txt", "../../x.txt", "nope.txt"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    links=st.dictionaries(
        st.sampled_from(NAMES),
        st.lists(st.tuples(st.sampled_from(["-r", "-c"]), st.sampled_from(REFS)), max_size=4),
    )
)
def test_any_include_graph_terminates(links: dict[str, list[tuple[str, str]]]) -> None:
    files = {
        name: "".join(f"{flag} {ref}\n" for flag, ref in links.get(name, [])) + f"pkg-{i}==1\n"
        for i, name in enumerate(NAMES)
    }
    result = _outcome({k: v.encode() for k, v in files.items()})
    assert isinstance(result, Collected)
    assert "pkg-0" in {c.name for c in result.components}
    for diag in result.diagnostics:
        assert any(w in diag.message for w in ("cycle", "leaves", "no such file")), diag


_NAME = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,12}[A-Za-z0-9])?", fullmatch=True)
_VERSION = st.from_regex(
    r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc)[0-9]{1,2})?(\.post[0-9])?(\.dev[0-9])?"
    r"|[0-9]\.[0-9]\.\*|[0-9]!1\.0|1\.0\+local\.1|1\.0-1|v1\.0|1\.0\.|x",
    fullmatch=True,
)


@given(_NAME, st.sampled_from(["==", " == ", "==="]), _VERSION)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_a_plain_pin_reads_as_packaging_reads_it(name: str, op: str, version: str) -> None:
    """The shortcut for `name==1.2.3` lines answers what packaging's parser does, and every
    other form (epochs, locals, wildcards, `===`, invalid versions) still goes through it."""
    from auditor.collectors.requirement_lines import Req, _pinned, _requirement

    text = f"{name}{op}{version}"
    try:
        req = Requirement(text)
    except Exception:  # packaging refuses it: so must we, with a ParseError
        with pytest.raises(ParseError):
            _requirement(text, (), "r.txt", 1, editable=False)
        return
    got = _requirement(text, ("sha256:" + "a" * 64,), "r.txt", 1, editable=False)
    assert isinstance(got, Req)
    expected = (req.name, _pinned(req), str(req.specifier), None)
    assert (got.name, got.version, got.spec, got.marker) == expected
    assert got.hashes == ("sha256:" + "a" * 64,) and (got.path, got.line) == ("r.txt", 1)


_PIP_COMMENT = re.compile(r"(?:^|(?<=\s))#.*")
"""pip's comment rule as a regular expression: the reference `comment_start` must agree with."""


@given(
    st.lists(
        st.sampled_from(["#", " ", "\t", "\u2003", "\x1c", "a", "=", "-", "\\", "\n", "é"]),
        max_size=40,
    ).map("".join)
    | st.text(max_size=80)
)
def test_comment_start_agrees_with_pips_comment_rule(line: str) -> None:
    from auditor.collectors.requirement_lines import _split_comment, comment_start

    match = _PIP_COMMENT.search(line)
    assert comment_start(line) == (match.start() if match else -1)
    expected = (
        (7, line.strip(), None)
        if match is None
        else (7, line[: match.start()].strip(), match.group(0)[1:])
    )
    assert _split_comment(7, line) == expected
