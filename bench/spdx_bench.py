"""Issue 31's limit for SPDX input: an SPDX 2.3 JSON document of 20,000 packages scans
(`--no-resolve`, offline) in < 5 s and < 500 MB, measured beside syft reading the same
document (`syft convert … -o syft-json`), an SPDX 3.0 JSON-LD document of the same packages
and the tag-value form at a tenth of the size (spdx-tools' tag-value parser is the slow one).

Each figure is the best of `--runs` whole-CLI runs (wall seconds, peak RSS of that child:
wait4), after one untimed run has compiled the project's bytecode.

    bench/.venv/bin/python bench/spdx_bench.py            # or the project's python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tools import child_env, find_syft

LIMIT_SECONDS, LIMIT_MB = 5.0, 500.0


def spdx2(n: int) -> dict[str, object]:
    """n packages as syft and trivy write them: purl and CPE references, a checksum, a
    supplier and an originator, licences, and the document DESCRIBES + DEPENDS_ON edges."""
    packages, relationships = [], []
    for i in range(n):
        packages.append({
            "SPDXID": f"SPDXRef-Package-{i}", "name": f"pkg{i}", "versionInfo": f"1.{i}.0",
            "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
            "supplier": "Organization: Example Corp (oss@example.invalid)",
            "originator": "Person: Jane Doe", "licenseConcluded": "MIT",
            "licenseDeclared": "MIT OR Apache-2.0", "copyrightText": "NOASSERTION",
            "checksums": [{"algorithm": "SHA256", "checksumValue": f"{i:064x}"}],
            "externalRefs": [
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                 "referenceLocator": f"pkg:pypi/pkg{i}@1.{i}.0"},
                {"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                 "referenceLocator": f"cpe:2.3:a:example:pkg{i}:1.{i}.0:*:*:*:*:*:*:*"},
            ],
        })  # fmt: skip
        kind = "DESCRIBES" if i == 0 else "DEPENDS_ON"
        source = "SPDXRef-DOCUMENT" if i == 0 else "SPDXRef-Package-0"
        relationships.append({"spdxElementId": source, "relationshipType": kind,
                              "relatedSpdxElement": f"SPDXRef-Package-{i}"})  # fmt: skip
    return {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "bench", "documentNamespace": "https://example.invalid/spdx/bench",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: spdx_bench"]},
        "packages": packages, "relationships": relationships,
    }  # fmt: skip


def spdx3(n: int) -> dict[str, object]:
    """The same packages as SPDX 3.0.1 JSON-LD elements, with `suppliedBy` and `dependsOn`."""
    info = "_:creationinfo"
    graph: list[dict[str, object]] = [
        {"@id": info, "type": "CreationInfo", "specVersion": "3.0.1",
         "created": "2026-01-01T00:00:00Z", "createdBy": ["urn:org"]},
        {"type": "Organization", "spdxId": "urn:org", "name": "Example Corp",
         "creationInfo": info},
        {"type": "SpdxDocument", "spdxId": "urn:doc", "creationInfo": info,
         "rootElement": ["urn:p0"]},
    ]  # fmt: skip
    graph.extend(
        {
            "type": "software_Package",
            "spdxId": f"urn:p{i}",
            "creationInfo": info,
            "name": f"pkg{i}",
            "software_packageVersion": f"1.{i}.0",
            "software_packageUrl": f"pkg:pypi/pkg{i}@1.{i}.0",
            "suppliedBy": "urn:org",
            "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": f"{i:064x}"}],
        }
        for i in range(n)
    )
    graph.append({"type": "Relationship", "spdxId": "urn:r", "creationInfo": info,
                  "from": "urn:p0", "relationshipType": "dependsOn",
                  "to": [f"urn:p{i}" for i in range(1, n)]})  # fmt: skip
    return {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": graph}


def tag_value(n: int) -> str:
    """The SPDX 2 document of n packages written by spdx-tools as tag-value."""
    import io

    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.writer.tagvalue.tagvalue_writer import write_document_to_stream

    stream = io.StringIO()
    write_document_to_stream(JsonLikeDictParser().parse(spdx2(n)), stream, validate=False)
    return stream.getvalue()


_READ_ONLY = """
import sys
from pathlib import Path
from auditor.collectors.parsers import parser_for
from auditor.sources.directory import DirectoryTree
path = Path(sys.argv[1])
parser_for(path.name).parse(DirectoryTree("t", path.parent), path.name)
"""
"""The parser alone (reading, the spdx-tools or graph check, `to_collected`), whole process."""


def measure(argv: list[str], runs: int) -> tuple[float, float, float, int]:
    """Best (wall seconds, CPU seconds, peak RSS MiB) of `runs` runs of argv, and the last
    exit code. CPU time (user + system) is shown beside wall time: on a shared machine a
    process waits for a core, and the wait is not the program's."""
    best, code = (float("inf"), float("inf"), float("inf")), 0
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=child_env({}), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)  # fmt: skip
        _, status, usage = os.wait4(child.pid, 0)
        took = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        best = (min(best[0], took), min(best[1], cpu), min(best[2], usage.ru_maxrss / 1024))
    return best[0], best[1], best[2], code


def write_inputs(folder: Path, packages: int) -> dict[str, Path]:
    """The three documents, written by this script in a child process: the parent stays
    small, so a forked child's peak RSS is its own (wait4 counts the pages it inherits)."""
    paths = {
        "SPDX 2.3 JSON": folder / "b.spdx.json",
        "SPDX 3.0.1 JSON-LD": folder / "b.spdx3.json",
        "SPDX 2.3 tag-value (1/10)": folder / "b.spdx",
    }
    subprocess.run(
        [sys.executable, __file__, "--write", str(folder), "--packages", str(packages)],
        check=True,
        env=child_env({}),
    )
    return paths


def _write(folder: Path, packages: int) -> None:
    (folder / "b.spdx.json").write_text(json.dumps(spdx2(packages), indent=1))
    (folder / "b.spdx3.json").write_text(json.dumps(spdx3(packages)))
    (folder / "b.spdx").write_text(tag_value(packages // 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write is not None:
        _write(args.write, args.packages)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env_db = f"sqlite:///{folder / 'auditor.db'}"
        rows = []
        syft = find_syft()
        for label, path in write_inputs(folder, args.packages).items():
            argv = [args.python, "-m", "auditor", "scan", str(path), "--no-resolve", "--offline",
                    "--format", "json", "--db", env_db]  # fmt: skip
            measure(argv, 1)  # compile bytecode, warm the page cache
            size = path.stat().st_size / 1e6
            rows.append(
                (f"auditor scan --no-resolve ({label}, {size:.0f} MB)", *measure(argv, args.runs))
            )
            argv = [args.python, "-c", _READ_ONLY, str(path)]
            rows.append((f"its parser alone, to Collected ({label})", *measure(argv, args.runs)))
            if syft is not None and "tag-value" not in label:
                out = str(folder / "syft.json")
                argv = [str(syft), "convert", str(path), "-o", f"syft-json={out}", "-q"]
                rows.append((f"syft convert ({label})", *measure(argv, args.runs)))
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the end of the run")
    print(f"| run ({args.packages:,} packages) | wall s | CPU s | peak RSS MB | exit |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, seconds, cpu, mb, code in rows:
        print(f"| {label} | {seconds:.2f} | {cpu:.2f} | {mb:.0f} | {code} |")
    print(f"| limit (issue 31) | < {LIMIT_SECONDS:.0f} | | < {LIMIT_MB:.0f} | |")


if __name__ == "__main__":
    main()
