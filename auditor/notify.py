"""Webhook notifications: what is new since the previous scan of a target (`scan --notify`).

Two payloads: `json` (our own shape, below) and `slack` (an incoming-webhook message:
`text` as the fallback plus `blocks` of mrkdwn sections). Payloads hold ids, purls, rule ids
and messages only: never URLs from the configuration, so no credentials.

Delivery: POST, retried on connection errors, timeouts, 429 and 5xx with exponential
backoff (honouring a numeric Retry-After up to MAX_WAIT); other 4xx answers are final. A
failed delivery is a NotifyError for the caller to report; it never touches the scan.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from auditor.diff import ScanDiff
from auditor.diff_render import diff_document, summary_line
from auditor.errors import AuditorError
from auditor.model import Scan
from auditor.urls import redact_endpoint

if TYPE_CHECKING:
    import requests

NOTIFY_FORMATS = ("json", "slack")
RETRIES = 3
"""Attempts after the first."""
BACKOFF = 0.5
"""Seconds before the first retry; doubled each time."""
MAX_WAIT = 30.0
TIMEOUT = 10.0
SLACK_ITEMS = 20
"""Lines per Slack section: a section's text is limited to 3,000 characters, a header's
to 150 (Block Kit reference)."""


class NotifyError(AuditorError):
    """A notification could not be delivered."""


def payload(scan: Scan, diff: ScanDiff, fmt: str) -> dict[str, Any]:
    """The body to POST for `scan`, whose changes since the previous scan are `diff`.

    json: `{"scan", "previous", "target", "targets", "status", "summary", "added", "removed",
    "changed", "origin_changes", "new_findings", "resolved_findings"}`.
    """
    doc = diff_document(diff)
    identities = [t.identity for t in scan.targets]
    body: dict[str, Any] = {
        "scan": scan.id,
        "previous": diff.old_id,
        "target": identities[0] if identities else None,
        "targets": identities,
        "status": scan.status.value,
        "summary": summary_line(diff),
    } | {k: v for k, v in doc.items() if k not in ("from", "to")}
    return _slack(body, diff) if fmt == "slack" else body


def _slack(body: dict[str, Any], diff: ScanDiff) -> dict[str, Any]:
    title = f"Origin Auditor: scan {body['scan']} of {body['target']} ({body['status']})"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body["summary"]}},
    ]
    sections = [
        ("Takeover signals", [f"{c.purl} {c.field}: {c.old} → {c.new}" for c in diff.takeovers]),
        ("New findings", [f"[{f.severity}] {f.rule} {f.purl}" for f in diff.new_findings]),
        ("Added", [c.purl for c in diff.added]),
        ("Removed", [c.purl for c in diff.removed]),
        ("Version changes", [f"{c.name} {c.old} → {c.new}" for c in diff.changed]),
    ]
    for name, items in sections:
        if items:
            shown = items[:SLACK_ITEMS]
            more = f"\n… and {len(items) - len(shown)} more" if len(items) > len(shown) else ""
            text = f"*{name}*\n" + "\n".join(f"• {_escape(i)}" for i in shown) + more
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    return {"text": _escape(f"{title}: {body['summary']}"), "blocks": blocks}


def _escape(text: str) -> str:
    # Slack's mrkdwn control characters (its "Escaping text" rules).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send(
    url: str,
    body: dict[str, Any],
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST `body` as JSON; the number of attempts it took. NotifyError when all failed."""
    import requests

    from auditor.redaction import Withhold

    shown = redact_endpoint(url)  # a webhook's path is its secret: only the host is shown
    parts = urlsplit(url)
    secret = parts.path + (f"?{parts.query}" if parts.query else "")
    quiet = Withhold(secret if secret.strip("/") else "")
    problem = ""
    for attempt in range(retries + 1):
        wait = backoff * 2**attempt
        try:
            answer = _post(url, body, quiet)
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__}"
        else:
            if answer.status_code < 300:
                return attempt + 1
            problem = f"HTTP {answer.status_code}"
            if answer.status_code != 429 and answer.status_code < 500:
                break  # the receiver refuses this request; repeating it will not help
            wait = _retry_after(answer.headers.get("Retry-After"), wait)
        if attempt < retries:
            sleep(wait)
    raise NotifyError(
        f"{shown}: notification not delivered: {problem}",
        hint="the scan is stored; `auditor diff --since-last TARGET` shows what it held",
    )


def _post(url: str, body: dict[str, Any], quiet: logging.Filter) -> requests.Response:
    """One POST; urllib3's request line (logged with --debug) without the webhook's path."""
    import requests

    wire = logging.getLogger("urllib3.connectionpool")
    wire.addFilter(quiet)
    try:
        return requests.post(url, json=body, timeout=TIMEOUT)
    finally:
        wire.removeFilter(quiet)


def _retry_after(value: str | None, default: float) -> float:
    """A numeric Retry-After in seconds, capped; the default otherwise."""
    try:
        return min(max(float(value), 0.0), MAX_WAIT) if value is not None else default
    except ValueError:
        return default
