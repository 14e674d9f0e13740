"""A virtual environment's `.pth` files and its packages' test fixtures are not models.

A real venv (`python -m venv`), path-configuration `.pth` files beside the distributions, and
an installed distribution whose RECORD lists weight fixtures (a NumPy array, an npz archive,
an unsafe pickle, an `.h5` that is not HDF5): no model or weights component comes out; the
fixtures are the distribution's files, and the unsafe pickle is a finding on it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

from auditor.config import Config
from auditor.model import ComponentKind
from auditor.pipeline import run_scan
from tests.services import filled


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo owned",))


def _record_line(root: Path, path: Path) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=")
    return f"{path.relative_to(root).as_posix()},sha256={digest.decode()},{path.stat().st_size}"


def test_venv_pth_files_and_packaged_fixtures_are_no_models(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    [site] = list(venv.glob("lib/python3*/site-packages"))
    (site / "distutils-precedence.pth").write_text("import os; os.environ.get('X')\n")
    (site / "extra.pth").write_text("/opt/extra\n")
    data = site / "fixpkg" / "tests" / "data"
    data.mkdir(parents=True)
    (site / "fixpkg" / "__init__.py").write_text("")
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    (data / "array.npy").write_bytes(buffer.getvalue())
    np.savez(data / "arrays.npz", a=np.ones(2))
    (data / "evil.pkl").write_bytes(pickle.dumps(_Evil()))
    (data / "not-hdf5.h5").write_bytes(b"plain text fixture")
    dist = site / "fixpkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fixpkg\nVersion: 1.0\n")
    lines = [_record_line(site, p) for p in sorted((site / "fixpkg").rglob("*")) if p.is_file()]
    (dist / "RECORD").write_text("\n".join([*lines, "fixpkg-1.0.dist-info/RECORD,,"]) + "\n")

    scan = run_scan([str(venv)], Config(no_resolve=True))

    kinds = {c.kind for c in scan.components}
    assert ComponentKind.WEIGHTS not in kinds and ComponentKind.MODEL not in kinds, [
        c.purl for c in scan.components
    ]
    [fixpkg] = [c for c in scan.components if c.name == "fixpkg"]
    files = {f.path for f in fixpkg.files}
    # By content: the array, the archive and the pickle are weights; the `.h5` is not HDF5.
    assert files == {f"fixpkg/tests/data/{n}" for n in ("array.npy", "arrays.npz", "evil.pkl")}
    assert all(f.sha256 and len(f.sha256) == 64 for f in fixpkg.files)
    unsafe = [f for f in scan.findings if f.rule == "weights.unsafe-pickle"]
    assert [f.purl for f in unsafe] == [fixpkg.purl]
    assert "system" in unsafe[0].message


def test_the_interpreters_own_library_is_not_the_targets_code_or_models(tmp_path: Path) -> None:
    """A root file system's `usr/local/lib/python3.11/` is CPython's standard library (as an
    image built FROM python ships it): lib2to3's grammar pickles are no models and its
    modules call no AI service the target does. The same files in the app are read."""
    stdlib = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    grammars = sorted((stdlib / "lib2to3").glob("*.pickle"))
    call = Path(__file__).parents[1] / "data" / "ai_services" / "py" / "deepseek_openai.py"
    root = tmp_path / "rootfs"
    lib = root / "usr" / "local" / "lib" / "python3.11"
    (lib / "lib2to3").mkdir(parents=True)
    for grammar in grammars:
        (lib / "lib2to3" / grammar.name).write_bytes(grammar.read_bytes())
    (lib / "llm.py").write_text(filled(call.read_text(encoding="utf-8")))
    (root / "app").mkdir()
    (root / "app" / "llm.py").write_text(filled(call.read_text(encoding="utf-8")))

    scan = run_scan([str(root)], Config(no_resolve=True))

    assert grammars, "this interpreter ships lib2to3's grammar pickles"
    kinds = {c.kind for c in scan.components}
    assert ComponentKind.WEIGHTS not in kinds and ComponentKind.MODEL not in kinds
    services = [c for c in scan.components if c.kind is ComponentKind.SERVICE]
    assert services, "the app's own call is found"
    where = {loc.path for c in services for loc in c.locations}
    assert where == {"app/llm.py"}
    assert not [f for f in scan.findings if f.rule.startswith("weights.")]
