"""The one-component API for `auditor check-models` (issue 17)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from auditor.model import Action, ComponentKind
from auditor.policy.check import check_model, vetted
from tests.policy.helpers import SHA, component, policy_from

POLICY = """
vetted_publishers = ["Qwen"]
[[waivers]]
rule = "model.unvetted"
purl = "pkg:huggingface/trial/*"
reason = "evaluation only"
approver = "ml-lead"
expires = 2026-12-31
"""


def test_check_model_offline(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, POLICY)
    qwen = component(f"pkg:huggingface/Qwen/Qwen2.5-7B@{SHA}", ComponentKind.MODEL)
    stranger = component("pkg:huggingface/someone/model@main", ComponentKind.MODEL)
    trial = component(f"pkg:huggingface/trial/model@{SHA}", ComponentKind.MODEL)
    assert vetted(qwen, policy) and not vetted(stranger, policy)
    assert check_model(qwen, policy, today=date(2026, 12, 1)) == ()
    rules = {f.rule: f for f in check_model(stranger, policy, today=date(2026, 12, 1))}
    assert rules["model.unvetted"].action is Action.BLOCK
    assert "model.unpinned-revision" in rules
    (waived,) = check_model(trial, policy, today=date(2026, 12, 1))
    assert waived.waived
    late = check_model(trial, policy, today=date(2027, 1, 1))
    assert {f.rule for f in late} == {"model.unvetted", "policy.waiver-expired"}
    assert not any(f.waived for f in late)
