"""Model references in code, configs and Dockerfiles: file, line, pinning, purls."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.collectors import CollectContext
from auditor.collectors.model_refs import ModelRefsCollector
from auditor.references import references_in_text

PIN = "0123456789abcdef0123456789abcdef01234567"

PY = f'''
import modelscope
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline
from huggingface_hub import hf_hub_download, snapshot_download
from sentence_transformers import SentenceTransformer
from vllm import LLM
from modelscope import snapshot_download as ms_download

BASE = "Qwen/Qwen2.5-7B-Instruct"
tok = AutoTokenizer.from_pretrained(BASE, revision="{PIN}")
model = AutoModelForCausalLM.from_pretrained(
    "meta-llama/Llama-3.1-8B",
    revision="main",
)
clf = pipeline("sentiment-analysis", model="distilbert/distilbert-base-uncased")
path = hf_hub_download(repo_id="org/weights", filename="m.bin", revision="{PIN}")
data = snapshot_download("org/corpus", repo_type="dataset")
emb = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
llm = LLM(model="mistralai/Mistral-7B-v0.1")
ms = ms_download("qwen/Qwen2-7B", revision="v1.0")
ms2 = modelscope.snapshot_download("damo/nlp")
local = AutoTokenizer.from_pretrained("./checkpoints/final")
other = AutoTokenizer.from_pretrained(some_variable)
'''


def refs(path: str, text: str) -> list[tuple[str, int, str, bool, str]]:
    return [
        (r.repo_id, r.line, r.hub, r.pinned, r.repo_type or "model")
        for r in references_in_text(path, text).references
    ]


def test_python_calls() -> None:
    assert refs("app.py", PY) == [
        ("Qwen/Qwen2.5-7B-Instruct", 10, "huggingface", True, "model"),
        ("meta-llama/Llama-3.1-8B", 11, "huggingface", False, "model"),
        ("distilbert/distilbert-base-uncased", 15, "huggingface", False, "model"),
        ("org/weights", 16, "huggingface", True, "model"),
        ("org/corpus", 17, "huggingface", False, "dataset"),
        ("sentence-transformers/all-MiniLM-L6-v2", 18, "huggingface", False, "model"),
        ("mistralai/Mistral-7B-v0.1", 19, "huggingface", False, "model"),
        ("qwen/Qwen2-7B", 20, "modelscope", False, "model"),
        ("damo/nlp", 21, "modelscope", False, "model"),
    ]


def test_configs_with_lines_and_revisions() -> None:
    yaml_text = (
        f"model:\n  model_name_or_path: org/a\n  revision: {PIN}\nteacher_model: org/b\nname: x/y\n"
    )
    assert refs("train.yaml", yaml_text) == [
        ("org/a", 2, "huggingface", True, "model"),
        ("org/b", 4, "huggingface", False, "model"),
    ]
    json_text = '{\n  "base_model": "org/c",\n  "tokenizer": "gpt2"\n}\n'
    assert refs("cfg.json", json_text) == [("org/c", 2, "huggingface", False, "model")]
    toml_text = '[model]\nrepo_id = "org/d"\nrevision = "main"\n'
    assert refs("cfg.toml", toml_text) == [("org/d", 2, "huggingface", False, "model")]
    assert refs("package-lock.json", '{"model": "org/e"}') == []


def test_dockerfile_and_shell() -> None:
    docker = (
        "FROM python:3.11\n"
        "RUN pip install -U huggingface_hub && \\\n"
        f"    huggingface-cli download org/one --revision {PIN} --local-dir /m && \\\n"
        "    echo done\n"
        "# hf download org/commented\n"
        "RUN hf download --repo-type dataset org/two config.json\n"
    )
    assert refs("Dockerfile", docker) == [
        ("org/one", 2, "huggingface", True, "model"),
        ("org/two", 6, "huggingface", False, "dataset"),
    ]
    assert refs("fetch.sh", "hf download org/three --revision=main\n") == [
        ("org/three", 1, "huggingface", False, "model")
    ]


def test_bad_python_is_a_located_diagnostic() -> None:
    extracted = references_in_text("bad.py", "x = 1\nfrom_pretrained(\n")
    (diag,) = extracted.diagnostics
    assert diag.location.startswith("bad.py:")


def test_collector_components_and_findings(tmp_path: Path) -> None:
    from auditor.sources.directory import DirectoryTree

    (tmp_path / "app.py").write_text(PY)
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.py").write_text('from_pretrained("org/vendored")\n')
    found = ModelRefsCollector().collect(DirectoryTree("t", tmp_path), CollectContext())
    purls = {c.purl for c in found.components}
    assert f"pkg:huggingface/Qwen/Qwen2.5-7B-Instruct@{PIN}" in purls
    assert "pkg:huggingface/org/corpus?repository_type=dataset" in purls
    assert "pkg:generic/qwen/Qwen2-7B?repository_url=modelscope" in purls
    assert not any("vendored" in p for p in purls)
    unpinned = sorted(f.message.split(":")[1] for f in found.findings)
    assert unpinned == ["11", "15", "17", "18", "19", "20", "21"]
    assert {f.rule for f in found.findings} == {"model.unpinned-reference"}
    assert {f.severity.value for f in found.findings} == {"medium"}
    loc = next(c for c in found.components if c.name == "org/weights").locations[0]
    assert (loc.path, loc.line) == ("app.py", 16)


def test_only_the_statements_that_matter_are_parsed_yet_lines_stay_true() -> None:
    text = (
        "import os\n"
        'NAME = "org/const"\n'
        "\n"
        "@decorator\n"
        "def load():\n"
        '    """Docstring\n'
        "with a column-0 line inside it\n"
        '    """\n'
        "    return AutoModel.from_pretrained(NAME)\n"
        "\n"
        "class A:\n"
        "    def f(self):\n"
        "        try:\n"
        "            pass\n"
        "        except Exception:\n"
        '            hf_hub_download("org/in-class", "x")\n'
    )
    assert refs("x.py", text) == [
        ("org/const", 9, "huggingface", False, "model"),
        ("org/in-class", 16, "huggingface", False, "model"),
    ]


