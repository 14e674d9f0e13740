"""Which of a package's links are its own repository (issue 24: link classification).

Metadata carries many URLs; only some say where the package's code lives. A link is the
package's *own* repository when it points at a repository on a code host and either its
label says source / repository / code / homepage, or the repository's name is the
package's name. It is never the own repository when:

- its label names another project (`"Triton source"` on `triton-windows`, `Upstream`,
  `Original`, `Fork of`): a fork keeps the upstream's link and says so;
- it points into a community-health repository (`<owner>/.github`: codes of conduct,
  contributing guides, funding files), or its path is a code of conduct, funding, sponsor,
  issue, discussion, wiki or documentation page;
- its label says documentation, changelog, funding, chat, issues, tracker, CI, releases,
  download or any other non-repository purpose.

Pure functions on (field, value) pairs: no registry, no knowledge base. Below attribution and
the resolvers (both use it, so it belongs to neither). Shared by the
origin every resolver starts from (resolvers/local.py) and by attribution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from urllib.parse import urlsplit

from auditor.urls import normalise_repository


class LinkKind(StrEnum):
    """What a URL in a package's metadata is, for attribution."""

    OWN = "own"
    """The package's own repository (labelled so, or named like the package)."""
    OTHER_PROJECT = "other-project"
    """A repository the label says belongs to another project (upstream, original …)."""
    NOT_REPOSITORY = "not-repository"
    """Docs, funding, chat, issues, a community `.github` repository, a code of conduct …"""
    UNLABELLED = "unlabelled"
    """A repository link with no label saying whose it is (e.g. `Download-URL`)."""


# Evidence fields whose values are a package's links, and the label each carries.
_LABELLED = re.compile(r"^(?:Project-URL|info\.project_urls|project_urls|urls)\.(?P<label>.+)$")
_HOME_FIELDS = frozenset({"Home-page", "info.home_page", "homepage", "url"})
_REPOSITORY_FIELDS = frozenset({"repository.url", "repository", "source", "Source"})
_OTHER_LINK_FIELDS = frozenset({"Download-URL", "info.download_url", "download_url"})

_OWN_LABEL = re.compile(r"^(?:source(?:[ _-]?code)?|sources|repository|repo|code|github|gitlab|"
                        r"git|home(?:[ _-]?page)?|project|scm|vcs|browse)$", re.I)  # fmt: skip
_OWN_WORD = re.compile(r"\b(?:source|repository|repo|code|github|gitlab|homepage)\b", re.I)
_OTHER_PROJECT_WORD = re.compile(
    r"\b(?:upstream|original|fork(?:ed)?[ _-]?(?:of|from)|based[ _-]on|parent|mirror)\b", re.I
)
_NOT_REPOSITORY_LABEL = re.compile(
    r"doc|changelog|change[ _-]?log|changes|release|news|history|fund|sponsor|donat|patreon|"
    r"tidelift|chat|discord|slack|gitter|forum|discuss|mailing|twitter|mastodon|issue|bug|"
    r"tracker|ci\b|build|coverage|download|tutorial|example|demo|blog|paper|website[ _-]?docs|"
    r"conduct|contribut|security|support|faq|benchmark|playground|api[ _-]?reference",
    re.I,
)
_NOT_REPOSITORY_PATH = re.compile(
    r"/(?:issues|pulls|discussions|wiki|sponsors|security|actions|releases|blob/[^/]+/"
    r"(?:CODE_OF_CONDUCT|CONTRIBUTING|FUNDING|SECURITY|SUPPORT|CHANGELOG|CHANGES)[^/]*)(?:/|$)",
    re.I,
)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_HOME = re.compile(r"^home", re.I)


@dataclass(frozen=True, slots=True)
class Link:
    """One repository link from the evidence and what it is."""

    field: str
    url: str
    repository: str
    """Normalised `https://host/owner/name`."""
    kind: LinkKind


def label_of(field: str) -> str | None:
    """The label a links field carries (`Source` of `Project-URL.Source`), None otherwise."""
    match = _LABELLED.match(field)
    return match.group("label") if match else None


