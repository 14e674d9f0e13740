"""The CLI with signatures: --signature-* options and environment, JSON output, exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.collectors.test_model_signatures import make_model, sign_with_key
from tests.conftest import Ran
from tests.signatures import oci
from tests.signatures.pki import key_pair

Validate = Callable[[str], dict[str, Any]]
Auditor = Callable[..., Ran]


def test_verified_model_signature_reaches_the_json_report(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    sign_with_key(make_model(tmp_path / "scan" / "bert"), keys.private)
    ran = auditor(
        "scan", "--no-resolve", "--format", "json", tmp_path / "scan",
        "--signature-key", keys.public,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    doc = validate(ran.stdout)
    [component] = [c for c in doc["components"] if c["purl"].startswith("pkg:generic/bert?")]
    [evidence] = component["origin"]["evidence"]
    assert (evidence["source"], evidence["field"], evidence["strength"]) == (
        "model-signing", "signer", "attested",
    )  # fmt: skip
    assert not [f for f in doc["findings"] if f["rule"].startswith("signature.")]


def test_tampered_model_blocks_the_run(
    auditor: Auditor, validate: Validate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    model = make_model(tmp_path / "scan" / "bert")
    sign_with_key(model, keys.private)
    (model / "config.json").write_text('{"model_type": "evil"}')
    monkeypatch.setenv("AUDITOR_SIGNATURE_KEY", str(keys.public))
    ran = auditor("scan", "--no-resolve", "--format", "json", tmp_path / "scan")
    assert ran.code == 1
    [found] = [f for f in validate(ran.stdout)["findings"] if f["rule"].startswith("signature.")]
    assert (found["rule"], found["severity"], found["action"]) == (
        "signature.file-mismatch", "critical", "block",
    )  # fmt: skip
    assert "changed: config.json" in found["message"]


def test_missing_key_file_exits_2_naming_it(auditor: Auditor, tmp_path: Path) -> None:
    ran = auditor("scan", "--no-resolve", tmp_path, "--signature-key", tmp_path / "nope.pub")
    assert ran.code == 2
    assert "nope.pub: no such key or certificate file" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_identity_without_issuer_exits_2(auditor: Auditor, tmp_path: Path) -> None:
    ran = auditor("scan", "--no-resolve", tmp_path, "--signature-identity", "me@example.test")
    assert ran.code == 2
    assert "--signature-issuer" in ran.stderr


def test_signed_image_in_an_oci_layout(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    layout = oci.Layout(tmp_path / "scan" / "app-layout")
    digest = layout.image("registry.invalid/acme/app:1.0")
    oci.sign_tag(layout, digest, keys.key)
    ran = auditor(
        "scan", "--no-resolve", "--format", "json", tmp_path / "scan",
        "--signature-key", keys.public,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    doc = validate(ran.stdout)
    [image] = [c for c in doc["components"] if c["purl"] == f"pkg:oci/app@{digest}"]
    assert [e["field"] for e in image["origin"]["evidence"]] == ["signer"]