def test_files_on_disk_for_the_hook(tmp_path: Path) -> None:
    from auditor.references import references_in_files

    (tmp_path / "a.py").write_text('pipeline("x", model="org/a")\n')
    (tmp_path / "b.py").write_bytes(b"\xff\xfe bad")
    (tmp_path / "notes.txt").write_text('from_pretrained("org/ignored")\n')
    found = references_in_files(
        [tmp_path / "a.py", tmp_path / "b.py", tmp_path / "notes.txt", tmp_path / "gone.py"]
    )
    assert [(r.repo_id, r.line) for r in found.references] == [("org/a", 1)]
    assert sorted(Path(d.location).name for d in found.diagnostics) == ["b.py", "gone.py"]


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=300),
    st.sampled_from(["a.py", "c.yaml", "c.json", "c.toml", "Dockerfile", "x.sh"]),
)
def test_every_reference_parser_takes_any_text(text: str, name: str) -> None:
    extracted = references_in_text(name, text)
    for ref in extracted.references:
        assert 1 <= ref.line <= text.count("\n") + 1


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "x = 1\n",
                '"""doc\nfrom_pretrained("a/b")\n"""\n',
                "def f():\n    return 1\n",
                'M = "org/m"\n',
                "AutoModel.from_pretrained(M)\n",
                "@d\ndef g():\n    pipeline('t', model='org/p')\n",
                "try:\n    import modelscope\nexcept ImportError:\n    pass\n",
                "if x:\n    hf_hub_download('org/h', 'f')\nelse:\n    pass\n",
            ]
        ),
        max_size=8,
    )
)
def test_partial_parsing_agrees_with_a_full_parse(pieces: list[str]) -> None:
    from auditor.references import python_refs

    text = "".join(pieces)
    fast = python_refs.python_references("a.py", text)
    hits = python_refs._hit_lines(text)
    full: list[tuple[str, int]] = []
    if hits:
        original = python_refs._statements_near
        python_refs._statements_near = lambda _t, _h: None  # type: ignore[assignment]
        try:
            full = [
                (r.repo_id, r.line) for r in python_refs.python_references("a.py", text).references
            ]
        finally:
            python_refs._statements_near = original
    assert [(r.repo_id, r.line) for r in fast.references] == full


def test_a_site_packages_target_is_library_code(tmp_path: Path) -> None:
    from auditor.sources.directory import DirectoryTree

    (tmp_path / "transformers").mkdir()
    (tmp_path / "transformers" / "doc.py").write_text('from_pretrained("google-bert/bert")\n')
    (tmp_path / "transformers-5.0.dist-info").mkdir()
    (tmp_path / "transformers-5.0.dist-info" / "METADATA").write_text("Name: transformers\n")
    found = ModelRefsCollector().collect(DirectoryTree("t", tmp_path), CollectContext())
    assert not found.components and not found.findings


def test_only_build_files_are_read_as_dockerfiles() -> None:
    from auditor.references import kind_of

    for name in ("Dockerfile", "Containerfile", "Dockerfile.dev", "deploy/Containerfile.cuda-12",
                 "x.dockerfile", "Makefile"):  # fmt: skip
        assert kind_of(name) == "shell", name
    # The format's man pages (containers-common ships Containerfile.5.gz), documents, backups.
    others = (
        "usr/share/man/man5/Containerfile.5.gz", "Dockerfile.5", "Containerfile.md",
        "Dockerfile.orig", "Dockerfile.txt", "Dockerfile.dev.bak", "Dockerfile.gz",
    )  # fmt: skip
    for name in others:
        assert kind_of(name) is None, name
    download = "RUN hf download org/model\n"
    assert references_in_text("man5/Containerfile.5.gz", download).references == ()
