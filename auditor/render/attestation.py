"""`--format attestation`: the compliance attestation of one release, printable HTML
(`templates/attestation.html.j2`, the view in `auditor.render.attestation_view`); `--pdf`
prints it through Chromium (`auditor.render.pdf`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from auditor.model import Scan
from auditor.render.template import TemplateRenderer

PAPERS = {"a4": "A4", "letter": "letter"}
"""`--paper` -> the CSS `@page` size; without one the print dialog's paper is used."""


class AttestationRenderer(TemplateRenderer):
    """The attestation template with its own view, on the screening lists installed."""

    name: ClassVar[str] = "attestation"

    def __init__(
        self, name: str = "attestation", template: str = "attestation.html.j2",
        paper: str | None = None, lists: Path | None = None,
    ) -> None:  # fmt: skip
        super().__init__(name, template)
        self.paper = PAPERS[paper] if paper is not None else None
        self.lists = lists
        """A folder of screening lists; None: the shipped ones (rules/screening/)."""

    def context(self, scan: Scan) -> dict[str, Any]:
        """The attestation view (no JSON document: the page states, it does not embed)."""
        from auditor import __version__
        from auditor.render.attestation_view import attestation
        from auditor.render.html_view import nonce_for
        from auditor.screening.lists import load_lists

        return {
            "att": attestation(scan, load_lists(self.lists)),
            "nonce": nonce_for(scan.id),
            "paper": self.paper,
            "installed_version": __version__,
        }
