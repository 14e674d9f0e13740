"""A lockfile URL target: fetched from a configured source, scanned, recorded under its URL.

The worker checks the URL against its own sources (the broker's message is no authority),
fetches it through the bounded fetch (`auditor.http_fetch`: size cap, deadline, every
redirect checked against the same sources) into a temporary folder under the file's own name
(`…/uv.lock`: the collectors recognise lockfiles by name), scans that file, and relabels the
scan so the temporary path appears nowhere: the target's ref is the URL and its identity
`lockfile:URL`, stable from night to night (so `origin.changed` and diffs compare a URL's
scans with each other).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from auditor.fleet.sources import Sources, parse_location
from auditor.http_fetch import UrlFetchError, fetch_url
from auditor.model import Scan, TargetKind
from auditor.urls import redact


def url_identity(url: str) -> str:
    """The target identity a URL's scans are stored under."""
    return f"{TargetKind.LOCKFILE.value}:{url}"


@contextmanager
def fetched(url: str, sources: Sources) -> Iterator[Path]:
    """The file at `url` in a temporary folder (removed afterwards); UrlFetchError when it
    is not allowed here or cannot be fetched (`transient` says whether to try again)."""
    from auditor.collectors.parsers import registered_for

    problem = sources.problem(url)
    if problem is not None:
        raise UrlFetchError(f"{redact(url)}: {problem} (on this worker)", transient=False)
    name = parse_location(url).file_name
    if not name or registered_for(name) is None:
        raise UrlFetchError(f"{redact(url)}: no lockfile name the scanner reads", False)
    try:
        got = fetch_url(url, sources.checked)
    except UrlFetchError as exc:
        raise UrlFetchError(f"{redact(url)}: {exc.reason}", exc.transient) from None
    with tempfile.TemporaryDirectory(prefix=f"auditor-fleet-{name}-") as folder:
        path = Path(folder) / name
        path.write_bytes(got.body)
        yield path


def local_identity(path: Path) -> str:
    """The identity the pipeline gives the fetched file (what `relabel` replaces)."""
    return f"{TargetKind.LOCKFILE.value}:{path.resolve().as_posix()}"


def relabel(scan: Scan, local_ref: str, url: str) -> Scan:
    """`scan` of the fetched file at `local_ref`, as a scan of `url`: the target and every
    component location name the URL."""
    targets = tuple(
        replace(t, ref=url, identity=url_identity(url)) if t.ref == local_ref else t
        for t in scan.targets
    )
    components = tuple(
        replace(
            c,
            locations=tuple(
                replace(loc, target=url) if loc.target == local_ref else loc for loc in c.locations
            ),
        )
        for c in scan.components
    )
    return replace(scan, targets=targets, components=components)
