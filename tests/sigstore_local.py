"""A local Sigstore instance: our own Fulcio CA, CT log and Rekor log, and its trust config.

It makes npm provenance bundles the way npm publishes them, with the real cryptography and
no hand-typed material:
- the in-toto statement is built and DSSE-signed by sigstore's own API (`sigstore.dsse`);
- the signing certificate is issued as Fulcio issues it (an ephemeral P-256 key, the
  workflow URI as critical SAN, the Fulcio extensions of fulcio `docs/oid-info.md`, code
  signing EKU) with an embedded SCT signed by the CT log over the precertificate
  (RFC 6962 §3.2, the blob sigstore's `verify_sct` rebuilds);
- the log entry is what Rekor records for npm's submission, an `intoto` 0.0.2 entry
  (sigstore-js `toProposedIntotoEntry`; Rekor's canonical form drops the payload), appended
  to an RFC 6962 Merkle tree, with an inclusion proof, a signed checkpoint (a signed note:
  origin, size, root, then `— <name> <base64(key hint ‖ signature)>`) and a signed entry
  timestamp over the RFC 8785 form of {body, integratedTime, logID, logIndex};
- the bundle is assembled by sigstore (`Bundle._from_parts`), so its JSON is sigstore's.

`trust_config()` is a ClientTrustConfig naming these keys, as `--signature-trust-config`
takes it. Nothing here is trusted by the public-good root, so a bundle from here verifies
only where the test hands that config over.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FULCIO = "1.3.6.1.4.1.57264.1."
SCT_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
ISSUER = "https://token.actions.githubusercontent.com"
ORIGIN = "rekor.local.invalid - 1234567890"
PROVENANCE_V1 = "https://slsa.dev/provenance/v1"


@dataclass(frozen=True)
class Build:
    """The GitHub Actions run a bundle claims: what Fulcio writes into the certificate."""

    repository: str = "https://github.com/acme/widget"
    repository_id: str = "424242"
    owner_id: str = "4242"
    ref: str = "refs/heads/main"
    commit: str = "8a2ee2f1c0ffee0000000000000000000000beef"
    workflow: str = ".github/workflows/release.yml"

    @property
    def identity(self) -> str:
        return f"{self.repository}/{self.workflow}@{self.ref}"

    def extensions(self) -> dict[str, str]:
        owner = self.repository.rsplit("/", 1)[0]
        return {
            "8": ISSUER,
            "9": self.identity,
            "12": self.repository,
            "13": self.commit,
            "14": self.ref,
            "15": self.repository_id,
            "16": owner,
            "17": self.owner_id,
            "21": f"{self.repository}/actions/runs/1/attempts/1",
        }


def _der_utf8(text: str) -> bytes:
    raw = text.encode()
    if len(raw) < 0x80:
        return b"\x0c" + bytes([len(raw)]) + raw
    width = (len(raw).bit_length() + 7) // 8
    return b"\x0c" + bytes([0x80 | width]) + len(raw).to_bytes(width, "big") + raw


def _der_octets(raw: bytes) -> bytes:
    if len(raw) < 0x80:
        return b"\x04" + bytes([len(raw)]) + raw
    width = (len(raw).bit_length() + 7) // 8
    return b"\x04" + bytes([0x80 | width]) + len(raw).to_bytes(width, "big") + raw


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    return hashlib.sha256(_spki(key)).digest()


def _leaf_hash(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (RFC 6962 §2.1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return hashlib.sha256(b"\x01" + _root(leaves[:k]) + _root(leaves[k:])).digest()


def _path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n]): the audit path of leaf `index`, leaf side first."""
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*_path(index, leaves[:k]), _root(leaves[k:])]
    return [*_path(index - k, leaves[k:]), _root(leaves[:k])]


