"""A scan with every secret it carries replaced, before anything renders or stores it.

Image configs (`Env`, `Cmd`, `Entrypoint`, history `created_by`), lockfile URLs
(`?token=`, `X-Amz-Signature=`), registry metadata and finding messages can all carry
credentials. Rather than trust each stage to remember, the pipeline hands every scan through
`redact_scan` on its way out: each string of it goes through `auditor.urls.redact_text` (the
one redaction function), and an evidence value is withheld whole when the setting it came
from is named like a secret (`env.AWS_SECRET_ACCESS_KEY`, `label.api-token`). Every output —
JSON, HTML, SARIF, CycloneDX, SPDX, Markdown, the table, the store — renders that scan.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from auditor.escape import map_strings
from auditor.model import Evidence, Scan
from auditor.urls import REDACTED, is_secret_name, redact_text

NAMED_SETTINGS = ("env.", "label.")
"""Evidence fields that name a setting (an image's environment and labels)."""


def redact_scan(scan: Scan) -> Scan:
    """The scan with its secrets REDACTED (the same object when it carries none)."""
    return map_strings(scan, redact_text, _withhold_named)


def _withhold_named(item: Any) -> Any:
    if isinstance(item, Evidence) and _named_secret(item.field) and item.value != REDACTED:
        return dataclasses.replace(item, value=REDACTED)
    return item


def _named_secret(field: str) -> bool:
    return field.startswith(NAMED_SETTINGS) and is_secret_name(field.partition(".")[2])


class RedactingFilter(logging.Filter):
    """A log handler's filter: each record's message through `redact_text` (what `--debug`
    and `--verbose` print, urllib3's request lines included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class Withhold(logging.Filter):
    """Replaces one known secret (a webhook's path) in a logger's records while attached."""

    def __init__(self, secret: str, shown: str = "/…") -> None:
        super().__init__()
        self.secret = secret
        self.shown = shown

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret and self.secret in message:
            record.msg, record.args = message.replace(self.secret, self.shown), None
        return True
