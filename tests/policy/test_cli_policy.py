"""The CLI's side of policy: --policy, gating with an account of what blocked, rules
list/validate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Ran, write_files

SQUAT = "reqeusts==2.32.3\nclick==8.5.1\n"


def test_block_action_fails_with_a_clear_account(
    auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    write_files(
        tmp_path / "app",
        {"requirements.txt": SQUAT, "auditor.toml": '[action]\n"package.typosquat" = "block"\n'},
    )
    ran = auditor("scan", tmp_path / "app", "--no-resolve", "--no-store", "--format", "json")
    assert ran.code == 1
    assert "policy failed: 1 finding(s) block this run" in ran.stderr
    assert "package.typosquat  pkg:pypi/reqeusts@2.32.3" in ran.stderr
    assert "why: action block" in ran.stderr and "typosquat of the popular requests" in ran.stderr
    assert f"waive: add to {tmp_path / 'app' / 'auditor.toml'}, once reviewed:" in ran.stderr


@pytest.mark.parametrize("policy_file", ["auditor.toml", "pyproject.toml"])
def test_the_printed_waiver_pasted_lets_the_next_run_pass(
    auditor: Callable[..., Ran], tmp_path: Path, policy_file: str
) -> None:
    """What the gate prints under `waive:` is TOML for the file the policy lives in."""
    config = '[action]\n"package.typosquat" = "block"\n'
    if policy_file == "pyproject.toml":
        config = '[project]\nname = "app"\n[tool.auditor.action]\n"package.typosquat" = "block"\n'
    app = write_files(tmp_path / "app", {"requirements.txt": SQUAT, policy_file: config})
    args = ("scan", app, "--no-resolve", "--no-store", "--format", "json")
    refused = auditor(*args)
    assert refused.code == 1
    lines = refused.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if "waive: add to" in line) + 1
    pasted = "\n".join(line.strip() for line in lines[start : start + 6])
    assert pasted.startswith(
        "[[tool.auditor.waivers]]" if policy_file == "pyproject.toml" else "[[waivers]]"
    )
    with (app / policy_file).open("a") as out:
        out.write("\n" + pasted + "\n")
    passed = auditor(*args)
    assert passed.code == 0, passed.stderr
    assert json.loads(passed.stdout)["findings"][0]["waiver"]


def test_waiver_lets_it_pass_and_stays_visible(
    auditor: Callable[..., Ran], tmp_path: Path, validate
) -> None:  # type: ignore[no-untyped-def]
    write_files(
        tmp_path / "app",
        {
            "requirements.txt": SQUAT,
            "pyproject.toml": '[project]\nname = "app"\n[tool.auditor.action]\n"package.typosquat" = "block"\n'  # noqa: E501
            '[[tool.auditor.waivers]]\nrule = "package.typosquat"\npurl = "pkg:pypi/reqeusts@*"\n'
            'reason = "ours"\napprover = "sec"\nexpires = 2999-01-01\n',
        },
    )
    ran = auditor("scan", tmp_path / "app", "--no-resolve", "--no-store", "--format", "json")
    assert ran.code == 0, ran.stderr
    doc = validate(ran.stdout)
    (squat,) = [f for f in doc["findings"] if f["rule"] == "package.typosquat"]
    assert squat["waived"] is True


def test_fail_on_severity_and_policy_flag(auditor: Callable[..., Ran], tmp_path: Path) -> None:
    write_files(tmp_path / "app", {"requirements.txt": SQUAT})
    write_files(tmp_path / "ci", {"strict.toml": 'disable = ["package.typosquat"]\n'})
    ran = auditor("scan", tmp_path / "app", "--no-resolve", "--no-store", "--fail-on", "high")
    assert ran.code == 1 and "at or above --fail-on high" in ran.stderr
    ran = auditor(
        "scan", tmp_path / "app", "--no-resolve", "--no-store", "--fail-on", "high",
        "--policy", tmp_path / "ci" / "strict.toml",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr


def test_bad_policy_is_exit_2(auditor: Callable[..., Ran], tmp_path: Path) -> None:
    write_files(tmp_path / "app", {"requirements.txt": SQUAT, "auditor.toml": "colour = 1\n"})
    ran = auditor("scan", tmp_path / "app", "--no-resolve", "--no-store")
    assert ran.code == 2 and "auditor.toml" in ran.stderr and "unknown key 'colour'" in ran.stderr


def test_rules_validate_names_every_problem_with_file_and_line(
    auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    write_files(
        tmp_path / "rules",
        {
            "good.yaml": "rules:\n  - {id: a.good, title: t, severity: low, action: warn, when: {fact: component.kind, eq: model}, message: m}\n",  # noqa: E501
            "bad.yaml": "rules:\n  - id: a.one\n    title: t\n    severity: low\n    action: warn\n    message: m\n"  # noqa: E501
            "    when: {fact: nope, eq: 1}\n  - id: a.two\n    title: t\n    severity: low\n    action: maybe\n"  # noqa: E501
            "    message: m\n    when: {fact: component.kind, eq: model}\n",
            "names.yaml": "rules:\n  - {id: a.three, title: t, severity: low, action: warn, when: {fact: component.name, in: $nowhere}, message: m}\n",  # noqa: E501
        },
    )
    ran = auditor("rules", "validate", tmp_path / "rules")
    assert ran.code == 2
    assert "good.yaml: pack good, 1 rules" in ran.stdout
    assert "bad.yaml:7: unknown fact 'nope'" in ran.stderr
    assert "bad.yaml:11: action: 'maybe' is not one of" in ran.stderr
    assert "names.yaml:2: $nowhere: no such list or setting" in ran.stderr
    ok = auditor("rules", "validate", tmp_path / "rules" / "good.yaml")
    assert ok.code == 0


def test_rules_list_shows_the_configured_state(auditor: Callable[..., Ran], tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"auditor.toml": 'disable = ["release.young"]\n[severity]\n"pypi.yanked" = "critical"\n'},
    )
    ran = auditor("rules", "list", "--policy", tmp_path / "auditor.toml")
    assert ran.code == 0
    lines = {line.split()[0]: line.split() for line in ran.stdout.splitlines()}
    assert lines["pypi.yanked"][1] == "critical"
    assert lines["release.young"][3] == "disabled"
    assert lines["origin.changed"][3] == "default"


def test_the_example_policies_validate(auditor: Callable[..., Ran]) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "policies"
    ran = auditor("rules", "validate", examples)
    assert ran.code == 0, ran.stderr
    assert "org-rules.yaml: pack org-rules, 2 rules" in ran.stdout


def test_the_shipped_rules_folder_validates_and_a_policy_dir_skips_the_knowledge_base(
    auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    """rules/ holds the publisher knowledge base beside the packs: it is data, never a pack."""
    from tests.conftest import REPO

    ran = auditor("rules", "validate", REPO / "rules")
    assert ran.code == 0, ran.stderr
    assert "skip" in ran.stdout and "publishers.yaml" in ran.stdout
    assert "ok" in ran.stdout and "default.yaml" in ran.stdout
    project = write_files(tmp_path / "p", {"requirements.txt": "click==8.5.1\n"})
    scanned = auditor("scan", project, "--no-resolve", "--policy", REPO / "rules")
    assert scanned.code == 0, scanned.stderr
