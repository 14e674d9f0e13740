"""The command line: builds a Config, calls the pipeline, renders, maps errors to exit codes.

The only module that prints or exits. Heavy modules (SQLAlchemy, jinja2) are imported inside
the commands that need them: start-up time is most of a small scan's wall time.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from auditor import __version__
from auditor.config import Config, db_url
from auditor.errors import AuditorError
from auditor.model import Action, Scan, ScanStatus, Severity
from auditor.render import FORMAT_NAMES
from auditor.signatures import SignatureTrust, signature_trust

if TYPE_CHECKING:
    from auditor.policy.engine import Policy
    from auditor.store import Store

EXIT_POLICY = 1
EXIT_UNUSABLE = 2
EXIT_PARTIAL = 3
SEVERITIES = tuple(s.value for s in Severity)

F = TypeVar("F", bound=Callable[..., object])


def _fail(exc: AuditorError, debug: bool) -> NoReturn:
    if debug:
        raise exc
    click.echo(f"error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"hint: {exc.hint}", err=True)
    sys.exit(exc.exit_code)


def _db_option(func: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        help="SQLAlchemy URL of the scan store (default: AUDITOR_DB, else SQLite in the "
        "user data dir).",
    )(func)


def _output_options(func: F) -> F:
    func = click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
    )(func)
    return click.option(
        "--format", "-f", "fmt", type=click.Choice(FORMAT_NAMES), default="table", show_default=True
    )(func)


def _policy_option(func: F) -> F:
    return click.option(
        "--policy",
        type=click.Path(exists=True, path_type=Path),
        help="A policy file (auditor.toml form), a rule pack (.yaml) or a directory of them; "
        "laid over the configuration found near the target.",
    )(func)


_SIGNATURE_FLAGS = (
    ("signature_key", "--signature-key", "PATH", "A PEM public key signatures may use."),
    ("signature_cert_chain", "--signature-cert-chain", "PATH", "PEM CA certificates a signing "
     "certificate must chain to."),
    ("signature_identity", "--signature-identity", "ID", "A Sigstore signer identity (email or "
     "workflow URI) to accept."),
)  # fmt: skip


def _signature_options(func: F) -> F:
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
            _fail(exc, bool(args[0]) if args else False)
        return func(*args, **kwargs)

    decorated: Callable[..., object] = wrapper
    decorated = click.option(
        "--signature-trust-config", metavar="PATH",
        help="Sigstore trust config JSON for a private Sigstore (default: the public one).",
    )(decorated)  # fmt: skip
    decorated = click.option(
        "--signature-issuer", metavar="URL", help="OIDC issuer of --signature-identity."
    )(decorated)
    for name, flag, metavar, text in reversed(_SIGNATURE_FLAGS):
        decorated = click.option(flag, name, multiple=True, metavar=metavar, help=text)(decorated)
    return decorated  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("--verbose", "-v", is_flag=True, help="Log what each stage does.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: bool) -> None:
    """Origin Auditor: where does everything we run come from?"""
    ctx.obj = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@_output_options
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
    "--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
    help="Registry requests in flight per host (at most 16).",
)  # fmt: skip
@click.option(
    "--npm-registry",
    metavar="URL",
    help="npm registry URL (default: AUDITOR_NPM_REGISTRY, else npm's own configuration).",
)
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
@_policy_option
@click.option(
    "--platform", metavar="OS/ARCH[/VARIANT]",
    help="Which image of a multi-platform image index to scan (default: this machine's).",
)  # fmt: skip
@_db_option
@_signature_options
@click.pass_obj
def scan(
    debug: bool,
    targets: tuple[str, ...],
    fmt: str,
    output: Path | None,
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
    deps_dev: bool,
    notify: str | None,
    notify_format: str,
    policy: Path | None,
    db: str | None,
    signatures: SignatureTrust,
    platform: str | None = None,
) -> None:
    """Collect, resolve, evaluate and store TARGETS (lockfiles, directories, environments,
    container images: docker-save archives and OCI layouts).

    A target's kind is detected; force it with a prefix: lockfile:PATH, dir:PATH, env:PATH,
    image:PATH.
    """
    from auditor.pipeline import run_scan

    config = Config(
        db_url=db_url(db, os.environ),
        offline=offline,
        no_resolve=no_resolve,
        verify=not no_verify,
        excludes=exclude,
        fail_on=Severity(fail_on) if fail_on else None,
        strict=strict,
        store=not no_store,
        pypi_url=pypi_url,
        concurrency=concurrency,
        signatures=signatures,
        npm_registry=npm_registry,
        deps_dev=deps_dev,
        platform=platform,
    )
    try:
        config = replace(config, policy=_policy(targets, policy))
    except AuditorError as exc:
        _fail(exc, debug)
    store, store_error = _open_store(config, needed=notify is not None)
    notice: str | None = None
    try:
        cache = store.http_cache() if store is not None and not no_resolve else None
        progress = _progress if sys.stderr.isatty() and not no_resolve else None
        try:
            memo = store.digest_memo() if store is not None else None
            result = run_scan(targets, config, cache, progress, _history(store), memo)
        except AuditorError as exc:
            _fail(exc, debug)
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
    _emit(result, fmt, output)
    if notice is not None:
        click.echo(notice, err=True)
    if store_error is not None:
        if config.store:
            _fail(store_error, debug)
        click.echo(f"warning: no metadata cache: {store_error.message}", err=True)
    code = exit_code(result, config)
    if code == EXIT_POLICY and config.policy is not None:
        from auditor.policy.gate import explain, failing

        blocked = failing(result, config.fail_on)
        remedies = {f.rule: config.policy.remediation(f.rule) for f in blocked}
        click.echo(explain(blocked, config.fail_on, remedies), err=True, nl=False)
    sys.exit(code)


@cli.command("check-models")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_policy_option
@click.option("--online", is_flag=True, help="Ask the hub; by default only the cache is used.")
@_db_option
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
        click.echo(f"warning: {d.location}: {d.message}", err=True)
    components = merge_components(found.components)
    if not components:
        return
    try:
        effective = _policy(tuple(str(f) for f in files), policy)
    except AuditorError as exc:
        _fail(exc, debug)
    config = Config(db_url=db_url(db, os.environ), offline=not online)
    store, _ = _open_store(config, needed=False)
    try:
        from auditor.resolution import resolve_all

        cache = store.http_cache() if store is not None else None
        origins, _ = resolve_all(components, config, cache)
    finally:
        if store is not None:
            store.close()
    by_purl = {o.purl: o for o in origins}
    blocked = judge(components, by_purl, effective, config.today)
    if blocked:
        sources = effective.settings.sources
        click.echo(explain(blocked, sources[-1] if sources else None), err=True, nl=False)
        sys.exit(EXIT_POLICY)


def _policy(targets: tuple[str, ...], flag: Path | None) -> Policy:
    """The policy in effect: configuration discovered near the target (or the working
    directory), `--policy` laid over it, every pack read and checked."""
    from auditor.config import discover_policy_file
    from auditor.policy.engine import load_policy
    from auditor.policy.settings import load_settings

    found = discover_policy_file(targets, Path.cwd())
    return load_policy(load_settings(found, flag))


def _history(store: Store | None) -> Callable[[str], Scan | None] | None:
    """The previous scan of a target identity, read before this scan is saved (for rules
    on changed origins); unreadable history is treated as none."""
    if store is None:
        return None

    def previous(identity: str) -> Scan | None:
        try:
            found = store.latest_scan(identity)
            return store.load_scan(found, detail=False) if found is not None else None
        except AuditorError as exc:
            logging.getLogger(__name__).warning("previous scan unreadable: %s", exc.message)
            return None

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
    """The newest stored scan of the first target, read before `result` is saved; None if
    there is none or it cannot be read (the notification then lists everything)."""
    if store is None or not result.targets:
        return None
    try:
        found = store.latest_scan(result.targets[0].identity)
        return store.load_scan(found, detail=False) if found is not None else None
    except AuditorError as exc:
        logging.getLogger(__name__).warning("previous scan unreadable: %s", exc.message)
        return None


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


def _progress(done: int, total: int) -> None:
    click.echo(f"\rresolving origins {done}/{total}", err=True, nl=done == total)


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


def _emit(result: Scan, fmt: str, output: Path | None) -> None:
    from auditor.render import renderer

    text = renderer(fmt).render(result)
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(
        f"scan {result.id}: {result.status.value}, {len(result.components)} components, "
        f"{len(result.findings)} findings, {len(result.diagnostics)} diagnostics; "
        f"{fmt} written to {output}",
        err=True,
    )


@cli.command()
@click.argument("scan_id")
@_output_options
@_db_option
@click.pass_obj
def report(debug: bool, scan_id: str, fmt: str, output: Path | None, db: str | None) -> None:
    """Render a stored scan (SCAN_ID or a unique prefix of it)."""
    try:
        _emit(_load_scan(scan_id, db), fmt, output)
    except AuditorError as exc:
        _fail(exc, debug)


# --- history, diffs, retention (auditor/diff.py): many scans of one target over time -------

DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _identity(store: Store, target: str) -> str:
    """A stored target identity for `target`: an identity itself, or a path (optionally
    with a `kind:` prefix) made absolute as the scan does it."""
    if store.latest_scan(target) is not None:
        return target
    # Only now: the pipeline imports every collector, a tenth of a second.
    from auditor.errors import UsageError
    from auditor.model import TargetKind
    from auditor.pipeline import PREFIXES

    prefix, sep, rest = target.partition(":")
    kinds = [k.value for k in TargetKind]
    if sep and prefix in kinds:
        kinds, target = [prefix], rest
    elif sep and (forced := PREFIXES.get(prefix)) is not None:
        kinds, target = [forced.value], rest
    path = Path(target).expanduser().resolve().as_posix()
    found = [f"{k}:{path}" for k in kinds if store.latest_scan(f"{k}:{path}") is not None]
    if not found:
        raise UsageError(
            f"{target}: no stored scans of this target",
            hint="`auditor history` lists the stored scans and their targets",
        )
    if len(found) > 1:
        raise UsageError(
            f"{target}: stored as several targets", hint="name one: " + ", ".join(found)
        )
    return found[0]


@cli.command()
@click.option("--target", metavar="TARGET", help="Only scans of this path or target identity.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json")), default="table")
@_db_option
@click.pass_obj
def history(debug: bool, target: str | None, limit: int | None, fmt: str, db: str | None) -> None:
    """Stored scans, newest first: id, start time, status, counts, targets."""
    from auditor.diff_render import history_json, history_table
    from auditor.store import open_store

    try:
        with open_store(db_url(db, os.environ)) as store:
            identity = _identity(store, target) if target is not None else None
            summaries = store.list_scans(identity, limit)
    except AuditorError as exc:
        _fail(exc, debug)
    click.echo((history_json if fmt == "json" else history_table)(summaries), nl=False)


@cli.command()
@click.argument("scans", nargs=-1)
@click.option("--since-last", metavar="TARGET", help="Diff the last two scans of TARGET.")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(("table", "json", "markdown")), default="table"
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@_db_option
@click.pass_obj
def diff(
    debug: bool,
    scans: tuple[str, ...],
    since_last: str | None,
    fmt: str,
    output: Path | None,
    db: str | None,
) -> None:
    """What changed from scan A to scan B (ids or prefixes), or in the last scan of a target:
    components added, removed, upgraded, downgraded; origin changes (takeover signals);
    new and resolved findings."""
    from auditor.diff import diff_scans
    from auditor.diff_render import render_diff
    from auditor.errors import UsageError
    from auditor.store import open_store

    try:
        if (since_last is None) == (len(scans) != 2):
            raise UsageError(
                "diff: give two scan ids, or --since-last TARGET",
                hint="auditor diff A B  |  auditor diff --since-last TARGET",
            )
        with open_store(db_url(db, os.environ)) as store:
            if since_last is not None:
                identity = _identity(store, since_last)
                ids = [s.id for s in store.list_scans(identity, 2)]
                if len(ids) < 2:
                    raise UsageError(
                        f"{identity}: only one stored scan, nothing to compare",
                        hint="scan it again, then diff",
                    )
                scans = (ids[1], ids[0])
            old, new = (store.load_scan(s, detail=False) for s in scans)
    except AuditorError as exc:
        _fail(exc, debug)
    _write_text(render_diff(diff_scans(old, new), fmt), output, f"{fmt} diff")


def parse_duration(text: str) -> float:
    """Seconds in `30d`, `12h`, `90m`, `2w`; UsageError otherwise."""
    from auditor.errors import UsageError

    number, unit = text[:-1], text[-1:]
    if unit not in DURATION_UNITS or not number.isdigit():
        raise UsageError(
            f"--older-than {text}: not a duration", hint="use a whole number and m, h, d or w"
        )
    return int(number) * DURATION_UNITS[unit]


@cli.command()
@click.option("--keep-last", type=click.IntRange(min=0), help="Keep the N newest per target.")
@click.option("--older-than", metavar="DURATION", help="Delete scans older than 30d, 12h, 2w…")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@_db_option
@click.pass_obj
def prune(
    debug: bool, keep_last: int | None, older_than: str | None, dry_run: bool, db: str | None
) -> None:
    """Delete old scans with everything they hold (target identities stay).

    Both options given: a scan goes only when both say so.
    """
    from datetime import UTC, datetime, timedelta

    from auditor.errors import UsageError
    from auditor.store import open_store

    try:
        if keep_last is None and older_than is None:
            raise UsageError("prune: nothing selected", hint="give --keep-last N or --older-than")
        cutoff = None
        if older_than is not None:
            cutoff = datetime.now(UTC) - timedelta(seconds=parse_duration(older_than))
        with open_store(db_url(db, os.environ)) as store:
            gone = store.prune(keep_last, cutoff, dry_run)
    except AuditorError as exc:
        _fail(exc, debug)
    verb = "would delete" if dry_run else "deleted"
    for s in gone:
        click.echo(f"{verb} {s.id}  {s.started_at}  {', '.join(s.targets)}")
    click.echo(f"{verb} {len(gone)} scans", err=True)


@cli.group()
def db() -> None:
    """The scan store."""


@db.command("upgrade")
@_db_option
@click.pass_obj
def db_upgrade(debug: bool, db: str | None) -> None:
    """Create the schema or apply pending migrations."""
    from auditor.store import upgrade

    try:
        revision = upgrade(db_url(db, os.environ))
    except AuditorError as exc:
        _fail(exc, debug)
    click.echo(f"schema at revision {revision}")


@cli.group()
def rules() -> None:
    """The rules findings come from."""


@rules.command("list")
@_policy_option
@click.option("--target", metavar="PATH", help="Use the configuration found near PATH.")
@click.pass_obj
def rules_list(debug: bool, policy: Path | None, target: str | None) -> None:
    """Every rule in effect: built-in checks and the packs' rules, with their severity and
    action after the configuration; disabled rules are marked."""
    import fnmatch

    from auditor.policy.builtin import builtin_rules

    try:
        effective = _policy((target,) if target else (), policy)
        for b in builtin_rules():
            judged = effective.stamp(b.id, b.severity, b.action)
            state = "disabled" if judged is None else "built-in"
            sev, act = judged or (b.severity, b.action)
            click.echo(f"{b.id:32} {sev.value:8} {act.value:6} {state:9} {b.description}")
        active = {r.id for r in effective.rules}
        for pack in effective.packs:
            for r in pack.rules:
                shown = next((x for x in effective.rules if x.id == r.id), r)
                off = r.id not in active or any(
                    fnmatch.fnmatchcase(r.id, p) for p in effective.settings.disable
                )
                state = "disabled" if off else pack.name
                click.echo(
                    f"{r.id:32} {shown.severity.value:8} {shown.action.value:6} {state:9} {r.title}"
                )
    except AuditorError as exc:
        _fail(exc, debug)


@rules.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def rules_validate(debug: bool, path: Path) -> None:
    """Check rule packs (.yaml) and policy files (.toml) in PATH (a file or a directory):
    every problem with its file and line; exit 2 if there is any."""
    from auditor.policy.engine import load_policy
    from auditor.policy.rules import read_pack
    from auditor.policy.settings import NOT_PACKS, is_pack_file, load_settings

    tomls = ("auditor.toml", "pyproject.toml")

    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for skipped in (f for f in files if path.is_dir() and f.name in NOT_PACKS):
        click.echo(f"skip {skipped}: not a rule pack (auditor publishers validate checks it)")
    files = [
        f
        for f in files
        if (is_pack_file(f) or (f == path and f.suffix in (".yaml", ".yml")))
        or (f.suffix == ".toml" and (f == path or f.name in tomls))
    ]
    problems: list[str] = []
    for file in files:
        try:
            if file.suffix == ".toml":
                checked = load_policy(load_settings(None, file))
                click.echo(f"ok   {file}: policy with {len(checked.rules)} rules in effect")
                continue
            pack, errors = read_pack(file)
            if pack is not None:  # then its `$name`s, against its folder's auditor.toml
                own = file.parent / "auditor.toml"
                settings = load_settings(own if own.is_file() else None, file)
                load_policy(replace(settings, packs=(str(file.resolve()),)))
                click.echo(
                    f"ok   {file}: pack {pack.name}, {len(pack.rules)} rules, "
                    f"{len(pack.overrides)} built-in overrides"
                )
            problems.extend(e.message for e in errors)
        except AuditorError as exc:
            problems.append(exc.message)
    if not files:
        problems.append(f"{path}: no .yaml, .yml or .toml files to check")
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(EXIT_UNUSABLE if problems else 0)


# --- the provenance graph (auditor/graph.py): questions on any stored scan ------------------

ORIGIN_FACETS = ("country", "organisation", "publisher", "repository")


def _load_scan(scan_id: str, db: str | None, detail: bool = True) -> Scan:
    """A stored scan (see Store.load_scan for `detail`); AuditorError when it cannot be."""
    from auditor.store import open_store

    with open_store(db_url(db, os.environ)) as store:
        return store.load_scan(scan_id, detail)


def _write_text(text: str, output: Path | None, what: str) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"{what} written to {output}", err=True)


def _unknown_purl(purl: str, scan_id: str, close: tuple[str, ...]) -> AuditorError:
    from auditor.errors import UsageError

    hint = ("did you mean: " + ", ".join(close)) if close else "`auditor report` lists them"
    return UsageError(f"{purl}: not a component of scan {scan_id}", hint=hint)


@cli.command()
@click.argument("scan_id")
@click.option("--by", type=click.Choice(ORIGIN_FACETS), default="country", show_default=True)
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json")), default="table")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@_db_option
@click.pass_obj
def origins(
    debug: bool, scan_id: str, by: str, fmt: str, output: Path | None, db: str | None
) -> None:
    """Which countries, organisations, publishers or repositories a stored scan traces to.

    Counts split direct/transitive and packages/models; models also trace to their lineage
    roots. `unknown` holds components with no value. JSON shape: see auditor/graph_render.py.
    """
    from auditor.graph import ProvenanceGraph
    from auditor.graph_render import origins_json, origins_table

    try:
        stored = _load_scan(scan_id, db, detail=False)
    except AuditorError as exc:
        _fail(exc, debug)
    groups = ProvenanceGraph.from_scan(stored, lineage_only=True).origins(by)
    n = len(stored.components)
    text = origins_json(groups, by, stored.id, n) if fmt == "json" else origins_table(groups, by, n)
    _write_text(text, output, f"origins by {by}")


@cli.command()
@click.argument("scan_id")
@click.argument("purl")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@_db_option
@click.pass_obj
def why(debug: bool, scan_id: str, purl: str, limit: int, db: str | None) -> None:
    """Every path from a target to PURL in a stored scan: dependency chains, lineage."""
    from auditor.graph import ProvenanceGraph
    from auditor.graph_render import why_text

    try:
        stored = _load_scan(scan_id, db)
        graph = ProvenanceGraph.from_scan(stored)
        if not graph.has_component(purl):
            raise _unknown_purl(purl, stored.id, graph.suggest(purl))
    except AuditorError as exc:
        _fail(exc, debug)
    click.echo(why_text(graph, graph.why(purl, limit=limit)), nl=False)


@cli.command()
@click.argument("scan_id")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("graphml", "json", "dot")),
    default="graphml",
    show_default=True,
)
@click.option("--focus", metavar="PURL", help="Only the neighbourhood of this component.")
@click.option("--depth", type=click.IntRange(min=0), help="Edges from --focus (default 2).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@_db_option
@click.pass_obj
def graph(
    debug: bool,
    scan_id: str,
    fmt: str,
    focus: str | None,
    depth: int | None,
    output: Path | None,
    db: str | None,
) -> None:
    """Export a stored scan's provenance graph for Gephi, Graphviz or networkx."""
    from auditor.errors import UsageError
    from auditor.graph import ProvenanceGraph
    from auditor.graph_render import export

    try:
        if depth is not None and focus is None:
            raise UsageError("--depth: needs --focus PURL", hint="add --focus PURL")
        stored = _load_scan(scan_id, db)
        built = ProvenanceGraph.from_scan(stored)
        if focus is not None:
            if not built.has_component(focus):
                raise _unknown_purl(focus, stored.id, built.suggest(focus))
            built = built.focus(focus, 2 if depth is None else depth)
    except AuditorError as exc:
        _fail(exc, debug)
    _write_text(export(built, fmt), output, f"{fmt} graph")


