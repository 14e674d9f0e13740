"""The Sigstore trust root in effect, and npm's intoto 0.0.2 log entries verified end to end.

Bundles come from tests/sigstore_local.py: a local Fulcio, CT log and Rekor with the real
cryptography, trusted only through the trust config each test hands over.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sigstore.errors import VerificationError
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier as StockVerifier

from auditor.errors import ConfigError
from auditor.resolvers.attestations import Unverifiable, verify_dsse_bundle
from auditor.sigstore_trust import trusted_root, verifier
from tests.sigstore_local import Build, LocalSigstore, bundle_json

PURL = "pkg:npm/widget@1.0.0"
SHA512 = hashlib.sha512(b"widget-1.0.0.tgz").hexdigest()


@pytest.fixture(scope="module")
def sigstore() -> LocalSigstore:
    return LocalSigstore()


@pytest.fixture(scope="module")
def trust(sigstore: LocalSigstore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sigstore.write_trust_config(tmp_path_factory.mktemp("trust") / "trust.json")


def _verify(bundle: dict[str, Any], trust: Path | None) -> Any:
    return verify_dsse_bundle(Bundle.from_json(json.dumps(bundle)), ("sha512", SHA512), trust)


def test_an_npm_intoto_bundle_verifies_and_names_its_build(
    sigstore: LocalSigstore, trust: Path
) -> None:
    build = Build(repository="https://github.com/acme/gadget", owner_id="77")
    bundle = sigstore.npm_bundle(PURL, SHA512, build)
    assert bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"] == {
        "kind": "intoto",
        "version": "0.0.2",
    }
    verified = _verify(bundle, trust)
    assert verified.subjects == (PURL,)
    assert verified.predicate_type == "https://slsa.dev/provenance/v1"
    assert verified.facts.source_repository_uri == "https://github.com/acme/gadget"
    assert verified.facts.source_repository_owner_id == "77"
    assert verified.facts.identity == build.identity


def test_stock_sigstore_rejects_the_entry_kind_we_add(sigstore: LocalSigstore, trust: Path) -> None:
    """Why sigstore_trust exists: sigstore-python alone cannot verify npm's bundles."""
    bundle = Bundle.from_json(json.dumps(sigstore.npm_bundle(PURL, SHA512)))
    stock = StockVerifier(trusted_root=trusted_root(trust))
    with pytest.raises(VerificationError, match=r"intoto|Integrated time"):
        stock.verify_dsse(bundle, _Anyone())


def test_the_public_root_does_not_trust_a_local_instance(sigstore: LocalSigstore) -> None:
    with pytest.raises(Unverifiable, match="certificate chain"):
        _verify(sigstore.npm_bundle(PURL, SHA512), None)


def test_another_instance_is_not_trusted(sigstore: LocalSigstore, tmp_path: Path) -> None:
    other = LocalSigstore().write_trust_config(tmp_path / "other.json")
    with pytest.raises(Unverifiable, match="signature does not verify"):
        _verify(sigstore.npm_bundle(PURL, SHA512), other)


def test_a_statement_about_other_bytes_is_refused(sigstore: LocalSigstore, trust: Path) -> None:
    bundle = sigstore.npm_bundle(PURL, hashlib.sha512(b"other").hexdigest())
    with pytest.raises(Unverifiable, match="subject sha512 differs"):
        _verify(bundle, trust)


def test_a_name_paired_with_other_bytes_is_not_bound(sigstore: LocalSigstore, trust: Path) -> None:
    """A statement about two artifacts: our bytes are named `evil`, our name has other bytes."""
    other = hashlib.sha512(b"other").hexdigest()
    _, cert, envelope = sigstore.sign_statement("pkg:npm/evil@1.0.0", SHA512,
                                                others=((PURL, other),))  # fmt: skip
    verified = _verify(bundle_json(cert, envelope, sigstore.log_envelope(envelope, cert)), trust)
    assert verified.subjects == ("pkg:npm/evil@1.0.0",)
    assert PURL not in verified.subjects


def _logged_for_other_bytes(s: LocalSigstore, key: Any, cert: Any, envelope: Any) -> Any:
    _, _, other = s.sign_statement(PURL, hashlib.sha512(b"x").hexdigest())
    return s.log_envelope(other, cert)  # a valid entry, logged for other bytes


def _logged_with_another_signature(s: LocalSigstore, key: Any, cert: Any, envelope: Any) -> Any:
    again = key.sign(envelope.pae(), _ecdsa())  # same key and payload, another signature
    inner = envelope._inner
    return s.log_intoto(inner.payload_type, inner.payload, again, cert)


def _logged_for_a_twin_certificate(s: LocalSigstore, key: Any, cert: Any, envelope: Any) -> Any:
    twin = s.certificate(key.public_key(), Build(repository="https://github.com/evil/x"))
    return s.log_envelope(envelope, twin)  # same key, another identity


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_logged_for_other_bytes, "payload hash does not match"),
        (_logged_with_another_signature, "signature does not match"),
        (_logged_for_a_twin_certificate, "another certificate"),
    ],
)
def test_a_log_entry_that_is_not_about_this_bundle_is_refused(
    sigstore: LocalSigstore, trust: Path, tamper: Any, reason: str
) -> None:
    """Each entry is genuinely logged (proof, checkpoint, promise all valid): only the
    binding of entry to bundle can refuse it."""
    key, cert, envelope = sigstore.sign_statement(PURL, SHA512)
    entry = tamper(sigstore, key, cert, envelope)
    with pytest.raises(Unverifiable, match=reason):
        _verify(bundle_json(cert, envelope, entry), trust)


def test_a_forged_inclusion_promise_is_refused(sigstore: LocalSigstore, trust: Path) -> None:
    bundle = sigstore.npm_bundle(PURL, SHA512)
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    entry["integratedTime"] = str(int(entry["integratedTime"]) + 60)
    with pytest.raises(Unverifiable, match="inclusion promise"):
        _verify(bundle, trust)


def test_trust_configs_and_bare_roots_load_and_junk_is_a_config_error(
    sigstore: LocalSigstore, trust: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "trusted_root.json"
    bare.write_text(json.dumps(sigstore.trust_config()["trustedRoot"]), encoding="utf-8")
    assert isinstance(trusted_root(bare), TrustedRoot)
    assert verifier(bare) is verifier(bare)  # parsed once per process
    assert _verify(sigstore.npm_bundle(PURL, SHA512), bare).subjects == (PURL,)
    assert isinstance(trusted_root(None), TrustedRoot)  # the shipped public-good root
    for text in ("{not json", '{"mediaType": "nonsense"}', "[]"):
        junk = tmp_path / "junk.json"
        junk.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=r"junk\.json: not a usable Sigstore trust config"):
            trusted_root(junk)


class _Anyone:
    def verify(self, cert: object) -> None:
        """Accept every signer."""


def _ecdsa() -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.ECDSA(hashes.SHA256())
