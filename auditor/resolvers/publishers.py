"""The publisher knowledge base: which organisation (and country) controls which account.

`rules/publishers.yaml` is data, kept for people to read and correct. Each organisation has
a legal entity name, an ISO 3166-1 alpha-2 country, the accounts it controls per platform,
the public page that says so (`source`) and the date that page was checked. Entries marked
`verified: false` only ever give `inferred` evidence (see auditor/attribution/).

Platforms: `huggingface`, `github`, `gitlab`, `gitee`, `gitcode` (organisation or user
namespaces), `pypi` (index users), `pypi-org` (index organisations), `npm` (`@scope` or
user), `email` (address domains) and `web` (site domains); domains match their subdomains.
`name` lists the exact names the organisation signs with (an Author field reading `Zhipu
AI`); a name match is a heuristic and only ever gives `inferred` evidence.

`former` lists accounts the organisation used before a rename (a company's former GitHub
organisation, a lab's old Hub namespace), each with its own `source` and `checked`: they
still match, since old releases name them. `parent` (`id`, `source`, `checked`) makes an
entry a subsidiary of another one, so roll-ups can count either. An account belongs to one
organisation only, former accounts included; a `parent` chain never loops back.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from auditor.errors import ConfigError
from auditor.urls import site_of

KB_FILE = "publishers.yaml"

PLATFORMS = frozenset(
    {"huggingface", "github", "gitlab", "gitee", "gitcode", "pypi", "pypi-org", "npm", "email",
     "web", "name"}
)  # fmt: skip
DOMAIN_PLATFORMS = frozenset({"email", "web"})

# Domains many unrelated people share: an account there says nothing about an employer.
SHARED_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com", "qq.com",
     "163.com", "126.com", "foxmail.com", "icloud.com", "me.com", "protonmail.com",
     "proton.me", "github.io", "gitlab.io", "readthedocs.io", "readthedocs.org",
     "googlegroups.com", "users.noreply.github.com", "noreply.github.com", "python.org",
     "users.noreply.gitlab.com", "noreply.gitlab.com",
     "sourceforge.net", "pages.dev", "netlify.app", "vercel.app", "web.app", "medium.com",
     # hosting for anyone under an organisation's own domain
     "code.google.com", "sites.google.com", "groups.google.com", "storage.googleapis.com",
     "blogspot.com", "appspot.com", "amazonaws.com", "cloudfront.net", "azurewebsites.net",
     "herokuapp.com", "myqcloud.com", "gitee.io"}
)  # fmt: skip

_ACCOUNT = re.compile(r"^@?[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)*$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True, slots=True)
class Organisation:
    """One legal entity and the accounts it controls."""

    key: str
    name: str
    """The legal entity."""
    country: str
    """ISO 3166-1 alpha-2 of its seat."""
    source: str
    checked: str
    verified: bool
    accounts: tuple[tuple[str, str], ...]
    """(platform, account) pairs as written in the file."""
    former: tuple[Former, ...] = ()
    """Accounts it used before a rename."""
    parent: Parent | None = None
    """The organisation it belongs to, when it is a subsidiary."""


@dataclass(frozen=True, slots=True)
class Former:
    """An account an organisation used before a rename, and the page that says so."""

    platform: str
    account: str
    source: str
    checked: str


@dataclass(frozen=True, slots=True)
class Parent:
    """The organisation a subsidiary belongs to, and the page that says so."""

    key: str
    source: str
    checked: str


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Organisations and an index from normalised (platform, account) to each."""

    organisations: tuple[Organisation, ...]
    index: Mapping[tuple[str, str], Organisation]

    def lookup(self, platform: str, account: str) -> Organisation | None:
        """The organisation controlling this account; domains also match subdomains."""
        key = normalise_account(platform, account)
        if key is None:
            return None
        if platform not in DOMAIN_PLATFORMS:
            return self.index.get((platform, key))
        if shared_domain(key):
            return None
        labels = key.split(".")
        for start in range(len(labels) - 1):
            found = self.index.get((platform, ".".join(labels[start:])))
            if found is not None:
                return found
        return None


def normalise_account(platform: str, account: str) -> str | None:
    """The comparable form: lower case; a domain without `www.` or a trailing dot."""
    value = account.strip().lower()
    if platform == "name":
        words = re.sub(r"[^\w]+", " ", value).split()
        return " ".join(words) if words else None
    if platform in DOMAIN_PLATFORMS:
        value = value.rstrip(".").removeprefix("www.")
        return value if _DOMAIN.match(value) else None
    return value if value and _ACCOUNT.match(value) else None


def shared_domain(domain: str) -> bool:
    """Whether addresses or sites at this domain belong to unrelated people."""
    labels = domain.split(".")  # each suffix looked up: this runs for every evidence domain
    return any(".".join(labels[i:]) in SHARED_DOMAINS for i in range(len(labels)))