@cli.command()
@click.argument("scan_id")
@click.argument("purl")
@_db_option
@click.pass_obj
def show(debug: bool, scan_id: str, purl: str, db: str | None) -> None:
    """One component of a stored scan: its origin and every piece of evidence."""
    from auditor.render.show import component_report, find_component

    try:
        stored = _load_scan(scan_id, db)
        click.echo(component_report(stored, find_component(stored, purl)), nl=False)
    except AuditorError as exc:
        _fail(exc, debug)


@cli.command()
@click.option("--pypi-url", metavar="URL", help="Check this PyPI base URL instead.")
@click.option("--npm-registry", metavar="URL", help="Check this npm registry instead.")
@_db_option
@click.pass_obj
def doctor(debug: bool, pypi_url: str | None, npm_registry: str | None, db: str | None) -> None:
    """The endpoints and store in effect, and whether each answers (exit 1 if not)."""
    from auditor import endpoints
    from auditor.http import Http, HttpSettings
    from auditor.store import open_store
    from auditor.urls import redact

    healthy = True
    try:
        pypi = endpoints.pypi(pypi_url, os.environ)
    except AuditorError as exc:
        _fail(exc, debug)
    http = Http({"pypi": pypi.url}, settings=HttpSettings(attempts=1, read_timeout=10))
    answered, detail = http.probe("pypi", "/pypi/pip/json")
    healthy &= answered
    mark = "ok  " if answered else "FAIL"
    click.echo(f"{mark} pypi   {redact(pypi.url)}  ({pypi.source}): {detail}")
    healthy &= _doctor_npm(npm_registry)
    url = db_url(db, os.environ)
    try:
        with open_store(url):
            click.echo(f"ok   store  {redact(url or 'sqlite (user data dir)')}: schema current")
    except AuditorError as exc:
        healthy = False
        click.echo(f"FAIL store  {exc.message}")
    sys.exit(0 if healthy else 1)


