"""What `tests.bounded.run_bounded` calls in the child process: one input through our code.

Each function takes the path of the input file and returns a short summary; an exception
it raises is judged by the test (a clean ParseError is fine, anything else is a bug).
"""

from __future__ import annotations

import os
from pathlib import Path

from auditor.collectors.parsers import parser_for
from auditor.sources.directory import DirectoryTree


def parse_lockfile(path: str) -> str:
    """The registered parser for the file's name, on a tree holding only that file."""
    file = Path(path)
    parser = parser_for(file.name)
    assert parser is not None, file.name
    collected = parser.parse(DirectoryTree("t", file.parent, only=(file.name,)), file.name)
    return f"{len(collected.components)} components, {len(collected.dependencies)} edges"


def scan_folder(path: str) -> str:
    """`auditor scan` of the folder holding the file (offline, nothing stored), as a user
    runs it: the exit code and the diagnostics of the JSON report, or the exception."""
    return scan_directory(Path(path).parent)


def scan_directory(folder: Path) -> str:
    """`auditor scan` of a folder, offline, nothing stored: exit code and diagnostics."""
    return _scan(str(folder))


def _scan(target: str) -> str:
    """`auditor scan TARGET` offline, nothing stored, plus any BOUNDED_ARGS: the exit code,
    the diagnostics' messages and the components' names of its JSON report."""
    import json
    import tempfile

    from auditor.cli import cli

    with tempfile.TemporaryDirectory() as out:
        report = Path(out) / "scan.json"
        args = ["scan", target, "--offline", "--no-store", "--no-resolve"]
        extra = [a for a in os.environ.get("BOUNDED_ARGS", "").split() if a]
        try:
            cli([*args, *extra, "-f", "json", "-o", str(report)], prog_name="auditor")
        except SystemExit as exc:
            code = exc.code
        else:  # pragma: no cover - click always exits
            code = 0
        doc = json.loads(report.read_text()) if report.exists() else {}
    diagnostics = [d.get("message", "") for d in doc.get("diagnostics", [])]
    names = sorted(c.get("name", "") for c in doc.get("components", []))
    return json.dumps({"exit": code, "diagnostics": diagnostics[:20], "components": names[:50]})


def inspect_weight(path: str) -> str:
    """The weight-file inspection the model-files collector runs, on this one file."""
    from auditor.weights.inspect import inspect_weight_file

    file = Path(path)
    tree = DirectoryTree("t", file.parent, only=(file.name,))
    found = inspect_weight_file(tree, file.name, "pkg:generic/x")
    diagnostics = [d.message for d in found.diagnostics]
    return f"{len(found.evidence)} evidence, {len(found.findings)} findings, {diagnostics}"[:2000]


def scan_image(path: str) -> str:
    """`auditor scan image:<archive>` (offline, nothing stored): exit code and diagnostics."""
    return _scan(f"image:{path}")


def fetch(path: str) -> str:
    """One `Http.get` as a resolver makes it, configured by the JSON in the file: the
    answer's size, or the FetchError's reason (what the component's origin would say)."""
    import json

    from auditor.http import FetchError, Http, HttpSettings

    config = json.loads(Path(path).read_text())
    settings = HttpSettings(
        attempts=2,
        backoff=0.01,
        read_timeout=config.get("read_timeout", 20.0),
        connect_timeout=config.get("connect_timeout", 5.0),
        max_bytes=config["max_bytes"],
        deadline=config["deadline"],
    )
    try:
        reply = Http({"pypi": config["url"]}, settings=settings).get("pypi", "/pypi/x/json")
    except FetchError as exc:
        return f"unreachable: {exc.reason}"
    return f"{reply.status}: {len(reply.body)} bytes"


def scan_rpm_rootfs(path: str) -> str:
    """`auditor scan` of a root file system whose sqlite rpmdb is the file."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        rpm = Path(root) / "var/lib/rpm/rpmdb.sqlite"
        rpm.parent.mkdir(parents=True)
        shutil.copyfile(path, rpm)
        (Path(root) / "etc").mkdir()
        (Path(root) / "etc/os-release").write_text('ID=fedora\nVERSION_ID="40"\n')
        return scan_directory(Path(root))


def metadata_text(path: str) -> str:
    """The patterns applied to registry metadata and .npmrc lines, on the file's text:
    e-mail domains of an author field, and the `${VAR}` expansion of an .npmrc."""
    from auditor.attribution.candidates import _email_domains
    from auditor.endpoints import _parse_npmrc

    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return f"{len(_email_domains(text))} domains, {len(_parse_npmrc(text, {}))} settings"
