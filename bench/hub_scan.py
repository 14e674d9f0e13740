"""`auditor scan` of a Hugging Face cache, for bench/hub_bench.py while no cache collector exists.

Does what `auditor scan CACHE --format json --output OUT` does once a collector reports Hub
components: the components (tests/hub_cache.py reads the cache the way a collector does,
hashing the blobs' bytes with --verify), resolution through the store's cache, the scan saved
to the store, the JSON report written. Same imports, same store, same resolver, same Http.
Usage: python bench/hub_scan.py CACHE --db URL --output OUT [--verify] [--no-resolve]
"""

from __future__ import annotations

import argparse
import socket
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor import __version__  # noqa: E402
from auditor.config import Config  # noqa: E402
from auditor.model import OriginStatus, Scan, ScanStatus, Target, TargetKind  # noqa: E402
from auditor.render import renderer  # noqa: E402
from auditor.resolution import Resolved, resolve_components  # noqa: E402
from auditor.resolvers.local import local_origin  # noqa: E402
from auditor.store import open_store  # noqa: E402
from tests.hub_cache import components_from_cache  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cache", type=Path)
    parser.add_argument("--db", required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--no-resolve", action="store_true")
    args = parser.parse_args()
    started = datetime.now(UTC).isoformat(timespec="milliseconds")
    components = tuple(components_from_cache(args.cache, hash_content=args.verify))
    store = open_store(args.db)
    if args.no_resolve:
        skipped = OriginStatus.SKIPPED
        resolved = Resolved(tuple(local_origin(c, skipped, "--no-resolve") for c in components), ())
    else:
        resolved = resolve_components(components, Config(), store.http_cache())
    partial = any(o.status is OriginStatus.UNREACHABLE for o in resolved.origins)
    target = Target(str(args.cache), TargetKind.HF_CACHE, f"hf-cache:{args.cache.resolve()}", "")
    scan = Scan(
        id=str(uuid.uuid4()),
        started_at=started,
        finished_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        status=ScanStatus.PARTIAL if partial else ScanStatus.COMPLETE,
        tool_version=__version__,
        targets=(target,),
        components=components,
        origins=resolved.origins,
        dependencies=resolved.dependencies,
        findings=resolved.findings,
        host=socket.gethostname(),
    )
    store.save_scan(scan)
    store.close()
    args.output.write_text(renderer("json").render(scan), encoding="utf-8")


if __name__ == "__main__":
    main()
