"""Who operates a hosted AI endpoint, and which lab trained a named model: the data file
rules/data/ai-services.yaml, matched by host glob and by model-name prefix. Provider hosts
live only in that file; nothing here sends a request anywhere."""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass
from functools import cache

from auditor.config import data_path

SERVICES_FILE = "ai-services.yaml"
SELF_HOSTED = "self-hosted"
RUNTIME_ENDPOINT = "runtime-endpoint"
"""The provider of a client whose endpoint is set but not written out (a variable, a setting):
its operator is not known, and is not guessed to be the client library's default."""
RUNTIME_ENDPOINT_TEXT = "(set at run time)"


@dataclass(frozen=True, slots=True)
class Provider:
    """One hosted API: its hosts, the organisation running it and where, by host."""

    id: str
    hosts: tuple[str, ...]
    sdk: tuple[str, ...]
    operator: str
    """An organisation id of rules/publishers.yaml."""
    regions: tuple[tuple[str, str], ...]
    source: str
    checked: str
    default_host: str | None = None
    """The host the provider's own client reaches with no endpoint set (documented)."""

    def region(self, host: str | None) -> str | None:
        """Where the endpoint at `host` is operated, when the provider documents it."""
        if host is None:
            return None
        return next((c for glob, c in self.regions if fnmatch.fnmatchcase(host, glob)), None)


@dataclass(frozen=True, slots=True)
class Lab:
    """Models whose name starts with `prefix` come from the organisation `lab`."""

    prefix: str
    lab: str
    source: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The whole data file."""

    providers: tuple[Provider, ...]
    labs: tuple[Lab, ...]

    def by_id(self, provider: str) -> Provider | None:
        """The provider with this id."""
        return next((p for p in self.providers if p.id == provider), None)

    def by_host(self, host: str) -> Provider | None:
        """The first provider whose host globs match `host` (lower case)."""
        host = host.lower()
        for provider in self.providers:
            if any(fnmatch.fnmatchcase(host, glob) for glob in provider.hosts):
                return provider
        return None

    def by_sdk(self, module: str) -> Provider | None:
        """The provider a client library reaches when given no endpoint."""
        return next((p for p in self.providers if module in p.sdk), None)

    def lab_of(self, model: str) -> Lab | None:
        """The lab a model name belongs to: its last path part (`deepseek/deepseek-chat`,
        Bedrock's `anthropic.claude-…` after the vendor dot) by the longest prefix."""
        name = model.lower().rpartition("/")[2]
        candidates = [name]
        vendor, dot, rest = name.partition(".")
        if dot and rest and not vendor[-1:].isdigit():
            candidates.append(rest)  # Bedrock ids: `<vendor>.<model>`
        for text in candidates:
            found = [lab for lab in self.labs if text.startswith(lab.prefix)]
            if found:
                return max(found, key=lambda lab: len(lab.prefix))
        return None


@cache
def catalogue() -> Catalogue:
    """rules/data/ai-services.yaml, read once."""
    import yaml

    raw = yaml.safe_load((data_path("rules") / "data" / SERVICES_FILE).read_text("utf-8"))
    providers = tuple(
        Provider(
            id=str(e["id"]),
            hosts=tuple(str(h).lower() for h in e["hosts"]),
            sdk=tuple(str(s) for s in e.get("sdk") or ()),
            operator=str(e["operator"]),
            regions=tuple((str(k).lower(), str(v)) for k, v in (e.get("regions") or {}).items()),
            source=str(e["source"]),
            checked=str(e["checked"]),
            default_host=str(e["default_host"]).lower() if e.get("default_host") else None,
        )
        for e in raw["providers"]
    )
    labs = tuple(
        Lab(str(e["prefix"]).lower(), str(e["lab"]), str(e["source"])) for e in raw["labs"]
    )
    return Catalogue(providers, labs)


_LOCAL_NAMES = frozenset({"localhost", "host.docker.internal", "host.containers.internal"})
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".svc", ".cluster.local")


def is_self_hosted(host: str) -> bool:
    """An endpoint on this machine or a private network: loopback and private addresses,
    `localhost`, mDNS/cluster-internal names and single-label names (a compose service,
    `http://vllm:8000`), which no public resolver answers."""
    host = host.lower().strip("[]")
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host and bool(host)
    return address.is_private or address.is_loopback or address.is_link_local