def is_link_field(field: str) -> bool:
    """Whether a piece of evidence with this field is one of the package's links."""
    return (
        label_of(field) is not None
        or field in _HOME_FIELDS
        or field in _REPOSITORY_FIELDS
        or field in _OTHER_LINK_FIELDS
    )


@lru_cache(maxsize=65536)  # the same links are classified for the declared origin and again
def classify(field: str, url: str, package: str) -> Link | None:
    """The link's kind, or None when the URL is no code-host repository at all."""
    repository = normalise_repository(url)
    if repository is None:
        return None
    return Link(field, url, repository, _kind(field, url, repository, package))


@lru_cache(maxsize=65536)
def _kind(field: str, url: str, repository: str, package: str) -> LinkKind:
    name = repository.rpartition("/")[2]
    if name in (".github", ".github-private") or _NOT_REPOSITORY_PATH.search(_beyond_owner(url)):
        return LinkKind.NOT_REPOSITORY
    label = label_of(field)
    if label is not None:
        return _labelled_kind(label, name, package)
    if field in _HOME_FIELDS or field in _REPOSITORY_FIELDS:
        return LinkKind.OWN
    return LinkKind.OWN if same_name(name, package) else LinkKind.UNLABELLED


def _labelled_kind(label: str, name: str, package: str) -> LinkKind:
    text = label.strip()
    if _OTHER_PROJECT_WORD.search(text):
        return LinkKind.OTHER_PROJECT
    if _OWN_LABEL.match(text):
        return LinkKind.OWN
    if _NOT_REPOSITORY_LABEL.search(text):
        return LinkKind.NOT_REPOSITORY
    if _OWN_WORD.search(text):
        # `<Project> source`: the package's own when <Project> is the package (or the
        # repository it links), another project's otherwise — a fork's link to upstream.
        words = _OWN_WORD.sub(" ", text)
        subject = "".join(_WORD_SPLIT.split(words.lower()))
        if not subject or same_name(subject, package):
            return LinkKind.OWN
        return LinkKind.OTHER_PROJECT
    return LinkKind.OWN if same_name(name, package) else LinkKind.UNLABELLED


def _path(url: str) -> str:
    try:
        return urlsplit(url.strip().removeprefix("git+")).path
    except ValueError:
        return ""


def _beyond_owner(url: str) -> str:
    """The path after its first segment (the owner), so an account named like a page
    (GitHub's own `actions` organisation) is not taken for one."""
    return "/" + "/".join(_path(url).split("/")[2:])


def _squash(name: str) -> str:
    return "".join(_WORD_SPLIT.split(name.lower()))


def same_name(repository_name: str, package: str) -> bool:
    """Whether a repository is named like the package (`python-foo`, `foo-js`, `foo.py`…)."""
    repo, pkg = _squash(repository_name), _squash(package.rpartition("/")[2])
    if not repo or not pkg:
        return False
    affixes = ("python", "py", "js", "node", "pypi", "npm", "lib")
    for affix in affixes:
        repo = repo.removeprefix(affix) if repo != affix else repo
        repo = repo.removesuffix(affix) if repo != affix else repo
        pkg = pkg.removeprefix(affix) if pkg != affix else pkg
        pkg = pkg.removesuffix(affix) if pkg != affix else pkg
    return repo == pkg


def links(evidence: Iterable[tuple[str, str]], package: str) -> tuple[Link, ...]:
    """Every repository link among (field, value) pairs, classified, in evidence order."""
    found: list[Link] = []
    for field, value in evidence:
        if is_link_field(field):
            link = classify(field, value, package)
            if link is not None:
                found.append(link)
    return tuple(found)


def own_repositories(evidence: Iterable[tuple[str, str]], package: str) -> tuple[str, ...]:
    """The package's own repositories, best first: a repository field or a source /
    repository / code label, then one named like the package, then a home page."""
    found = [link for link in links(evidence, package) if link.kind is LinkKind.OWN]

    def rank(link: Link) -> int:
        label = label_of(link.field)
        homepage = link.field in _HOME_FIELDS or (label is not None and _HOME.search(label))
        if not homepage:
            return 0
        return 1 if same_name(link.repository.rpartition("/")[2], package) else 2

    ordered = sorted(found, key=rank)  # stable: evidence order within a rank
    return tuple(dict.fromkeys(link.repository for link in ordered))
