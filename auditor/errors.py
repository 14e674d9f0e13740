"""Errors that end a run, and Diagnostics that are data.

Messages start with their subject (`requirements.txt:14: …`) so the user sees where at a
glance; `hint` says what to do. Only cli.py catches AuditorError.
"""

from __future__ import annotations

from dataclasses import dataclass


class AuditorError(Exception):
    """A run-fatal problem with a subject-prefixed message and an optional hint."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AuditorError):
    """Flags or arguments that cannot work together."""


class TargetError(AuditorError):
    """A named target that cannot be used at all (missing, unreadable, unknown kind)."""


class ParseError(AuditorError):
    """Raised by parsers; collectors turn it into a Diagnostic for discovered files."""

    def __init__(
        self, path: str, message: str, line: int | None = None, hint: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        subject = f"{path}:{line}" if line is not None else path
        super().__init__(f"{subject}: {message}", hint)
        self.reason = message


class StoreError(AuditorError):
    """The database cannot be opened, migrated, read or written."""


class ScanNotFoundError(StoreError):
    """A scan id that the store does not hold."""


class ConfigError(AuditorError):
    """A bad configuration value or file."""


class OutputError(AuditorError):
    """A report, diff or export that cannot be written (missing rights, a full disk)."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A non-fatal, located problem: data, never raised."""

    location: str
    """`path[:line]` or `path!member`, prefixed by the target ref where useful."""
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"
