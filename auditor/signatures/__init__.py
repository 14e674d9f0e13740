"""Signatures: who vouches for these bytes, checked against the signer's own key or identity.

OpenSSF model signing (`model.sig` next to a model) and cosign-style image signatures and
attestations (an OCI layout's referrers). The cryptography is done by the real libraries
(model_signing, sigstore, cryptography); re-hashing the signed files is done here, over a
Tree, so models inside caches and images are checked the same way as on disk.

`SignatureTrust` (what a signature must chain to) is run configuration, defined in
`auditor.config` and re-exported here; `signature_trust` builds it from flags and environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from auditor.config import SignatureTrust as SignatureTrust
from auditor.errors import ConfigError

KEY_ENV = "AUDITOR_SIGNATURE_KEY"
CERT_CHAIN_ENV = "AUDITOR_SIGNATURE_CERT_CHAIN"
IDENTITY_ENV = "AUDITOR_SIGNATURE_IDENTITY"
ISSUER_ENV = "AUDITOR_SIGNATURE_ISSUER"
TRUST_CONFIG_ENV = "AUDITOR_SIGNATURE_TRUST_CONFIG"


def _paths(values: tuple[str, ...], env: str, environ: Mapping[str, str]) -> tuple[Path, ...]:
    raw = values or tuple(p for p in environ.get(env, "").split(os.pathsep) if p)
    paths = tuple(Path(v).expanduser() for v in raw)
    for path in paths:
        if not path.is_file():
            raise ConfigError(
                f"{path}: no such key or certificate file",
                hint=f"check --signature-key / --signature-cert-chain or {env}",
            )
    return paths


def signature_trust(
    keys: tuple[str, ...] = (),
    certificate_chains: tuple[str, ...] = (),
    identities: tuple[str, ...] = (),
    issuer: str | None = None,
    trust_config: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> SignatureTrust:
    """Trust from CLI values, falling back to the AUDITOR_SIGNATURE_* environment variables.

    Path lists in the environment are separated like PATH; identities by commas.
    """
    env = os.environ if environ is None else environ
    found_identities = identities or tuple(
        i.strip() for i in env.get(IDENTITY_ENV, "").split(",") if i.strip()
    )
    found_issuer = issuer or env.get(ISSUER_ENV) or None
    if found_identities and not found_issuer:
        raise ConfigError(
            "--signature-identity: an identity needs the OIDC issuer that vouches for it",
            hint=f"add --signature-issuer URL (or {ISSUER_ENV})",
        )
    config = trust_config or env.get(TRUST_CONFIG_ENV) or None
    config_paths = _paths((config,), TRUST_CONFIG_ENV, env) if config else ()
    if config_paths:
        from auditor.sigstore_trust import check_trust_config

        check_trust_config(config_paths[0])  # a usage error now, not mid-scan
    return SignatureTrust(
        keys=_paths(keys, KEY_ENV, env),
        certificate_chains=_paths(certificate_chains, CERT_CHAIN_ENV, env),
        identities=found_identities,
        issuer=found_issuer,
        trust_config=config_paths[0] if config_paths else None,
    )
