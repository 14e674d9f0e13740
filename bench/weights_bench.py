"""Issue 5 figures: unsafe-serialisation detection against picklescan and modelscan, and
model-reference extraction speed.

    bash bench/setup.sh                          # bench/.venv with picklescan and modelscan
    .venv/bin/python bench/weights_bench.py      # --markdown for RESULTS.md

1. Detection: a corpus of benign and malicious weight files, made by the real libraries (or,
   for PyTorch, per its zip/legacy format with pickle's own Pickler; see tests/weights/
   makers.py), in bench/work/weights/{benign,malicious}/. auditor scans each folder once
   (`auditor scan --no-resolve --no-store --format json`) and a file is flagged when a
   `critical` or `high` finding (unsafe pickle, Keras Lambda) names it; modelscan scans each
   folder once too (a file is flagged when its JSON report has an issue for it); picklescan
   runs once per file (exit status 1 = dangerous import). Targets: auditor flags every file
   either peer flags, and flags no benign file.
2. Reference extraction: 5,000 generated Python files of 200 lines (one in ten calls
   from_pretrained & co.), whole CLI under 5 s; and 50 such files under 1 s (the pre-commit
   budget).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pickle
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

import joblib  # noqa: E402
import numpy as np  # noqa: E402

from tests.weights import makers  # noqa: E402
from tests.weights.makers import Call, Ref  # noqa: E402

WORK = BENCH / "work" / "weights"
AUDITOR = REPO / ".venv" / "bin" / "auditor"
PEERS = BENCH / ".venv" / "bin"


class Evil:
    """A real object whose pickle runs `os.system` (numpy/joblib pickle it themselves)."""

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def _pickle(path: Path, obj: object, protocol: int = 2) -> None:
    path.write_bytes(makers.dumps(obj, protocol))


def _malicious(out: Path) -> None:
    for proto in range(6):
        _pickle(out / f"os_system_p{proto}.pkl", makers.exploit("id"), proto)
    calls: list[tuple[str, str, tuple[object, ...]]] = [
        ("builtins", "exec", ("print(1)",)),
        ("builtins", "eval", ("1+1",)),
        ("builtins", "getattr", (0, "real")),
        ("builtins", "__import__", ("os",)),
        ("subprocess", "Popen", (["id"],)),
        ("subprocess", "check_output", (["id"],)),
        ("posix", "system", ("id",)),
        ("nt", "system", ("id",)),
        ("runpy", "_run_code", ("print(1)", {})),
        ("webbrowser", "open", ("http://127.0.0.1:9/",)),
        ("socket", "create_connection", (("127.0.0.1", 9),)),
        ("shutil", "rmtree", ("/nonexistent",)),
        ("pty", "spawn", ("id",)),
        ("ctypes", "CDLL", ("libc.so.6",)),
        ("pdb", "run", ("print(1)",)),
        ("operator", "attrgetter", ("system",)),
        ("pickle", "loads", (b"N.",)),
        ("torch.serialization", "load", ("x.pt",)),
        ("requests.api", "get", ("http://127.0.0.1:9/",)),
        ("asyncio", "create_subprocess_shell", ("id",)),
    ]
    for module, name, args in calls:
        _pickle(out / f"{module.replace('.', '_')}_{name}.pkl", Call(Ref(module, name), args), 4)
    partial = Call(Ref("functools", "partial"), (Ref("os", "system"), "id"))
    _pickle(out / "functools_partial.pkl", Call(partial, ()), 2)
    for proto in (2, 4):
        payload = makers.state_dict()
        payload["x"] = makers.exploit("id")
        makers.torch_zip(out / f"checkpoint_p{proto}.pt", payload, protocol=proto)
    payload = makers.state_dict()
    payload["x"] = makers.exploit("id")
    makers.torch_zip(out / "renamed_archive.bin", payload, archive="model")
    makers.torch_legacy(out / "legacy.pth", payload)
    joblib.dump({"clf": Evil()}, out / "plain.joblib")
    joblib.dump({"w": np.arange(4096.0), "clf": Evil()}, out / "after_array.joblib")
    joblib.dump({"clf": Evil()}, out / "zlib.joblib", compress=3)
    joblib.dump({"o": np.array([Evil(), 1], dtype=object)}, out / "object_array.joblib")
    np.save(out / "object_array.npy", np.array([Evil(), 1], dtype=object), allow_pickle=True)
    np.savez(out / "object_member.npz", a=np.arange(3), o=np.array([Evil()], dtype=object))
    layers = [makers.dense_layer("d"), makers.lambda_layer("payload")]
    makers.keras_zip(out / "lambda.keras", layers)
    makers.keras_h5(out / "lambda.h5", layers)
    # STACK_GLOBAL fed from the memo: module and name come back through BINGET.
    data = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x02id\x85R."
    (out / "memo_stack_global.pkl").write_bytes(data)


def _benign(out: Path) -> None:
    from safetensors.numpy import save_file

    plain = {"weights": [1.0, 2.0], "name": "tiny", "n": 3, "tags": ("a", "b"), "b": b"\x00"}
    for proto in range(6):
        (out / f"plain_p{proto}.pkl").write_bytes(pickle.dumps(plain, proto))
    (out / "ordered.pkl").write_bytes(pickle.dumps(collections.OrderedDict(a=1), 4))
    (out / "numpy_array.pkl").write_bytes(pickle.dumps(np.arange(10.0), 2))
    (out / "numpy_arrays_p5.pkl").write_bytes(pickle.dumps({"a": np.ones((3, 3))}, 5))
    (out / "sets.pkl").write_bytes(pickle.dumps({"s": {1, 2}, "f": frozenset({3})}, 2))
    for proto in (2, 4):
        makers.torch_zip(out / f"pytorch_model_p{proto}.bin", makers.state_dict(), protocol=proto)
    makers.torch_zip(out / "model.pt", makers.state_dict(), archive="model")
    makers.torch_legacy(out / "legacy.pth", makers.state_dict())
    joblib.dump({"w": np.arange(4096.0), "b": np.zeros((8, 8), np.int16)}, out / "arrays.joblib")
    joblib.dump({"w": np.arange(100.0)}, out / "zlib.joblib", compress=3)
    joblib.dump({"w": np.arange(100.0)}, out / "gzip.joblib", compress=("gzip", 3))
    joblib.dump({"labels": ["a", "b"], "n": 3}, out / "dict.joblib")
    joblib.dump({"s": np.array(["x", "yy"])}, out / "strings.joblib")
    np.save(out / "float.npy", np.arange(10.0))
    np.save(out / "int.npy", np.arange(10))
    np.save(out / "matrix.npy", np.ones((4, 4), np.float16))
    np.savez(out / "arrays.npz", a=np.arange(3), b=np.ones(2))
    np.savez_compressed(out / "compressed.npz", a=np.arange(3))
    for i in range(3):
        save_file({"w": np.zeros((2, i + 1), np.float32)}, str(out / f"m{i}.safetensors"))
    from tests.weights.test_weights import _gguf

    _gguf(out / "a.gguf")
    _gguf(out / "b.gguf", repo_url="https://example.invalid/org/base")
    _onnx(out / "m.onnx")
    makers.keras_zip(out / "dense.keras", [makers.dense_layer("d")])
    makers.keras_h5(out / "dense.h5", [makers.dense_layer("d")])


def _onnx(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    onnx.save(helper.make_model(graph, producer_name="bench"), str(path))


def make_corpus() -> tuple[list[Path], list[Path]]:
    """Fresh benign and malicious folders; returns their files."""
    shutil.rmtree(WORK, ignore_errors=True)
    benign, malicious = WORK / "benign", WORK / "malicious"
    benign.mkdir(parents=True)
    malicious.mkdir(parents=True)
    _benign(benign)
    _malicious(malicious)
    return sorted(benign.iterdir()), sorted(malicious.iterdir())


def picklescan_flags(path: Path) -> bool:
    """picklescan's exit status: 1 = dangerous import found (0 clean, 2 scan error)."""
    run = subprocess.run(
        [str(PEERS / "picklescan"), "--path", str(path)], capture_output=True, check=False
    )
    return run.returncode == 1


