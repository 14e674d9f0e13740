"""What every command shares: the common options, the exit codes, and the one way an error
ends a command (a message and its hint on stderr, the error's exit code; a traceback only with
--debug)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from auditor.errors import AuditorError
from auditor.model import Severity
from auditor.render import FORMAT_NAMES
from auditor.signatures import signature_trust

EXIT_POLICY = 1
EXIT_UNUSABLE = 2
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command ended by Ctrl-C
SEVERITIES = tuple(s.value for s in Severity)

F = TypeVar("F", bound=Callable[..., object])


def fail(exc: AuditorError, debug: bool) -> NoReturn:
    if debug:
        raise exc
    from auditor.escape import terminal_lines
    from auditor.urls import redact_text

    # Messages name files, values and URLs from the input: redacted, terminal-safe; several
    # problems: one `error:` line each.
    for line in exc.message.splitlines():
        click.echo(_printable(terminal_lines(redact_text(f"error: {line}"))), err=True)
    if exc.hint:
        click.echo(_printable(terminal_lines(redact_text(f"hint: {exc.hint}"))), err=True)
    sys.exit(exc.exit_code)


def _printable(text: str) -> str:
    """A message quoting input that is not valid Unicode (a lone surrogate from a JSON
    escape or a non-UTF-8 file name) cannot be written to stderr as it is: escape it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        help="SQLAlchemy URL of the scan store (default: AUDITOR_DB, else SQLite in the "
        "user data dir).",
    )(func)


def output_options(func: F) -> F:
    func = click.option(
        "--min-severity", type=click.Choice(SEVERITIES), default="low", show_default=True,
        help="List findings from this severity up in the table and Markdown (the rest are "
        "counted). Gating, JSON, SARIF and SBOMs are never filtered.",
    )(func)  # fmt: skip
    func = click.option(
        "--paper", type=click.Choice(("a4", "letter")), default=None,
        help="With --format attestation: the page size it prints on (default: the printer's; "
        "A4 with --pdf).",
    )(func)  # fmt: skip
    func = click.option(
        "--pdf", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="With --format attestation or html: print it to a PDF FILE through a headless "
        "Chromium (AUDITOR_CHROMIUM, else chromium on PATH; exit 2 when none is found).",
    )(func)  # fmt: skip
    func = click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
    )(func)
    return click.option(
        "--format", "-f", "fmt", type=click.Choice(FORMAT_NAMES), default="table", show_default=True
    )(func)


def policy_option(func: F) -> F:
    return click.option(
        "--policy",
        type=click.Path(exists=True, path_type=Path),
        help="A policy file (auditor.toml form), a rule pack (.yaml) or a directory of them "
        "(default: AUDITOR_POLICY); the configuration found near the target may only tighten it.",
    )(func)


SIGNATURE_FLAGS = (
    ("signature_key", "--signature-key", "PATH", "A PEM public key signatures may use."),
    ("signature_cert_chain", "--signature-cert-chain", "PATH", "PEM CA certificates a signing "
     "certificate must chain to."),
    ("signature_identity", "--signature-identity", "ID", "A Sigstore signer identity (email or "
     "workflow URI) to accept."),
)  # fmt: skip


def signature_options(func: F) -> F:
    """`--signature-*` flags (env: AUDITOR_SIGNATURE_*), handed over as one SignatureTrust."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:  # click passes what the options parse
        raw = {name: kwargs.pop(name) for name in ("signature_key", "signature_cert_chain",
               "signature_identity", "signature_issuer", "signature_trust_config")}  # fmt: skip
        try:
            kwargs["signatures"] = signature_trust(
                keys=tuple(raw["signature_key"]),
                certificate_chains=tuple(raw["signature_cert_chain"]),
                identities=tuple(raw["signature_identity"]),
                issuer=raw["signature_issuer"],
                trust_config=raw["signature_trust_config"],
            )
        except AuditorError as exc:
            fail(exc, bool(args[0]) if args else False)
        return func(*args, **kwargs)

    decorated: Callable[..., object] = wrapper
    decorated = click.option(
        "--signature-trust-config", metavar="PATH",
        help="Sigstore trust config JSON for a private Sigstore (default: the public one).",
    )(decorated)  # fmt: skip
    decorated = click.option(
        "--signature-issuer", metavar="URL", help="OIDC issuer of --signature-identity."
    )(decorated)
    for name, flag, metavar, text in reversed(SIGNATURE_FLAGS):
        decorated = click.option(flag, name, multiple=True, metavar=metavar, help=text)(decorated)
    return decorated  # type: ignore[return-value]
