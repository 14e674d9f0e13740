"""GitLab CI: includes and the images jobs run in."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors import CollectContext
from auditor.collectors.gitlab_ci import GitLabCiCollector
from auditor.sources.directory import DirectoryTree
from tests.conftest import write_files

PIPELINE = (
    """\
include:
  - project: my-group/ci-templates
    ref: v1.2
    file: /templates/build.yml
  - remote: https://example.invalid/ci/lint.yml
  - template: Security/SAST.gitlab-ci.yml
  - component: $CI_SERVER_FQDN/my-org/security-components/secret-detection@1.0
  - local: /ci/local.yml
image: node:20
default:
  services:
    - postgres:16
build:
  image:
    name: golang:1.23@sha256:"""
    + "cd" * 32
    + """
  services:
    - name: docker:24-dind
  script: [make]
"""
)


def test_includes_and_images(tmp_path: Path) -> None:
    write_files(tmp_path, {".gitlab-ci.yml": PIPELINE})
    got = GitLabCiCollector().collect(DirectoryTree(str(tmp_path), tmp_path), CollectContext())
    where = {c.purl: c.locations[0].line for c in got.components}
    assert where == {
        "pkg:gitlab/my-group/ci-templates@v1.2#templates/build.yml": 2,
        "pkg:generic/lint.yml?download_url=https://example.invalid/ci/lint.yml": 5,
        "pkg:generic/gitlab-ci-templates/Security/SAST": 6,
        "pkg:gitlab/my-org/security-components@1.0#secret-detection": 7,
        "pkg:oci/node?repository_url=docker.io/library/node&tag=20": 9,
        "pkg:oci/postgres?repository_url=docker.io/library/postgres&tag=16": 12,
        f"pkg:oci/golang@sha256:{'cd' * 32}?repository_url=docker.io/library/golang&tag=1.23": 15,
        "pkg:oci/docker?repository_url=docker.io/library/docker&tag=24-dind": 17,
    }
    unpinned = sorted(f.purl.partition("?")[0] for f in got.findings)
    assert unpinned == ["pkg:oci/docker", "pkg:oci/node", "pkg:oci/postgres"]
    assert not got.diagnostics


def test_bad_pipeline_yaml_is_a_diagnostic(tmp_path: Path) -> None:
    write_files(tmp_path, {".gitlab-ci.yml": "include: [\n"})
    got = GitLabCiCollector().collect(DirectoryTree(str(tmp_path), tmp_path), CollectContext())
    assert got.components == () and "not valid YAML" in str(got.diagnostics[0])
