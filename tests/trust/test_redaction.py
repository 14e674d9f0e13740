"""No planted secret reaches any output, the debug log or the store (issue 28).

An image made by umoci carries secrets in its `Env`, `Cmd`, `Entrypoint`, labels and
history; a requirements file carries them in a direct URL's userinfo and query string;
`--notify` gets a webhook whose path and query are the secret. The scan runs with
`--debug` into a SQLite store; every format of `report`, the log and the store file's
bytes are then grepped for every secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.urls import REDACTED, is_secret_name, redact, redact_endpoint, redact_text
from tests.servers.webhook import WebhookState, serve
from tests.sources.images import run, umoci_image, write

S = {n: f"pl4nted{n}x{n * 7}" for n in range(1, 14)}  # distinct, greppable secrets
GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
FORMATS = ("table", "json", "cyclonedx", "spdx", "sarif", "markdown", "html")


def _image(tmp_path: Path) -> Path:
    layout = umoci_image(
        tmp_path / "img",
        [
            (f'/bin/sh -c curl -H "Authorization: Bearer {GH}" https://files.invalid/x',
             lambda root: write(root, {"app/a.txt": "a"})),
            (f"/bin/sh -c #(nop)  ENV AWS_SECRET_ACCESS_KEY={S[1]}",
             lambda root: write(root, {"app/b.txt": "b"})),
            (f"/bin/sh -c mysql --password {S[2]} -e select",
             lambda root: write(root, {"app/c.txt": "c"})),
        ],
        labels={"org.example.feed": f"https://files.invalid/f?X-Amz-Signature={S[3]}&a=1"},
    )  # fmt: skip
    image = f"{layout}:latest"
    run("umoci", "config", "--image", image,
        "--config.env", f"API_TOKEN={S[4]}", "--config.env", f"DB_PASSWORD={S[5]}",
        "--config.env", "PATH=/usr/local/bin:/usr/bin",
        "--config.entrypoint", "/app/run",
        "--config.entrypoint", f"--url=https://ci:{S[6]}@files.invalid/x?token={S[7]}",
        "--config.cmd", "--api-key", "--config.cmd", S[8])  # fmt: skip
    return layout


def _auditor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, check=False,
        env={**os.environ, **env, "PYTHONPATH": str(Path(__file__).parents[2])},
    )  # fmt: skip


def _leaks(text: str) -> list[str]:
    return [s for s in [*S.values(), GH] if s in text]


def test_planted_secrets_reach_no_output_log_or_store(tmp_path: Path) -> None:
    layout = _image(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(
        f"foo @ https://user:{S[9]}@files.invalid/foo-1.0.tar.gz?token={S[10]}&sig={S[11]}\n"
    )
    db = tmp_path / "store.db"
    env = {"AUDITOR_DB": f"sqlite:///{db}"}
    hook = WebhookState()
    for url in serve(hook):
        scan = _auditor("--debug", "scan", f"image:{layout}",
                        str(project), "--no-resolve", "-f", "json",
                        "--notify", f"{url}/hooks/{S[12]}?token={S[13]}", env=env)  # fmt: skip
        failed = _auditor("--debug", "scan", str(project), "--no-resolve", "-f", "json",
                          "--notify", f"http://127.0.0.1:9/hooks/{S[12]}?token={S[13]}",
                          env=env)  # fmt: skip
    assert scan.returncode in (0, 1), scan.stderr
    assert hook.delivered, "the webhook was called"  # the secret path is used, just never shown
    assert "notification not delivered" in failed.stderr and "127.0.0.1:9/…" in failed.stderr
    assert "DEBUG" in scan.stderr  # the debug log is in play
    outputs = {"scan json": scan.stdout, "debug log": scan.stderr + failed.stderr}
    scan_id = json.loads(scan.stdout)["scan"]["id"]
    for fmt in FORMATS:
        shown = _auditor("report", scan_id, "-f", fmt, env=env)
        assert shown.returncode == 0, shown.stderr
        outputs[fmt] = shown.stdout
    for view in (("show", scan_id, "pkg:pypi/foo"), ("origins", scan_id)):
        outputs[view[0]] = _auditor(*view, env=env).stdout
    outputs["store"] = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*")).decode(
        "latin-1"
    )
    assert REDACTED in outputs["json"]  # the values were there, and were withheld
    assert "PATH=/usr/local/bin" in outputs["json"] or "/usr/local/bin" in outputs["json"]
    leaks = {where: found for where, text in outputs.items() if (found := _leaks(text))}
    assert leaks == {}


NAMES = st.sampled_from(["AWS_SECRET_ACCESS_KEY", "HF_TOKEN", "api_key", "apiKey",
                         "X-Amz-Signature", "DB_PASSWORD", "client_secret", "sig",
                         "GITLAB_PRIVATE_TOKEN", "_authToken", "X-Goog-Credential"])  # fmt: skip
VALUES = st.builds(  # a credential: token characters with a digit among them
    lambda head, digit: head + digit,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789_/+",
            min_size=5, max_size=40).filter(lambda v: "REDACTED" not in v),
    st.sampled_from("0123456789"),
)  # fmt: skip
SHAPES = st.sampled_from(
    ["{k}={v}", "{k}: {v}", 'export {k}="{v}"', "--{k} {v}", "--{k}={v}",
     "https://h.invalid/p?a=1&{k}={v}", "ENV {k}={v} OTHER=x", "https://h.invalid/p?{k}={v}#f",
     '{{"{k}": "{v}"}}', "echo '{k}={v}' >> .env"]
)  # fmt: skip


@given(name=NAMES, value=VALUES, shape=SHAPES)
def test_secrets_by_name_in_any_shape(name: str, value: str, shape: str) -> None:
    if shape.startswith("--"):
        name = name.lower().replace("_", "-").strip("-")
    text = shape.format(k=name, v=value)
    assert value not in redact_text(text), text


TOKENS = st.one_of(
    st.from_regex(r"ghp_[A-Za-z0-9]{36}", fullmatch=True),
    st.from_regex(r"github_pat_[A-Za-z0-9_]{40}", fullmatch=True),
    st.from_regex(r"glpat-[A-Za-z0-9_-]{20}", fullmatch=True),
    st.from_regex(r"hf_[A-Za-z0-9]{34}", fullmatch=True),
    st.from_regex(r"AKIA[0-9A-Z]{16}", fullmatch=True),
    st.from_regex(r"xoxb-[0-9]{10}-[A-Za-z0-9]{16}", fullmatch=True),
)


@given(token=TOKENS, before=st.sampled_from(["", "echo ", "x=", "Bearer ", "token "]))
def test_tokens_by_shape(token: str, before: str) -> None:
    assert token not in redact_text(f"{before}{token} done")


@given(st.text(max_size=200))
def test_redact_text_is_idempotent_and_total(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "pkg:pypi/requests@2.32.3",
        "PATH=/usr/bin:/bin",
        "label.org.opencontainers.image.authors",
        "author: Jane Doe",
        "https://github.com/psf/requests",
        "release.young: 2 days old",
        "sha256:" + "a" * 64,
        "git+ssh://git@github.com/o/r.git",
        "PWD=/src",
        "HOME=/root",
        "set HF_TOKEN to a token with access",
        "keycloak_url=https://kc.invalid/realm",
        "2 files not covered by the signature: model.bin, config.json",
        "weights.pem: not a PEM public key: unsupported key type",
        "sig: verified",
        "hint: pass --signature-key PATH or --signature-identity ID",
        "configure --signature-key keys/pub.pem",
        # An organisation's legal name (DeepSeek's): "Basic" here starts no credential.
        "Hangzhou DeepSeek Artificial Intelligence Basic Technology Research Co., Ltd.",
        "Bearer Instruments Ltd",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("name", "secret"),
    [("HF_TOKEN", True), ("author", False), ("PWD", False), ("DB_PWD", True),
     ("X-Amz-Credential", True), ("monkey", False), ("apiKey", True), ("PATH", False)],
)  # fmt: skip
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_urls() -> None:
    assert redact("https://h.invalid/x?X-Amz-Signature=abc&b=2") == (
        "https://h.invalid/x?X-Amz-Signature=REDACTED&b=2"
    )
    assert (
        redact_endpoint("https://hooks.invalid/services/T0/B0/XYZ?x=1") == "https://hooks.invalid/…"
    )
