"""The shipped rule files' parse, cached as JSON in the user's cache (issue 36): the same values
and lines as parsing them, a bad or unwritable cache is no error, a user's pack never cached."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.config import data_path, user_cache_folder
from auditor.policy.engine import load_policy
from auditor.policy.settings import PolicySettings
from auditor.policy.yamlnodes import CACHE_FORMAT, PolicyError, Y, load_shipped_yaml, load_yaml

DEFAULT = Path(str(data_path("rules"))) / "default.yaml"


def _cached(text: str) -> Path:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return user_cache_folder() / f"yaml-v{CACHE_FORMAT}-{digest}.json"


def _lines(doc: Y) -> list[int]:
    """Every value's line, in document order (Y equality compares them too; this shows them)."""
    out = [doc.line]
    if isinstance(doc.value, dict):
        for item in doc.value.values():
            out += _lines(item)
    elif isinstance(doc.value, list):
        for item in doc.value:
            out += _lines(item)
    return out


def test_the_default_pack_is_parsed_once_then_read_from_its_cached_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # empty: earlier tests cached it
    text = DEFAULT.read_text(encoding="utf-8")
    parsed = load_yaml(text, "rules/default.yaml")
    assert parsed is not None
    assert not _cached(text).exists()
    first = load_shipped_yaml(text, "rules/default.yaml")
    assert first == parsed and _cached(text).is_file()
    second = load_shipped_yaml(text, "rules/default.yaml")
    assert second == parsed and _lines(second) == _lines(parsed)
    # The second answer is the cached copy's: a copy edited on disk is what is read back.
    data = json.loads(_cached(text).read_text(encoding="utf-8"))
    data[0] = 999
    _cached(text).write_text(json.dumps(data), encoding="utf-8")
    edited = load_shipped_yaml(text, "rules/default.yaml")
    assert edited is not None and edited.line == 999


@pytest.mark.parametrize(
    "bad", ["", "{", "[1]", "[1, [2, 3], 4]", '[1, {"a": "b"}]', "[1, [[true, 2]]]"]
)
def test_an_unreadable_cached_copy_is_parsed_again(bad: str) -> None:
    text = "rules:\n  - id: a.b\n    severity: low\n"
    _cached(text).parent.mkdir(parents=True, exist_ok=True)
    _cached(text).write_text(bad, encoding="utf-8")
    assert load_shipped_yaml(text, "x.yaml") == load_yaml(text, "x.yaml")


def test_a_cache_that_cannot_be_written_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    text = DEFAULT.read_text(encoding="utf-8")
    assert load_shipped_yaml(text, "rules/default.yaml") == load_yaml(text, "rules/default.yaml")
    assert list(tmp_path.iterdir()) == [blocker]


def test_a_users_pack_is_parsed_every_time_never_cached(tmp_path: Path) -> None:
    pack = tmp_path / "team.yaml"
    rule = (
        "pack: team\nrules:\n  - id: team.no-foo\n    title: No foo\n    severity: {}\n"
        "    action: warn\n    when: {{fact: component.name, eq: foo}}\n    message: no foo\n"
    )
    pack.write_text(rule.format("high"), encoding="utf-8")
    policy = load_policy(PolicySettings(packs=("default", str(pack))))
    assert any(r.id == "team.no-foo" for p in policy.packs for r in p.rules)
    assert _cached(DEFAULT.read_text(encoding="utf-8")).is_file()
    assert not _cached(pack.read_text(encoding="utf-8")).exists()
    # Its errors still name its file and line.
    pack.write_text(rule.format("huge"), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"team\.yaml:5"):
        load_policy(PolicySettings(packs=("default", str(pack))))


_scalars: st.SearchStrategy[object] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.floats(allow_nan=False)
)
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_documents)
def test_a_cached_copy_holds_every_value_and_line(document: object) -> None:
    text = yaml.safe_dump(document, default_flow_style=False, allow_unicode=True)
    parsed = load_yaml(text, "doc.yaml")
    assert load_shipped_yaml(text, "doc.yaml") == parsed  # written
    cached = load_shipped_yaml(text, "doc.yaml")  # read back
    assert cached == parsed
    if parsed is not None and cached is not None:
        assert _lines(cached) == _lines(parsed)