def modelscan_flags(folder: Path) -> tuple[set[str], float]:
    """Files modelscan reports an issue for (any severity), scanning the folder once: with
    TensorFlow installed (needed for `.keras`) each run spends ~20 s importing it, so one
    run per file would take half an hour."""
    report = WORK / f"modelscan-{folder.name}.json"
    start = time.perf_counter()
    subprocess.run(
        [str(PEERS / "modelscan"), "-p", str(folder), "-r", "json", "-o", str(report)],
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    issues = json.loads(report.read_text())["issues"]
    return {Path(issue["source"].split(":")[0]).name for issue in issues}, elapsed


def auditor_flags(folders: list[Path]) -> tuple[set[str], set[str], float]:
    """Files with a critical/high finding, files with only a medium one, and the wall time."""
    start = time.perf_counter()
    run = subprocess.run(
        [
            str(AUDITOR),
            "scan",
            *map(str, folders),
            "--no-resolve",
            "--no-store",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    doc = json.loads(run.stdout)
    paths = {c["purl"]: [loc["path"] for loc in c["locations"]] for c in doc["components"]}
    flagged: set[str] = set()
    medium: set[str] = set()
    for finding in doc["findings"]:
        names = {Path(p).name for p in paths.get(finding["purl"], [])}
        if finding["severity"] in ("critical", "high"):
            flagged |= names
        elif finding["severity"] == "medium":
            medium |= names
    return flagged, medium - flagged, elapsed


def _timed(check: Callable[[Path], bool], files: list[Path]) -> tuple[set[str], float]:
    start = time.perf_counter()
    flagged = {f.name for f in files if check(f)}
    return flagged, time.perf_counter() - start


def detection(markdown: bool) -> bool:
    benign, malicious = make_corpus()
    files = benign + malicious
    print(f"corpus: {len(benign)} benign, {len(malicious)} malicious files")
    # The same name can sit in both folders: each folder is scanned and counted apart.
    ps_b, t_ps_b = _timed(picklescan_flags, benign)
    ps_m, t_ps_m = _timed(picklescan_flags, malicious)
    ms_b, t_ms_b = modelscan_flags(WORK / "benign")
    ms_m, t_ms_m = modelscan_flags(WORK / "malicious")
    au_b, au_b_medium, t_au_b = auditor_flags([WORK / "benign"])
    au_m, _, t_au_m = auditor_flags([WORK / "malicious"])
    rows = [
        ("auditor", au_b, au_m, t_au_b + t_au_m, "2 whole-CLI runs (one per folder)"),
        ("picklescan", ps_b, ps_m, t_ps_b + t_ps_m, f"{len(files)} runs (one per file)"),
        ("modelscan", ms_b, ms_m, t_ms_b + t_ms_m, "2 runs (one per folder, JSON report)"),
    ]
    either = ps_m | ms_m
    missed = sorted(either - au_m)
    target_ok = not missed and not au_b
    if markdown:
        print("| tool | malicious flagged | benign flagged (false positives) | wall | runs |")
        print("|---|---|---|---|---|")
        for tool, b, m, t, how in rows:
            print(
                f"| {tool} | {len(m)}/{len(malicious)} | {len(b)}/{len(benign)} "
                f"| {t:.2f} s | {how} |"
            )
    else:
        for tool, b, m, t, how in rows:
            print(
                f"{tool:11s} malicious {len(m):2d}/{len(malicious)}  "
                f"benign {len(b):2d}/{len(benign)}  {t:6.2f} s  ({how})"
            )
    print(f"flagged by either peer: {len(either)}; of those missed by auditor: {missed or 'none'}")
    print(f"flagged only by auditor: {sorted(au_m - either)}")
    for tool, _, m, _, _ in rows[1:]:
        print(f"missed by {tool}: {sorted({f.name for f in malicious} - m)}")
    print(f"benign files auditor rates medium (unknown import, not flagged): {sorted(au_b_medium)}")
    print(f"benign files a peer flags: picklescan {sorted(ps_b)}, modelscan {sorted(ms_b)}")
    print(("PASS" if target_ok else "MISS") + ": auditor flags all either peer flags, no benign")
    return target_ok


_BLOCK = [
    "def helper_{k}(value):",
    '    """Helper {k}."""',
    "    total = 0",
    "    for i in range({k}):",
    "        total += value * i",
    "    if total > {k}:",
    '        logger.debug("total %s", total)',
    "    return total",
    "",
]
_REFS = [
    'model = AutoModel.from_pretrained("org-{i}/model-{i}")',
    'tok = AutoTokenizer.from_pretrained("org-{i}/model-{i}", revision="{pin}")',
    'path = hf_hub_download(repo_id="org-{i}/weights", filename="m.bin")',
    'clf = pipeline("text-classification", model="org-{i}/cls")',
]


def make_python_tree(root: Path, files: int, lines: int = 200) -> int:
    """`files` valid Python files of `lines` lines, each importing transformers (so none is
    skipped before `ast`); one in ten holds two model references."""
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(5)
    references = 0
    for n in range(files):
        folder = root / f"pkg{n // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        body = [
            "import logging",
            "from transformers import AutoModel, AutoTokenizer, pipeline",
            "logger = logging.getLogger(__name__)",
        ]
        if n % 10 == 0:
            for ref in rng.sample(_REFS, 2):
                body.append(ref.format(i=n, pin="0123456789abcdef0123456789abcdef01234567"))
                references += 1
        while len(body) + len(_BLOCK) <= lines:
            body.extend(line.format(k=len(body)) for line in _BLOCK)
        body.extend(f"# padding {i}" for i in range(lines - len(body)))
        (folder / f"mod{n}.py").write_text("\n".join(body) + "\n")
    return references


def references(markdown: bool, rounds: int) -> bool:
    ok = True
    for files, budget in ((5000, 5.0), (50, 1.0)):
        root = BENCH / "work" / f"refs{files}"
        expected = make_python_tree(root, files)
        times: list[float] = []
        cpus: list[float] = []
        found = 0
        out = BENCH / "work" / "refs.json"
        for _ in range(rounds + 1):  # the first is a warm-up (page cache, .pyc)
            argv = [str(AUDITOR), "scan", str(root), "--no-resolve", "--no-store"]
            argv += ["--format", "json", "--output", str(out)]
            start = time.perf_counter()
            child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(child.pid, 0)
            times.append(time.perf_counter() - start)
            cpus.append(usage.ru_utime + usage.ru_stime)
            doc = json.loads(out.read_text())
            found = sum(len(c["locations"]) for c in doc["components"])
        median = sorted(times[1:])[len(times[1:]) // 2]
        cpu = sorted(cpus[1:])[len(cpus[1:]) // 2]
        passed = median < budget and found == expected
        ok = ok and passed
        line = (
            f"{files} files x 200 lines: {found}/{expected} references; whole CLI median "
            f"{median:.2f} s wall, {cpu:.2f} s CPU (user+sys) vs budget {budget:.0f} s = "
            f"{median / budget:.2f}x budget (wall), {cpu / budget:.2f}x (CPU): "
            f"{'PASS' if passed else 'MISS'}; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores"
        )
        print(("- " if markdown else "") + line)
    return ok


def gguf_header(markdown: bool) -> None:
    """Why our own GGUF reader: a llama-sized vocabulary (150,000 tokens with scores and
    types) read by ours and by `gguf.GGUFReader`, in-process, same file."""
    import gguf

    from auditor.weights.headers import read_gguf

    path = BENCH / "work" / "vocab150k.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("bench")
    writer.add_token_list([f"tok{i}" for i in range(150_000)])
    writer.add_token_scores([0.0] * 150_000)
    writer.add_token_types([1] * 150_000)
    writer.add_tensor("t", np.zeros((4, 4), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    start = time.perf_counter()
    with path.open("rb") as fh:
        read_gguf(fh, path.stat().st_size)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    gguf.GGUFReader(str(path))
    theirs = time.perf_counter() - start
    line = (
        f"GGUF header with a 150,000-token vocabulary: auditor {ours:.2f} s, "
        f"gguf.GGUFReader {theirs:.2f} s ({theirs / ours:.0f}x)"
    )
    print(("- " if markdown else "") + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-detection", action="store_true")
    args = parser.parse_args()
    for peer in ("picklescan", "modelscan"):
        if not args.skip_detection and not (PEERS / peer).is_file():
            sys.exit(f"{peer} missing: run bash bench/setup.sh")
    if not args.skip_detection:
        detection(args.markdown)
    references(args.markdown, args.rounds)
    gguf_header(args.markdown)


if __name__ == "__main__":
    main()