def domain_of_url(url: str) -> str | None:
    """The host of an http(s) URL, lower case, without `www.`; None for anything else."""
    host = site_of(url)
    return None if host is None else normalise_account("web", host)


def parse(text: str, name: str = KB_FILE) -> tuple[KnowledgeBase, tuple[str, ...]]:
    """The knowledge base and every problem found in it (empty when valid)."""
    import yaml

    try:
        raw = yaml.load(text, Loader=_loader())  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    items = raw.get("organisations") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"{name}: expected a top-level `organisations:` list")
    problems: list[str] = []
    organisations: list[Organisation] = []
    index: dict[tuple[str, str], Organisation] = {}
    keys: set[str] = set()
    for number, item in enumerate(items, start=1):
        where = f"{name}: organisation {number}"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        org, found = _organisation(item, where)
        problems += found
        if org is None:
            continue
        if org.key in keys:
            problems.append(f"{where} ({org.key}): id used twice")
        keys.add(org.key)
        organisations.append(org)
        named = [(p, a, "") for p, a in org.accounts]
        named += [(f.platform, f.account, " (former)") for f in org.former]
        for platform, account, former in named:
            key = (platform, normalise_account(platform, account) or account)
            other = index.get(key)
            if other is not None and other is not org:
                problems.append(
                    f"{where} ({org.key}): {platform} account {account!r}{former} also belongs"
                    f" to {other.key}"
                )
                continue
            index[key] = org
    for org in organisations:  # the legal entity's own name is a name it signs with too
        legal = normalise_account("name", org.name)
        if legal is not None:
            index.setdefault(("name", legal), org)
    problems += _parent_problems(organisations, name)
    return KnowledgeBase(tuple(organisations), MappingProxyType(index)), tuple(problems)


def _parent_problems(organisations: list[Organisation], name: str) -> list[str]:
    """A `parent` must name an organisation of the file, and no chain may loop."""
    by_key = {o.key: o for o in organisations}
    problems: list[str] = []
    for org in organisations:
        if org.parent is None:
            continue
        if org.parent.key not in by_key:
            problems.append(f"{name}: {org.key}: parent {org.parent.key!r} is not an organisation")
            continue
        seen = [org.key]
        step: Organisation | None = by_key[org.parent.key]
        while step is not None:
            if step.key in seen:
                chain = " -> ".join([*seen, step.key])
                problems.append(f"{name}: {org.key}: parent cycle {chain}")
                break
            seen.append(step.key)
            step = by_key.get(step.parent.key) if step.parent is not None else None
    return problems


def lineage(kb: KnowledgeBase, org: Organisation) -> tuple[str, ...]:
    """The organisation's id and its parents' ids, nearest first (for roll-ups either way)."""
    keys = [org.key]
    step = parent_of(kb, org)
    while step is not None and step.key not in keys:
        keys.append(step.key)
        step = parent_of(kb, step)
    return tuple(keys)


def parent_of(kb: KnowledgeBase, org: Organisation) -> Organisation | None:
    """The organisation a subsidiary belongs to (one step), None for a top-level one."""
    if org.parent is None:
        return None
    return next((o for o in kb.organisations if o.key == org.parent.key), None)


