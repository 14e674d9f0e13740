"""Base and service images: Dockerfiles, compose files, Kubernetes manifests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from auditor.collectors import CollectContext
from auditor.collectors.container_images import ContainerImagesCollector
from auditor.collectors.oci_refs import parse, publisher_of
from auditor.config import Config
from auditor.pipeline import run_scan
from auditor.sources.directory import DirectoryTree
from tests.conftest import write_files

DIGEST = "sha256:" + "ab" * 32
DOCKERFILE = f"""\
# syntax=docker/dockerfile:1
ARG PY=3.12
ARG BASE
ARG REGISTRY=cgr.dev/chainguard
FROM --platform=$BUILDPLATFORM python:${{PY}}-slim AS build
RUN pip install \\
    flask
FROM build AS test
FROM ${{REGISTRY}}/python@{DIGEST}
COPY --from=build /app /app
FROM $BASE
FROM scratch
"""
COMPOSE = """\
services:
  db:
    image: postgres:16
  cache:
    image: registry.cn-hangzhou.aliyuncs.com/acme/redis:7
  app:
    build: .
"""
K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox
      containers:
        - name: app
          image: registry.access.redhat.com/ubi9/ubi-minimal:9.4
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: ghcr.io/acme/tool:1.2
---
apiVersion: v1
kind: ConfigMap
data:
  image: not-an-image:1
"""


def _collect(files: dict[str, str], tmp_path: Path):  # type: ignore[no-untyped-def]
    write_files(tmp_path, files)
    return ContainerImagesCollector().collect(
        DirectoryTree(str(tmp_path), tmp_path), CollectContext()
    )


def test_a_multi_stage_dockerfile_with_build_args(tmp_path: Path) -> None:
    got = _collect({"Dockerfile": DOCKERFILE}, tmp_path)
    where = {c.purl: c.locations[0].line for c in got.components}
    assert where == {
        "pkg:oci/python?repository_url=docker.io/library/python&tag=3.12-slim": 5,
        f"pkg:oci/python@{DIGEST}?repository_url=cgr.dev/chainguard/python": 9,
    }
    assert [str(d) for d in got.diagnostics] == [
        "Dockerfile:11: FROM $BASE: a build argument without a literal default; image not known"
    ]
    # the digest-pinned one is not unpinned
    assert [f.purl for f in got.findings] == [
        "pkg:oci/python?repository_url=docker.io/library/python&tag=3.12-slim"
    ]


def test_compose_and_kubernetes_images(tmp_path: Path) -> None:
    got = _collect({"compose.yaml": COMPOSE, "deploy/app.yaml": K8S}, tmp_path)
    where = {c.purl: (c.locations[0].path, c.locations[0].line) for c in got.components}
    assert where == {
        "pkg:oci/postgres?repository_url=docker.io/library/postgres&tag=16": ("compose.yaml", 3),
        "pkg:oci/redis?repository_url=registry.cn-hangzhou.aliyuncs.com/acme/redis&tag=7": (
            "compose.yaml",
            5,
        ),
        "pkg:oci/busybox?repository_url=docker.io/library/busybox": ("deploy/app.yaml", 9),
        "pkg:oci/ubi-minimal?repository_url=registry.access.redhat.com/ubi9/ubi-minimal&tag=9.4": (
            "deploy/app.yaml",
            12,
        ),
        "pkg:oci/tool?repository_url=ghcr.io/acme/tool&tag=1.2": ("deploy/app.yaml", 24),
    }
    assert {f.rule for f in got.findings} == {"image.unpinned"} and len(got.findings) == 5


def test_publishers_from_the_registry_data(tmp_path: Path) -> None:
    def who(ref: str) -> tuple[str | None, str | None]:
        image = parse(ref)
        assert image is not None
        entry = publisher_of(image)
        return (entry.publisher, entry.operated_in) if entry else (None, None)

    assert who("python:3.12") == ("Docker Official Images", None)
    assert who("docker.io/library/python:3.12") == ("Docker Official Images", None)
    assert who("cgr.dev/chainguard/nginx") == ("Chainguard", None)
    assert who("registry.redhat.io/ubi9") == ("Red Hat", None)
    assert who("registry.cn-beijing.aliyuncs.com/team/app:1")[1] == "CN"
    assert who("someone/app:1") == (None, None)  # a Hub user: no claim


def test_attribution_through_the_knowledge_base(tmp_path: Path) -> None:
    write_files(tmp_path, {"Dockerfile": DOCKERFILE, "compose.yaml": COMPOSE})
    result = run_scan([str(tmp_path)], replace(Config(store=False), offline=True))
    origins = result.origins_by_purl()
    official = origins["pkg:oci/postgres?repository_url=docker.io/library/postgres&tag=16"]
    assert official.organisation is not None and official.organisation.value == "Docker, Inc."
    acr = origins["pkg:oci/redis?repository_url=registry.cn-hangzhou.aliyuncs.com/acme/redis&tag=7"]
    # the registry's operator is not the image's publisher: no organisation, the country of
    # the registry only as evidence
    assert acr.organisation is None
    assert any(e.field == "hosted_in" and e.value == "CN" for e in acr.evidence)


def test_real_dockerfiles_and_manifests() -> None:
    data = Path(__file__).parent.parent / "data" / "ci" / "kubernetes+examples"
    got = ContainerImagesCollector().collect(DirectoryTree(str(data), data), CollectContext())
    assert len(got.components) >= 40
    assert all(c.purl.startswith("pkg:oci/") for c in got.components)


@given(st.text(max_size=80))
def test_any_text_parses_or_is_refused(text: str) -> None:
    image = parse(text)
    if image is not None:
        assert image.purl.startswith("pkg:oci/") and image.registry and image.name


@given(st.text(max_size=300))
def test_any_dockerfile_text_gives_images_or_diagnostics(text: str) -> None:
    from auditor.collectors.container_images import dockerfile_images

    found, problems = dockerfile_images("Dockerfile", text)
    assert all(line >= 1 for line, _ in found)
    assert all(p.location.startswith("Dockerfile:") for p in problems)


@given(st.text(max_size=300))
def test_any_yaml_text_is_read_or_refused(text: str) -> None:
    from auditor.collectors import ci_yaml
    from auditor.collectors.container_images import manifest_images

    try:
        roots = ci_yaml.documents(text)
    except ci_yaml.YamlProblem:
        return
    for root in roots:
        for node in manifest_images(root, compose=True):
            assert ci_yaml.line(node) >= 1
