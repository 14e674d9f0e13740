"""`scan` and `check-models`: collect, resolve, evaluate, store, and gate on the result."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.cli.common import echo, effective_policy, emit, history_scan, pdf_ready
from auditor.cli.options import (
    EXIT_PARTIAL,
    EXIT_POLICY,
    SEVERITIES,
    db_option,
    fail,
    output_options,
    policy_option,
    signature_options,
)
from auditor.cli.terminal import for_stderr, progress_display
from auditor.config import SBOM_PROFILES, Config, db_url, screening_lists, target_folder
from auditor.errors import AuditorError, OutputError
from auditor.escape import terminal
from auditor.model import Action, Scan, ScanStatus, Severity
from auditor.signatures import SignatureTrust

if TYPE_CHECKING:
    from auditor.store import Store
    from auditor.store.opening import OpeningStore

MAX_CONCURRENCY = 16
"""Registry requests in flight per host, at most (`auditor.http.HttpSettings.per_host`)."""


@click.command()
@click.argument("targets", nargs=-1, required=True)
@output_options
@click.option("--offline", is_flag=True, help="Use only the local metadata cache.")
@click.option("--no-resolve", is_flag=True, help="Inventory only; look nothing up.")
@click.option("--no-verify", is_flag=True, help="Do not hash files against their recorded digests.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching paths (repeatable).")
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit 1 when an unwaived finding is at or above this severity.",
)
@click.option("--strict", is_flag=True, help="Exit 3 when the scan is partial.")
@click.option("--no-store", is_flag=True, help="Do not record the scan in the store.")
@click.option(
    "--pypi-url",
    metavar="URL",
    help="PyPI base URL (default: AUDITOR_PYPI_URL, else pip's configured index).",
)
@click.option(
    "--concurrency", type=click.IntRange(1, MAX_CONCURRENCY), default=MAX_CONCURRENCY,
    show_default=True,
    help="Registry requests in flight per host (at most 16).",
)  # fmt: skip
@click.option(
    "--npm-registry",
    metavar="URL",
    help="npm registry URL (default: AUDITOR_NPM_REGISTRY, else npm's own configuration).",
)
@click.option(
    "--trust-target-config", is_flag=True,
    help="Also read the scanned folder's own .npmrc (by default only yours and the machine's).",
)  # fmt: skip
@click.option(
    "--deps-dev", is_flag=True,
    help="Ask deps.dev (AUDITOR_DEPSDEV_URL) for a second opinion on source repositories.",
)  # fmt: skip
@click.option(
    "--notify",
    metavar="URL",
    help="POST what is new since the previous scan of the same target to this webhook.",
)
@click.option(
    "--notify-format", type=click.Choice(("json", "slack")), default="json", show_default=True,
    help="Webhook payload: our JSON summary or a Slack incoming-webhook message.",
)  # fmt: skip
@policy_option
@click.option(
    "--platform", metavar="OS/ARCH[/VARIANT]",
    help="Which image of a multi-platform image index to scan (default: this machine's).",
)  # fmt: skip
@click.option(
    "--max-inflated-bytes", metavar="SIZE", default="64GiB", show_default=True,
    callback=lambda _ctx, _param, value: _size(value),
    help="What an image's compressed layers may inflate to in all (bytes, or with K/M/G/T, "
    "KiB/MiB/GiB/TiB); a layer past it is a diagnostic and is not inventoried.",
)  # fmt: skip
@click.option(
    "--max-image-entries", metavar="N", default=500_000, show_default=True,
    type=click.IntRange(min=1),
    help="How many files and folders an image's layers may list in all (memory: ~300 "
    "bytes each); a layer past it is a diagnostic and is not inventoried.",
)  # fmt: skip
@click.option(
    "--sbom-profile",
    "sbom_profile",
    multiple=True,
    type=click.Choice(SBOM_PROFILES),
    help="Check SBOM targets against a minimum-elements profile (repeatable): each field it "
    "requires and a document lacks is a sbom.missing-field finding.",
)
@db_option
@signature_options
@click.pass_obj
def scan(
    debug: bool,
    targets: tuple[str, ...],
    fmt: str,
    output: Path | None,
    pdf: Path | None,
    paper: str | None,
    min_severity: str,
    offline: bool,
    no_resolve: bool,
    no_verify: bool,
    exclude: tuple[str, ...],
    fail_on: str | None,
    strict: bool,
    no_store: bool,
    pypi_url: str | None,
    concurrency: int,
    npm_registry: str | None,
    trust_target_config: bool,
    deps_dev: bool,
    notify: str | None,
    notify_format: str,
    policy: Path | None,
    db: str | None,
    signatures: SignatureTrust,
    platform: str | None = None,
    max_inflated_bytes: int = 64 << 30,
    max_image_entries: int = 500_000,
    sbom_profile: tuple[str, ...] = (),
) -> None:
    """Collect, resolve, evaluate and store TARGETS (lockfiles, directories, environments,
    container images: docker-save archives and OCI layouts; model caches).

    A target's kind is detected; force it with a prefix: lockfile:PATH, dir:PATH, env:PATH,
    image:PATH, sbom:PATH, hf-cache:[PATH], modelscope:[PATH], ollama:[PATH], lmstudio:[PATH],
    llama-cpp:[PATH]. A cache prefix alone reads the cache the environment points at
    (HF_HUB_CACHE, HF_HOME…; MODELSCOPE_CACHE; OLLAMA_MODELS, else ~/.ollama/models;
    ~/.lmstudio/models; LLAMA_CACHE, else ~/.cache/llama.cpp).
    """
    from auditor.bulk import fewer_collections
    from auditor.pipeline import run_scan

    fewer_collections()
    config = Config(
        db_url=db_url(db, os.environ),
        offline=offline,
        no_resolve=no_resolve,
        sbom_profiles=sbom_profile,
        verify=not no_verify,
        excludes=exclude,
        fail_on=Severity(fail_on) if fail_on else None,
        strict=strict,
        store=not no_store,
        pypi_url=pypi_url,
        concurrency=concurrency,
        signatures=signatures,
        npm_registry=npm_registry,
        npm_project=target_folder(targets) if trust_target_config else None,
        deps_dev=deps_dev,
        platform=platform,
        max_inflated_bytes=max_inflated_bytes,
        max_image_entries=max_image_entries,
        screening_lists=screening_lists(None, os.environ),
    )
    try:
        pdf_ready(fmt, pdf)  # before the scan: a missing Chromium is found out at once
    except AuditorError as exc:
        fail(exc, debug)
    opening = _start_store(config, needed=notify is not None)
    try:
        judged_by = effective_policy(targets, policy)
        config = replace(config, policy=judged_by)
    except AuditorError as exc:
        fail(exc, debug)
    store: Store | None = None
    store_error: AuditorError | None = None
    notice: str | None = None
    try:
        cache = opening.http_cache() if opening is not None and not no_resolve else None
        try:
            # --no-store writes nothing, memoised digests included, and trusts no memo.
            memo = opening.digest_memo() if opening is not None and config.store else None
            history = _history_when_open(opening)
            with progress_display() as progress:
                result = run_scan(targets, config, cache, progress, history, memo)
        except AuditorError as exc:
            fail(exc, debug)
        if opening is not None:
            store, store_error = opening.result()
        previous = _previous_scan(store, result) if notify is not None else None
        if store is not None and config.store:
            try:
                store.save_scan(result)
            except AuditorError as exc:
                store_error = exc  # the report is still written: a failure loses nothing
        if notify is not None:
            notice = _notify(store, previous, result, notify, notify_format)
    finally:
        if store is not None:
            store.close()
    code = exit_code(result, config)
    try:
        emit(result, fmt, output, min_severity, verdict(result, config, code), pdf, paper)
    except OutputError as exc:
        fail(_unwritten(exc, result, fmt, stored=config.store and store_error is None), debug)
    for ref in _empty_targets(result):
        echo(f"warning: {ref}: nothing found (no lockfile, environment, package "
                   "database, model or weight file this version reads)", err=True)  # fmt: skip
    if notice is not None:
        echo(notice, err=True)
    if store_error is not None:
        if config.store:
            fail(store_error, debug)
        click.echo(f"warning: no metadata cache: {store_error.message}", err=True)
    if code == EXIT_POLICY and config.policy is not None:
        from auditor.policy.gate import explain, failing
        from auditor.policy.snippets import policy_file

        blocked = failing(result, config.fail_on)
        remedies = {f.rule: config.policy.remediation(f.rule) for f in blocked}
        where = policy_file(judged_by.settings.sources)
        text = explain(blocked, config.fail_on, remedies, where, config.today)
        echo(for_stderr(text), err=True, nl=False)
    sys.exit(code)


@click.command("check-models")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@policy_option
@click.option("--online", is_flag=True, help="Ask the hub; by default only the cache is used.")
@db_option
@click.pass_obj
def check_models(
    debug: bool, files: tuple[Path, ...], policy: Path | None, online: bool, db: str | None
) -> None:
    """Refuse models in FILES whose publisher or lineage root is not vetted (pre-commit hook).

    Reads model references in code, configs and scripts, and weight files; judges each with
    the policy (vetted_publishers, vetted_models, waivers). Prints nothing and exits 0 when
    nothing is blocked; exits 1 with what to vet or waive otherwise.
    """
    from auditor.check_models import explain, judge, models_in
    from auditor.pipeline import merge_components

    found = models_in(files)
    for d in found.diagnostics:
        echo(f"warning: {terminal(d.location)}: {terminal(d.message)}", err=True)
    components = merge_components(found.components)
    if not components:
        return
    try:
        effective = effective_policy(tuple(str(f) for f in files), policy)
    except AuditorError as exc:
        fail(exc, debug)
    config = Config(db_url=db_url(db, os.environ), offline=not online)
    store, _ = _open_store(config, needed=False)
    try:
        from auditor.resolution import resolve_components

        cache = store.http_cache() if store is not None else None
        resolved = resolve_components(components, config, cache)
        origins = resolved.origins
    finally:
        if store is not None:
            store.close()
    by_purl = {o.purl: o for o in origins}
    blocked = judge(components, by_purl, effective, config.today)
    if blocked:
        from auditor.policy.snippets import policy_file

        where = policy_file(effective.settings.sources)
        vetting = any(effective.names.get(n) for n in ("vetted_publishers", "vetted_models"))
        # lineage: every hop the resolver followed
        text = explain(blocked, where, config.today, vetting, resolved.dependencies)
        echo(for_stderr(text), err=True, nl=False)
        sys.exit(EXIT_POLICY)


def _history(store: Store | None) -> Callable[[str], Scan | None] | None:
    """The previous scan of a target identity, read before this scan is saved (for rules
    on changed origins and --notify); unreadable history is treated as none."""
    if store is None:
        return None

    def previous(identity: str) -> Scan | None:
        try:
            found = store.latest_scan(identity)
            return history_scan(store, found) if found is not None else None
        except AuditorError as exc:
            logging.getLogger(__name__).warning("previous scan unreadable: %s", exc.message)
            return None

    return previous


def _start_store(config: Config, needed: bool) -> OpeningStore | None:
    """The store `_open_store` would open, opened on a background thread while the scan
    collects (its failure never stops a scan either)."""
    if not config.store and config.no_resolve and not needed:
        return None
    from auditor.store.opening import OpeningStore

    return OpeningStore(config.db_url)


def _history_when_open(opening: OpeningStore | None) -> Callable[[str], Scan | None] | None:
    """`_history` of the store once it is open."""
    if opening is None:
        return None

    def previous(identity: str) -> Scan | None:
        found = _history(opening.result()[0])
        return found(identity) if found is not None else None

    return previous


def _open_store(config: Config, needed: bool) -> tuple[Store | None, AuditorError | None]:
    """The store for saving, the metadata cache and `needed` (by --notify); its failure
    never stops a scan."""
    if not config.store and config.no_resolve and not needed:
        return None, None
    from auditor.store import open_store

    try:
        return open_store(config.db_url), None
    except AuditorError as exc:
        return None, exc


def _previous_scan(store: Store | None, result: Scan) -> Scan | None:
    """What each target of `result` found when it was last scanned, read before `result` is
    saved; None if none was (the notification then lists everything)."""
    from auditor.target_history import previous_scan

    history = _history(store)
    return previous_scan(result.targets, history) if history is not None else None


def _notify(
    store: Store | None, previous: Scan | None, result: Scan, url: str, fmt: str
) -> str | None:
    """Send the notification; a warning to print when it failed (never an exit)."""
    from auditor.diff import diff_scans
    from auditor.notify import payload, send

    if store is None:  # without a store there is no previous scan to compare with
        logging.getLogger(__name__).info("notifying without a previous scan: no store")
    try:
        send(url, payload(result, diff_scans(previous, result), fmt))
    except AuditorError as exc:
        return f"warning: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
    return None


def _empty_targets(result: Scan) -> list[str]:
    """Targets in which no component was found (an empty folder, a typo'd path to one)."""
    found = {loc.target for c in result.components for loc in c.locations}
    return [t.ref for t in result.targets if t.ref not in found]


def _unwritten(exc: OutputError, result: Scan, fmt: str, stored: bool) -> OutputError:
    """The output error, with how to get the report once the scan is stored (or that it is
    not)."""
    if not stored:
        return OutputError(exc.message, hint=f"scan {result.id} was not stored; run it again")
    again = f"auditor report {result.id} --format {fmt} -o FILE"
    return OutputError(exc.message, hint=f"scan {result.id} is stored; write it with: {again}")


def verdict(result: Scan, config: Config, code: int) -> str:
    """What the exit status means, for the table's closing line."""
    if code == EXIT_POLICY:
        live = [f for f in result.findings if not f.waived]
        blocked = sum(1 for f in live if f.action is Action.BLOCK)
        failing = [f for f in live if f.action is not Action.BLOCK and config.fail_on is not None
                   and f.severity.rank >= config.fail_on.rank]  # fmt: skip
        why = []
        if blocked:
            why.append(f"{blocked} finding{'s' if blocked != 1 else ''} blocked by policy")
        if failing and config.fail_on is not None:
            why.append(f"{len(failing)} at or above --fail-on {config.fail_on.value}")
        return f"exit 1: {' and '.join(why)}"
    if code == EXIT_PARTIAL:
        return "exit 3: the scan is partial (--strict)"
    if result.status is not ScanStatus.COMPLETE:
        return "exit 0: nothing blocked; the scan is partial (--strict would exit 3)"
    return "exit 0: nothing blocked"


def exit_code(result: Scan, config: Config) -> int:
    """1 for a policy failure, else 3 for a partial scan under --strict, else 0."""
    live = [f for f in result.findings if not f.waived]
    if any(f.action is Action.BLOCK for f in live) or (
        config.fail_on is not None and any(f.severity.rank >= config.fail_on.rank for f in live)
    ):
        return EXIT_POLICY
    if config.strict and result.status is not ScanStatus.COMPLETE:
        return EXIT_PARTIAL
    return 0


_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_UNITS |= {f"{u}ib": 1024 ** (i + 1) for i, u in enumerate("kmgt")}


def _size(value: str) -> int:
    """`--max-inflated-bytes`: a positive byte count, with an optional decimal or binary unit."""
    text = str(value).strip().lower()
    if text.endswith("b") and not text.endswith("ib"):
        text = text[:-1]  # `GB` is `G`
    digits = text.rstrip("kmgtib")
    unit = text[len(digits) :]
    if not digits.isdigit() or unit not in _UNITS or int(digits) <= 0:
        raise click.BadParameter(f"{value!r} is not a size (say 64GiB, 500M or 1000000)")
    return int(digits) * _UNITS[unit]
