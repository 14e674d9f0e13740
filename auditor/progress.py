"""How a long stage tells a person it is advancing: a small interface handed down the
pipeline (never a global), with a null implementation that every stage uses by default.

Sources, collectors, the hasher and resolution only ever call `Progress.stage` and
`Stage.advance`, so they stay testable without a terminal; the command line hands in a
terminal implementation (`auditor.cli.progress`) only when stderr is a terminal and
`--quiet` was not given.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType


class Stage(ABC):
    """One stage under way (walking a folder, hashing, resolving). Used as a context
    manager: leaving it ends the stage. `advance` may be called from worker threads."""

    @abstractmethod
    def advance(self, amount: int = 1) -> None:
        """`amount` more units done (files, bytes, components)."""

    def total(self, total: int) -> None:  # noqa: B027 - optional: not every stage knows it
        """The number of units, once known."""

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """The stage is over."""

    def __enter__(self) -> Stage:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Progress(ABC):
    """Starts stages."""

    @abstractmethod
    def stage(self, label: str, total: int | None = None, unit: str = "files") -> Stage:
        """A new stage counting `unit` (`bytes` is shown as a data rate), `total` when known."""


class NullStage(Stage):
    """Hears nothing."""

    def advance(self, amount: int = 1) -> None:
        """Nothing to show."""


class NullProgress(Progress):
    """The default: every stage silent. Holds no state, so one instance serves everyone."""

    def stage(self, label: str, total: int | None = None, unit: str = "files") -> Stage:
        """A silent stage."""
        return NULL_STAGE


NULL_STAGE = NullStage()
NULL_PROGRESS = NullProgress()