def _doctor_npm(flag: str | None) -> bool:
    """The npm registry, GitHub and GitLab: a missing endpoint is reported (npm's with its
    hint), not fatal, since only scans that need one use it; a configured one must answer."""
    from auditor import endpoints
    from auditor.http import Http, HttpSettings
    from auditor.urls import redact

    try:
        npm = endpoints.npm(flag, os.environ)
    except AuditorError as exc:  # only scans with npm components need one
        click.echo(f"skip npm    {exc.message} ({exc.hint})")
        npm = None
    probes = [("npm", npm, "/npm")] if npm is not None else []
    if (hub := endpoints.github(os.environ)) is not None:
        probes.append(("github", hub, "/rate_limit"))
    else:
        click.echo(f"skip github {endpoints.GITHUB_ENV} is not set: owner lookups are skipped")
    if (lab := endpoints.gitlab(os.environ)) is not None:
        probes.append(("gitlab", lab, "/version"))
    else:
        click.echo(f"skip gitlab {endpoints.GITLAB_ENV} is not set: owner lookups are skipped")
    healthy = True
    for role, endpoint, path in probes:
        http = Http({role: endpoint.url}, settings=HttpSettings(attempts=1, read_timeout=10))
        answered, detail = http.probe(role, path)
        healthy &= answered
        mark = "ok  " if answered else "FAIL"
        click.echo(f"{mark} {role:<6} {redact(endpoint.url)}  ({endpoint.source}): {detail}")
    return healthy


