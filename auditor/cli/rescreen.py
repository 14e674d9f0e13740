"""`auditor rescreen`: stored scans judged again against today's knowledge base, rules and
screening lists, without rescanning (auditor/rescreen.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.cli.common import echo, effective_policy
from auditor.cli.options import EXIT_POLICY, SEVERITIES, db_option, fail, policy_option
from auditor.config import Config, db_url, screening_lists
from auditor.errors import AuditorError
from auditor.escape import terminal
from auditor.model import Action, Severity

if TYPE_CHECKING:
    from datetime import datetime

    from auditor.model import Finding
    from auditor.rescreen import Outcome


@click.command()
@click.option(
    "--since",
    metavar="DATE",
    help="Every stored scan started on or after DATE (ISO 8601: 2026-12-01, or a time); "
    "default: the newest scan of each target.",
)
@click.option(
    "--lists",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of screening lists instead of the shipped ones (default: "
    "AUDITOR_SCREENING_LISTS, else rules/screening/).",
)
@click.option("--notify", metavar="URL", help="POST each scan's new findings to this webhook.")
@click.option(
    "--notify-format", type=click.Choice(("json", "slack")), default="json", show_default=True
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit 1 when a NEW finding is at or above this severity (blocked ones always do).",
)
@policy_option
@db_option
@click.pass_obj
def rescreen(
    debug: bool,
    since: str | None,
    lists: Path | None,
    notify: str | None,
    notify_format: str,
    fail_on: str | None,
    policy: Path | None,
    db: str | None,
) -> None:
    """Judge stored scans again against the current knowledge base (organisations, parent
    chains), rules, waivers and screening lists, without collecting or resolving anything;
    each changed result is kept as the scan's next evaluation, which report, diff and the
    portfolio then show.

    Exit 1 when a re-evaluation holds a new finding that is blocked by policy or at or above
    --fail-on; findings known before never fail a rescreen.
    """
    from auditor.portfolio.db import StoreAccess
    from auditor.rescreen import rescreen_stored

    warnings: list[str] = []

    def notice(outcome: Outcome) -> None:
        if notify is not None and outcome.new:
            warning = _notify(outcome, notify, notify_format)
            if warning is not None:
                warnings.append(warning)

    try:
        cutoff = _since(since)
        config = Config(
            db_url=db_url(db, os.environ),
            no_resolve=True,
            policy=effective_policy((), policy),
            screening_lists=screening_lists(lists, os.environ),
        )
        with StoreAccess.open(config.db_url) as access:
            outcomes = rescreen_stored(access, config, cutoff, notice)
    except AuditorError as exc:
        fail(exc, debug)
    from auditor.cli.terminal import fit_lines, screen

    echo(fit_lines(_table(outcomes), screen().width), nl=False)
    for warning in warnings:
        echo(warning, err=True)
    threshold = Severity(fail_on) if fail_on else None
    failing = [f for o in outcomes for f in o.new if _fails(f, threshold)]
    if failing:
        echo(f"exit 1: {len(failing)} new finding(s) blocked or at or above --fail-on", err=True)
        sys.exit(EXIT_POLICY)


def _fails(finding: Finding, threshold: Severity | None) -> bool:
    if finding.waived:
        return False
    if finding.action is Action.BLOCK:
        return True
    return threshold is not None and finding.severity.rank >= threshold.rank


def _since(text: str | None) -> datetime | None:
    """--since as an aware UTC datetime (a date alone: its midnight, UTC)."""
    if text is None:
        return None
    from auditor.errors import UsageError
    from auditor.store.codec import parse_time

    parsed = parse_time(text)
    if parsed is None:
        raise UsageError(
            f"--since {text}: not a date", hint="use ISO 8601: 2026-12-01 or 2026-12-01T09:00Z"
        )
    return parsed


def _table(outcomes: list[Outcome]) -> str:
    """One line per scan judged again."""
    if not outcomes:
        return "no stored scans to re-screen\n"
    head = f"{'SCAN':<8} {'EVAL':>4} {'NEW':>4} {'CLEARED':>7} {'FINDINGS':>8}  TARGETS"
    lines = [head]
    for o in outcomes:
        e = o.after.evaluation
        number = str(e.number) if o.stored and e is not None else "same"
        targets = ", ".join(t.identity for t in o.after.targets)
        lines.append(
            f"{o.after.id[:8]:<8} {number:>4} {len(o.new):>4} {len(o.cleared):>7} "
            f"{len(o.after.findings):>8}  {terminal(targets)}"
        )
    stored = sum(o.stored for o in outcomes)
    new = sum(len(o.new) for o in outcomes)
    lines += [
        "",
        f"{len(outcomes)} scans re-screened, {stored} new evaluations, {new} new findings",
    ]
    first = next((o.after.evaluation for o in outcomes if o.after.evaluation), None)
    if first is not None:
        named = ", ".join(f"{v.id} “{v.version}”" for v in first.lists) or "none"
        lines.append(f"lists: {terminal(named)}; knowledge base {first.knowledge_base}")
    return "\n".join(lines) + "\n"


def _notify(outcome: Outcome, url: str, fmt: str) -> str | None:
    """POST the new findings of one re-evaluation; a warning when it was not delivered."""
    from dataclasses import replace

    from auditor.diff import diff_scans
    from auditor.notify import payload, send

    diff = diff_scans(outcome.before, outcome.after)
    # Only what is new: a re-evaluation changes no component, and cleared findings are not
    # news to act on.
    diff = replace(diff, resolved_findings=())
    body = payload(outcome.after, diff, fmt)
    if fmt == "json" and outcome.after.evaluation is not None:
        body["evaluation"] = outcome.after.evaluation.number
        body["rescreen"] = outcome.after.evaluation.describe(outcome.after.id)
    try:
        send(url, body)
    except AuditorError as exc:
        return f"warning: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
    return None