@dataclass
class LocalSigstore:
    """One Fulcio, one CT log, one Rekor; `bodies` is the log's content so far."""

    start: dt.datetime = field(
        default_factory=lambda: (
            dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
        )
    )
    ca_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP384R1())
    )
    ct_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    rekor_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    bodies: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        name = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "local.invalid"),
            x509.NameAttribute(NameOID.COMMON_NAME, "local-fulcio"),
        ])  # fmt: skip
        public = self.ca_key.public_key()
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.start)
            .not_valid_after(self.start + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self.ca_key, hashes.SHA384())
        )
        # A few earlier entries, so inclusion proofs have a real audit path.
        self.bodies.extend(f"earlier entry {i}".encode() for i in range(5))

    # -- the trust root -------------------------------------------------------------------

    def trust_config(self) -> dict[str, Any]:
        """A ClientTrustConfig (sigstore protobuf-specs) trusting exactly this instance."""
        since = {"start": self.start.isoformat().replace("+00:00", "Z")}

        def log(url: str, key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
            public = key.public_key()
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64.b64encode(_spki(public)).decode(),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": since,
                },
                "logId": {"keyId": base64.b64encode(_key_id(public)).decode()},
            }

        der = self.ca_cert.public_bytes(serialization.Encoding.DER)
        root = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log("https://rekor.local.invalid", self.rekor_key)],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "local.invalid", "commonName": "local-fulcio"},
                    "uri": "https://fulcio.local.invalid",
                    "certChain": {"certificates": [{"rawBytes": base64.b64encode(der).decode()}]},
                    "validFor": since,
                }
            ],
            "ctlogs": [log("https://ctfe.local.invalid", self.ct_key)],
            "timestampAuthorities": [],
        }
        signing = {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [{"url": "https://fulcio.local.invalid", "majorApiVersion": 1,
                        "validFor": since, "operator": "local.invalid"}],
            "oidcUrls": [],
            "rekorTlogUrls": [{"url": "https://rekor.local.invalid", "majorApiVersion": 1,
                               "validFor": since, "operator": "local.invalid"}],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaUrls": [],
            "tsaConfig": {"selector": "ANY"},
        }  # fmt: skip
        return {
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": root,
            "signingConfig": signing,
        }

    def write_trust_config(self, path: Path) -> Path:
        path.write_text(json.dumps(self.trust_config()), encoding="utf-8")
        return path

    # -- Fulcio ---------------------------------------------------------------------------

    def certificate(self, key: ec.EllipticCurvePublicKey, build: Build) -> x509.Certificate:
        """A 10-minute code-signing certificate for `build`, with its SCT embedded."""
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.ca_cert.subject)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(minutes=10))
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(build.identity)]),
                critical=True,
            )
        )
        for suffix, value in build.extensions().items():
            oid = x509.ObjectIdentifier(FULCIO + suffix)
            builder = builder.add_extension(
                x509.UnrecognizedExtension(oid, _der_utf8(value)), critical=False
            )
        precert = builder.sign(self.ca_key, hashes.SHA384())
        sct = self._sct(precert.tbs_certificate_bytes, now)
        cert = builder.add_extension(
            x509.UnrecognizedExtension(SCT_OID, _der_octets(sct)), critical=False
        ).sign(self.ca_key, hashes.SHA384())
        assert cert.tbs_precertificate_bytes == precert.tbs_certificate_bytes
        return cert

    def _sct(self, tbs: bytes, when: dt.datetime) -> bytes:
        """A SignedCertificateTimestampList with one v1 precert SCT (RFC 6962 §3.2, §3.3)."""
        millis = int(when.timestamp() * 1000)
        issuer_key_hash = _key_id(self.ca_key.public_key())
        signed = (
            bytes([0, 0])  # sct_version v1, signature_type certificate_timestamp
            + millis.to_bytes(8, "big")
            + (1).to_bytes(2, "big")  # entry_type precert_entry
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + (0).to_bytes(2, "big")  # no extensions
        )
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        one = (
            bytes([0])
            + _key_id(self.ct_key.public_key())
            + millis.to_bytes(8, "big")
            + (0).to_bytes(2, "big")
            + bytes([4, 3])  # sha256, ecdsa
            + len(signature).to_bytes(2, "big")
            + signature
        )
        item = len(one).to_bytes(2, "big") + one
        return len(item).to_bytes(2, "big") + item

    # -- Rekor ----------------------------------------------------------------------------

    def log_intoto(self, payload_type: str, payload: bytes, signature: bytes,
                   cert: x509.Certificate) -> Any:  # fmt: skip
        """Record an envelope as Rekor records npm's intoto 0.0.2 submission; the entry."""
        pem = cert.public_bytes(serialization.Encoding.PEM)
        envelope_hash = hashlib.sha256(
            rfc8785.dumps({
                "payloadType": payload_type,
                "payload": base64.b64encode(payload).decode(),
                "signatures": [{"sig": base64.b64encode(signature).decode(),
                                "publicKey": pem.decode()}],
            })
        ).hexdigest()  # fmt: skip
        body = {
            "apiVersion": "0.0.2",
            "kind": "intoto",
            "spec": {"content": {
                "envelope": {
                    "payloadType": payload_type,
                    "signatures": [{
                        "sig": base64.b64encode(base64.b64encode(signature)).decode(),
                        "publicKey": base64.b64encode(pem).decode(),
                    }],
                },
                "hash": {"algorithm": "sha256", "value": envelope_hash},
                "payloadHash": {"algorithm": "sha256",
                                "value": hashlib.sha256(payload).hexdigest()},
            }},
        }  # fmt: skip
        return self.append(rfc8785.dumps(body), ("intoto", "0.0.2"))

    def append(self, body: bytes, kind: tuple[str, str]) -> Any:
        """Append a canonical body; the TransparencyLogEntry (sigstore's model) for it."""
        from sigstore.models import TransparencyLogEntry
        from sigstore_models.common import v1 as common_v1
        from sigstore_models.rekor import v1 as rekor_v1

        index = len(self.bodies)
        self.bodies.append(body)
        leaves = [_leaf_hash(b) for b in self.bodies]
        root = _root(leaves)
        log_id = _key_id(self.rekor_key.public_key())
        integrated = int(dt.datetime.now(dt.UTC).timestamp())
        promise = self._sign(rfc8785.dumps({
            "body": base64.b64encode(body).decode(),
            "integratedTime": integrated,
            "logID": log_id.hex(),
            "logIndex": index,
        }))  # fmt: skip
        note = f"{ORIGIN}\n{len(leaves)}\n{base64.b64encode(root).decode()}\n"
        hint_and_signature = log_id[:4] + self._sign(note.encode())
        checkpoint = (
            f"{note}\n\u2014 {ORIGIN.split()[0]} {base64.b64encode(hint_and_signature).decode()}\n"
        )
        b64 = base64.b64encode
        inner = rekor_v1.TransparencyLogEntry(
            log_index=str(index),  # type: ignore[arg-type]
            log_id=common_v1.LogId(key_id=b64(log_id)),
            kind_version=rekor_v1.KindVersion(kind=kind[0], version=kind[1]),
            integrated_time=str(integrated),  # type: ignore[arg-type]
            inclusion_promise=rekor_v1.InclusionPromise(signed_entry_timestamp=b64(promise)),
            inclusion_proof=rekor_v1.InclusionProof(
                log_index=str(index),  # type: ignore[arg-type]
                root_hash=b64(root),
                tree_size=str(len(leaves)),  # type: ignore[arg-type]
                hashes=[b64(h) for h in _path(index, leaves)],
                checkpoint=rekor_v1.Checkpoint(envelope=checkpoint),
            ),
            canonicalized_body=b64(body),
        )
        return TransparencyLogEntry(inner)

    def _sign(self, data: bytes) -> bytes:
        return self.rekor_key.sign(data, ec.ECDSA(hashes.SHA256()))

    # -- npm ------------------------------------------------------------------------------

    def npm_bundle(self, purl: str, sha512: str, build: Build | None = None) -> dict[str, Any]:
        """The SLSA provenance bundle `npm publish --provenance` would attach to `purl`
        (whose tarball has this sha512, hex), as JSON."""
        _, cert, envelope = self.sign_statement(purl, sha512, build)
        return bundle_json(cert, envelope, self.log_envelope(envelope, cert))

    def sign_statement(
        self,
        purl: str,
        sha512: str,
        build: Build | None = None,
        others: tuple[tuple[str, str], ...] = (),
    ) -> Any:
        """(ephemeral key, its certificate, the DSSE envelope) of a SLSA v1 statement about
        `purl` (and the `others`, (name, sha512) each)."""
        from sigstore import dsse

        build = build or Build()
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.certificate(key.public_key(), build)
        statement = (
            dsse.StatementBuilder()
            .subjects(
                [
                    dsse.Subject(name=name, digest=dsse.DigestSet({"sha512": digest}))
                    for name, digest in ((purl, sha512), *others)
                ]
            )
            .predicate_type(PROVENANCE_V1)
            .predicate(_slsa_predicate(build))
            .build()
        )
        return key, cert, dsse._sign(key, statement)

    def log_envelope(self, envelope: Any, cert: x509.Certificate) -> Any:
        """The log entry for a sigstore DSSE envelope, as npm's client submits it."""
        inner = envelope._inner
        return self.log_intoto(inner.payload_type, inner.payload, inner.signatures[0].sig, cert)