@cli.group()
def cache() -> None:
    """The registry metadata cache: snapshots for air-gapped machines."""


@cache.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_db_option
@click.pass_obj
def cache_export(debug: bool, file: Path, db: str | None) -> None:
    """Write every cached registry answer to FILE (versioned JSON lines)."""
    from auditor import snapshot
    from auditor.store import open_store

    try:
        with open_store(db_url(db, os.environ)) as store, file.open("w", encoding="utf-8") as out:
            count = snapshot.write(out, store.http_cache().entries())
    except OSError as exc:
        _fail(AuditorError(f"{file}: cannot write: {exc.strerror}"), debug)
    except AuditorError as exc:
        _fail(exc, debug)
    click.echo(f"exported {count} cached answers to {file}", err=True)


@cache.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_db_option
@click.pass_obj
def cache_import(debug: bool, file: Path, db: str | None) -> None:
    """Load a snapshot made by `auditor cache export` (newer answers are kept)."""
    from auditor import snapshot
    from auditor.store import open_store

    try:
        with file.open(encoding="utf-8") as lines:
            entries = list(snapshot.read(str(file), lines))
        with open_store(db_url(db, os.environ)) as store:
            count = store.http_cache().put_many(entries)
    except (OSError, UnicodeDecodeError) as exc:
        _fail(AuditorError(f"{file}: cannot read: {exc}"), debug)
    except AuditorError as exc:
        _fail(exc, debug)
    click.echo(f"imported {count} cached answers from {file}", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="auditor")


# --- the publisher knowledge base (auditor/resolvers/publishers.py) --------------------------


@cli.group()
def publishers() -> None:
    """The publisher knowledge base (organisations, countries, accounts)."""


@publishers.command("validate")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def publishers_validate(debug: bool, path: Path | None) -> None:
    """Check PATH (default: the shipped rules/publishers.yaml): unique accounts, ISO 3166
    countries, an https source and a checked date for every organisation. Exit 1 on problems."""
    from auditor.errors import UsageError
    from auditor.resolvers import publishers as kb

    try:
        path = path or kb.default_path()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
        found, problems = kb.parse(text, str(path))
    except AuditorError as exc:
        _fail(exc, debug)
    for problem in problems:
        click.echo(problem)
    accounts = sum(len(o.accounts) for o in found.organisations)
    unverified = sum(not o.verified for o in found.organisations)
    countries = len({o.country for o in found.organisations})
    click.echo(
        f"{path}: {len(found.organisations)} organisations in {countries} countries,"
        f" {accounts} accounts, {unverified} unverified; {len(problems)} problem(s)",
        err=bool(problems),
    )
    if problems:
        sys.exit(1)
