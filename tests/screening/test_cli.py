"""The shipped lists end to end: a package whose registry owner the knowledge base gives to a
listed company (through the loopback PyPI), `[screening] block`, the JSON report against the
schema, and `auditor screening list|validate` on the shipped lists and on broken ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.screening.lists import load_lists
from tests.conftest import Ran, write_files
from tests.screening.lists import write_list
from tests.servers.pypi import PyPIState, load_project

Auditor = Callable[..., Ran]
Validate = Callable[[str], dict[str, Any]]
HUAWEI = "Huawei Technologies Co., Ltd."


def _huawei_sdk(state: PyPIState) -> None:
    """A project its index organisation `hwcloudsdk` owns (the knowledge base: Huawei's), in
    the recorded click document's exact shape."""
    doc = copy.deepcopy(load_project("click"))
    doc["info"].update(
        name="huaweicloudsdkcore",
        project_urls={"Source": "https://github.com/huaweicloud/huaweicloud-sdk-python-v3"},
        maintainer_email=None,
        summary="Core library for the cloud SDK",
    )
    doc["ownership"] = {"organization": "hwcloudsdk", "roles": []}
    state.add_project(doc)


def _findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["rule"] == "origin.listed-entity"]


def test_a_listed_companys_package_is_found_and_block_applies_per_list(
    auditor: Auditor, validate: Validate, pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    _huawei_sdk(state)
    wanted = "huaweicloudsdkcore==8.5.1\nclick==8.5.1\n"
    app = write_files(tmp_path / "app", {"requirements.txt": wanted})
    ran = auditor("scan", app, "-f", "json", "--pypi-url", base)
    doc = validate(ran.stdout)
    found = {f["evidence"][0]["field"]: f for f in _findings(doc)}
    assert set(found) == {"list:fcc-covered", "list:ndaa-889"}, found
    fcc = found["list:fcc-covered"]
    assert fcc["purl"] == "pkg:pypi/huaweicloudsdkcore@8.5.1"
    assert (fcc["severity"], fcc["action"]) == ("high", "report")
    lists = {s.id: s for s in load_lists()}
    listed = fcc["evidence"][0]
    assert (listed["source"], listed["value"], listed["where"], listed["strength"]) == (
        "screening", "Huawei Technologies Company", lists["fcc-covered"].source, "registry"
    )  # fmt: skip
    assert f"organisation {HUAWEI}" in fcc["message"] and "FCC Covered List" in fcc["message"]
    assert not [f for f in _findings(doc) if "click" in f["purl"]]

    (app / "auditor.toml").write_text('[screening]\nblock = ["fcc-covered"]\n', encoding="utf-8")
    blocked = validate(auditor("scan", app, "-f", "json", "--pypi-url", base).stdout)
    actions = {f["evidence"][0]["field"]: f["action"] for f in _findings(blocked)}
    assert actions == {"list:fcc-covered": "block", "list:ndaa-889": "report"}


def test_blocking_an_unknown_list_is_a_usage_error(
    auditor: Auditor, pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    block = '[screening]\nblock = ["fcc"]\n'
    app = write_files(
        tmp_path / "app", {"requirements.txt": "click==8.5.1\n", "auditor.toml": block}
    )
    ran = auditor("scan", app, "--pypi-url", pypi[1])
    assert ran.code == 2 and "no screening list 'fcc'" in ran.stderr
    assert "fcc-covered" in ran.stderr and "Traceback" not in ran.stderr
    bad = write_files(tmp_path / "bad", {"requirements.txt": "click==8.5.1\n",
                                         "auditor.toml": "[screening]\nblock = 3\n"})  # fmt: skip
    ran = auditor("scan", bad, "--pypi-url", pypi[1])
    assert ran.code == 2 and "screening.block" in ran.stderr and "Traceback" not in ran.stderr


def test_the_shipped_lists_validate(auditor: Auditor) -> None:
    ran = auditor("screening", "validate")
    assert ran.code == 0, ran.stdout + ran.stderr
    assert "0 problem(s)" in ran.stdout
    listed = auditor("screening", "list")
    assert listed.code == 0
    for s in load_lists():
        assert s.id in listed.stdout and s.source in listed.stdout


def test_every_shipped_entry_has_an_official_source() -> None:
    from auditor.screening.validate import official

    for s in load_lists():
        assert official(s.source), s.id
        assert all(e.source is None or official(e.source) for e in s.entries), s.id


BROKEN = {
    "unofficial source": ("source: https://www.example.gov/x", "source: https://example.com/x",
                          "is not an official"),
    "plain http": ("source: https://www.example.gov/x", "source: http://www.example.gov/x",
                   "is not an official"),
    "date": ("published: 2026-01-02", "published: 02/01/2026", "is not an ISO date"),
    "unknown organisation": ("organisations: [huawei]", "organisations: [huawie]",
                             "'huawie' is not in the knowledge base"),
    "missing field": ("scope: What the test list restricts.\n", "", "missing 'scope'"),
    "unknown key": ("scope: What", "scoep: x\nscope: What", "unknown key 'scoep'"),
    "duplicate entry": ('  - name: "Other"', '  - name: "Huawei Technologies Company"',
                        "listed twice"),
    "entry source": ("    organisations: [huawei]",
                     "    organisations: [huawei]\n    source: https://example.org/page",
                     "is not an official"),
    "not yaml": ("entries:", "entries: [", "not valid YAML"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_each_problem_is_named_with_its_file(auditor: Auditor, tmp_path: Path, kind: str) -> None:
    path = write_list(tmp_path, "x", [("Huawei Technologies Company", ["huawei"]), ("Other", [])])
    good = auditor("screening", "validate", tmp_path)
    assert good.code == 0, good.stdout + good.stderr
    old, new, said = BROKEN[kind]
    text = path.read_text(encoding="utf-8")
    assert old in text, kind
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    ran = auditor("screening", "validate", tmp_path)
    assert ran.code == 1, ran.stdout
    assert "x.yaml" in ran.stdout and said in ran.stdout, ran.stdout
    assert "Traceback" not in ran.stdout + ran.stderr


def test_ids_are_unique_and_match_the_file(auditor: Auditor, tmp_path: Path) -> None:
    write_list(tmp_path, "a", [("A", [])])
    (tmp_path / "b.yaml").write_text((tmp_path / "a.yaml").read_text(encoding="utf-8"))
    ran = auditor("screening", "validate", tmp_path)
    assert ran.code == 1
    assert "id 'a' is also the id of a.yaml" in ran.stdout
    assert "b.yaml: id 'a' differs from the file name" in ran.stdout
    missing = auditor("screening", "validate", tmp_path / "nowhere")
    assert missing.code == 2 and "Traceback" not in missing.stderr


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=12),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "title",
                        "source",
                        "published",
                        "entries",
                        "name",
                        "organisations",
                        "aliases",
                        "listed",
                        "x",
                    ]
                ),
                inner,
                max_size=6,
            )
        ),
        max_leaves=12,
    )
)
def test_any_yaml_document_gives_problems_never_a_traceback(tmp_path: Path, doc: object) -> None:
    import yaml

    from auditor.errors import ConfigError
    from auditor.resolvers.publishers import load
    from auditor.screening.validate import validate

    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    found = validate(path, load())
    assert found.files == 1
    try:
        load_lists(tmp_path)
    except ConfigError as exc:
        assert "x.yaml" in exc.message