def bundle_json(cert: x509.Certificate, envelope: Any, entry: Any) -> dict[str, Any]:
    """The bundle sigstore assembles from these parts, as JSON."""
    from sigstore.models import Bundle

    bundle: dict[str, Any] = json.loads(Bundle._from_parts(cert, envelope, entry, []).to_json())
    return bundle


def _slsa_predicate(build: Build) -> dict[str, Any]:
    """SLSA v1 provenance in the layout npm's GitHub Actions builds write."""
    repo = build.repository
    return {
        "buildDefinition": {
            "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {"ref": build.ref, "repository": repo, "path": build.workflow}
            },
            "internalParameters": {
                "github": {
                    "event_name": "push",
                    "repository_id": build.repository_id,
                    "repository_owner_id": build.owner_id,
                }
            },
            "resolvedDependencies": [
                {"uri": f"git+{repo}@{build.ref}", "digest": {"gitCommit": build.commit}}
            ],
        },
        "runDetails": {
            "builder": {"id": "https://github.com/actions/runner/github-hosted"},
            "metadata": {"invocationId": f"{repo}/actions/runs/1/attempts/1"},
        },
    }


def public_trust_config(path: Path) -> Path:
    """The public-good trust root sigstore-python ships, written as a ClientTrustConfig file
    (what a user would hand to `--signature-trust-config`); read offline."""
    from importlib import resources

    store = resources.files("sigstore") / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
    path.write_text(
        json.dumps(
            {
                "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                "trustedRoot": json.loads((store / "trusted_root.json").read_text()),
                "signingConfig": json.loads((store / "signing_config.v0.2.json").read_text()),
            }
        )
    )
    return path
