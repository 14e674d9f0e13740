"""Local keys and certificate chains for signature tests: made with `cryptography`, offline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class KeyPair:
    """An EC P-256 key written as PEM files."""

    key: ec.EllipticCurvePrivateKey
    private: Path
    public: Path


def key_pair(folder: Path, name: str) -> KeyPair:
    """A fresh P-256 key as `<name>.key` / `<name>.pub` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    private = folder / f"{name}.key"
    public = folder / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return KeyPair(key, private, public)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(
    subject: KeyPair,
    common_name: str,
    issuer: KeyPair,
    issuer_cert: x509.Certificate | None,
    *,
    ca: bool,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    email: str | None = None,
) -> x509.Certificate:
    """A certificate for `subject`, signed by `issuer` (self-signed when issuer_cert is None)."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_cert.subject if issuer_cert is not None else _name(common_name))
        .public_key(subject.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(subject.key.public_key()), critical=False
        )
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
        )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    return builder.sign(issuer.key, hashes.SHA256())


def write_pem(path: Path, *certs: x509.Certificate) -> Path:
    """Certificates as one PEM file."""
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return path


@dataclass(frozen=True)
class Chain:
    """A root CA and a code-signing leaf, as PEM files."""

    root: Path
    leaf_key: Path
    leaf_cert: Path


def chain(
    folder: Path,
    *,
    leaf_not_before: datetime | None = None,
    leaf_not_after: datetime | None = None,
    root_not_after: datetime | None = None,
    root_not_before: datetime | None = None,
    name: str = "ca",
) -> Chain:
    """A self-signed root and a leaf (`signer@example.test`) it issued."""
    root_key = key_pair(folder, f"{name}-root")
    root = certificate(
        root_key, f"{name} Root", root_key, None, ca=True,
        not_before=root_not_before, not_after=root_not_after,
    )  # fmt: skip
    leaf_key = key_pair(folder, f"{name}-leaf")
    leaf = certificate(
        leaf_key, "Model Signer", root_key, root, ca=False, email="signer@example.test",
        not_before=leaf_not_before, not_after=leaf_not_after,
    )  # fmt: skip
    return Chain(
        root=write_pem(folder / f"{name}-root.pem", root),
        leaf_key=leaf_key.private,
        leaf_cert=write_pem(folder / f"{name}-leaf.pem", leaf),
    )