@cache
def _loader() -> type[Any]:
    """yaml's safe loader, except that dates stay text (so a bad date is a problem to report,
    not an exception inside the parser)."""
    import yaml

    # The C parser when PyYAML was built with it (~10x faster; paid by every scan).
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type,misc]
        pass

    Loader.yaml_implicit_resolvers = {
        first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _organisation(item: dict[str, Any], where: str) -> tuple[Organisation | None, list[str]]:
    problems: list[str] = []
    key, name, country, source = (item.get(k) for k in ("id", "name", "country", "source"))
    if not isinstance(key, str) or not key:
        return None, [f"{where}: missing `id`"]
    where = f"{where} ({key})"
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: missing `name` (the legal entity)")
    if not isinstance(country, str) or not _is_country(country):
        problems.append(f"{where}: country {country!r} is not an ISO 3166-1 alpha-2 code")
    if not isinstance(source, str) or urlsplit(source).scheme != "https":
        problems.append(f"{where}: `source` must be an https URL of a public page")
    elif _on_registry(source):
        problems.append(
            f"{where}: `source` is a package registry's page; cite the organisation's"
            " own site, its code-host page or an encyclopedia"
        )
    checked = item.get("checked")
    if isinstance(checked, date):
        checked = checked.isoformat()
    if not isinstance(checked, str) or not _is_date(checked):
        problems.append(f"{where}: `checked` must be a date (YYYY-MM-DD)")
    verified = item.get("verified", True)
    if not isinstance(verified, bool):
        problems.append(f"{where}: `verified` must be true or false")
    accounts: list[tuple[str, str]] = []
    raw_accounts = item.get("accounts")
    if not isinstance(raw_accounts, dict) or not raw_accounts:
        problems.append(f"{where}: `accounts` must map platforms to lists of accounts")
        raw_accounts = {}
    for platform, names in raw_accounts.items():
        if platform not in PLATFORMS:
            problems.append(f"{where}: unknown platform {platform!r}")
            continue
        if not isinstance(names, list):
            problems.append(f"{where}: {platform}: expected a list")
            continue
        for account in names:
            normal = normalise_account(platform, str(account))
            if not isinstance(account, str) or normal is None:
                problems.append(f"{where}: {platform}: {account!r} is not a valid account")
            elif platform in DOMAIN_PLATFORMS and shared_domain(normal):
                problems.append(f"{where}: {platform}: {account} is shared by unrelated people")
            else:
                accounts.append((platform, account))
    former = _former(item.get("former"), where, problems)
    parent = _parent(item.get("parent"), where, problems)
    if problems:
        return None, problems
    org = Organisation(
        key=str(key),
        name=str(name).strip(),
        country=str(country).upper(),
        source=str(source),
        checked=str(checked),
        verified=bool(verified),
        accounts=tuple(accounts),
        former=former,
        parent=parent,
    )
    return org, []


def _cited(item: object, where: str, problems: list[str]) -> tuple[str, str] | None:
    """(source, checked) of a `former` or `parent` entry, or None with problems noted."""
    if not isinstance(item, dict):
        problems.append(f"{where}: expected a mapping")
        return None
    source, checked = item.get("source"), item.get("checked")
    if isinstance(checked, date):
        checked = checked.isoformat()
    if not isinstance(source, str) or urlsplit(source).scheme != "https" or _on_registry(source):
        problems.append(f"{where}: `source` must be an https URL of a public page")
        return None
    if not isinstance(checked, str) or not _is_date(checked):
        problems.append(f"{where}: `checked` must be a date (YYYY-MM-DD)")
        return None
    return source, checked


def _former(raw: object, where: str, problems: list[str]) -> tuple[Former, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"{where}: `former` must be a list")
        return ()
    found: list[Former] = []
    for item in raw:
        cited = _cited(item, f"{where}: former", problems)
        if cited is None or not isinstance(item, dict):
            continue
        platform, account = item.get("platform"), item.get("account")
        if platform not in PLATFORMS or platform in DOMAIN_PLATFORMS or platform == "name":
            problems.append(f"{where}: former: {platform!r} is not an account platform")
        elif not isinstance(account, str) or normalise_account(platform, account) is None:
            problems.append(f"{where}: former: {account!r} is not a valid account")
        else:
            found.append(Former(platform, account, *cited))
    return tuple(found)


def _parent(raw: object, where: str, problems: list[str]) -> Parent | None:
    if raw is None:
        return None
    cited = _cited(raw, f"{where}: parent", problems)
    if cited is None or not isinstance(raw, dict):
        return None
    key = raw.get("id")
    if not isinstance(key, str) or not key:
        problems.append(f"{where}: parent: missing `id`")
        return None
    return Parent(key, *cited)


@cache
def registry_hosts() -> frozenset[str]:
    """Hosts of the registries the tool knows, from the client libraries' own constants
    (never spelled here): pip's default index and file host, the Hub's endpoint."""
    hosts: set[str] = set()
    try:
        from pip._internal.models.index import PyPI

        hosts |= {urlsplit(PyPI.url).hostname or "", PyPI.file_storage_domain}
    except ImportError:
        pass
    try:  # by name: the Hub client is optional here
        constants = importlib.import_module("huggingface_hub.constants")
        hosts.add(urlsplit(str(constants.ENDPOINT)).hostname or "")
    except ImportError:
        pass
    return frozenset(h.lower() for h in hosts if h)


def _on_registry(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in registry_hosts())


def _is_country(code: str) -> bool:
    from iso3166 import countries_by_alpha2

    return len(code) == 2 and code.upper() in countries_by_alpha2


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def default_path() -> Path:
    """The shipped knowledge base."""
    from auditor.config import data_path

    return Path(str(data_path("rules") / KB_FILE))


@cache
def load(path: Path | None = None) -> KnowledgeBase:
    """The knowledge base (read once per process and path); ConfigError when invalid."""
    path = path or default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the publisher knowledge base: {exc}") from None
    kb, problems = parse(text, str(path.name))
    if problems:
        raise ConfigError(
            f"{problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            hint="run `auditor publishers validate` to list every problem",
        )
    return kb


def accounts(kb: KnowledgeBase) -> Iterator[tuple[str, str, Organisation]]:
    """Every (platform, account, organisation), for listings."""
    for org in kb.organisations:
        for platform, account in org.accounts:
            yield platform, account, org
