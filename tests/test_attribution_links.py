"""Link classification (issue 24): which of a package's URLs are its own repository."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.links import LinkKind, classify, own_repositories, same_name


@pytest.mark.parametrize(
    ("field", "url", "package", "kind"),
    [
        ("info.project_urls.Source", "https://github.com/acme/tool", "tool", LinkKind.OWN),
        ("Project-URL.Repository", "git+https://github.com/acme/x.git", "tool", LinkKind.OWN),
        ("info.home_page", "https://github.com/acme/tool", "tool", LinkKind.OWN),
        ("repository.url", "git+https://github.com/acme/mono.git", "tool", LinkKind.OWN),
        # a fork's link to its upstream, labelled as another project's
        ("info.project_urls.Triton source", "https://github.com/up/triton", "triton-windows",
         LinkKind.OTHER_PROJECT),
        ("info.project_urls.Upstream", "https://github.com/orium/rpds", "rpds-py",
         LinkKind.OTHER_PROJECT),
        ("info.project_urls.Original repository", "https://github.com/a/b", "b",
         LinkKind.OTHER_PROJECT),
        # the package's own name in the label is its own
        ("info.project_urls.Tool source", "https://github.com/acme/tool", "tool", LinkKind.OWN),
        # community health, docs, funding, chat and issues say nothing about the code
        ("info.project_urls.Code of Conduct",
         "https://github.com/aio-libs/.github/blob/master/CODE_OF_CONDUCT.md", "yarl",
         LinkKind.NOT_REPOSITORY),
        ("info.project_urls.Homepage", "https://github.com/org/.github", "x",
         LinkKind.NOT_REPOSITORY),
        ("info.project_urls.Documentation", "https://github.com/acme/tool", "tool",
         LinkKind.NOT_REPOSITORY),
        ("info.project_urls.Funding", "https://github.com/sponsors/someone", "x",
         LinkKind.NOT_REPOSITORY),
        ("info.project_urls.Issue Tracker", "https://github.com/acme/tool/issues", "tool",
         LinkKind.NOT_REPOSITORY),
        ("info.project_urls.Chat", "https://gitter.im/acme/tool", "tool", None),
        ("info.project_urls.Source", "https://github.com/acme/tool/blob/main/CONTRIBUTING.md",
         "tool", LinkKind.NOT_REPOSITORY),
        # no label: its own only when named like the package
        ("info.download_url", "https://github.com/acme/tool/archive/1.0.tar.gz", "tool",
         LinkKind.OWN),
        ("info.download_url", "https://github.com/acme/other", "tool", LinkKind.UNLABELLED),
    ],
)  # fmt: skip
def test_classify(field: str, url: str, package: str, kind: LinkKind | None) -> None:
    link = classify(field, url, package)
    assert (link.kind if link else None) is kind


def test_own_repositories_prefer_a_repository_label_then_the_name() -> None:
    evidence = [
        ("info.project_urls.Homepage", "https://github.com/person/tool-fork"),
        ("info.project_urls.Code of Conduct", "https://github.com/org/.github/blob/main/X.md"),
        ("info.project_urls.Source", "https://github.com/org/monorepo"),
        ("info.project_urls.Upstream", "https://github.com/upstream/tool"),
    ]
    assert own_repositories(evidence, "tool") == (
        "https://github.com/org/monorepo",
        "https://github.com/person/tool-fork",
    )


def test_same_name_ignores_language_affixes() -> None:
    assert same_name("python-pinyin", "pypinyin")
    assert same_name("abbrev-js", "abbrev")
    assert same_name("mongo-python-driver", "pymongo") is False


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=120), st.text(max_size=30))
def test_any_label_and_url_classify_without_error(label: str, url: str, package: str) -> None:
    link = classify(f"info.project_urls.{label}", url, package)
    assert link is None or link.kind in LinkKind
    own_repositories([(f"Project-URL.{label}", url)], package)
