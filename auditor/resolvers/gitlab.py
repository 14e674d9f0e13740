"""GitLab: who owns a component's repository (see source_hosts.py for when it runs).

REST API v4 (root from AUDITOR_GITLAB_API_URL or GitLab CI's CI_API_V4_URL; an optional
GITLAB_TOKEN is sent as `PRIVATE-TOKEN` and never logged, cached or stored). `GET
/projects/<url-encoded path>` ("Get a single project") gives `namespace.{kind, full_path,
name}`, `archived`, `visibility` and `forked_from_project`; a group namespace is read with
`GET /groups/<id>` (`full_name`, `description`, `web_url`), a user namespace with `GET
/users?username=<name>` then `GET /users/<id>` (`organization`, `website_url`,
`public_email`: `declared`; `location`: `inferred`, mapped to a country only by
rules/locations.toml). Only public data is read; a private project answers 404: `unknown`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from auditor.http import MISSING_STATUSES, Response
from auditor.model import Claim, Component, Evidence, Origin, OriginStatus, Strength
from auditor.resolvers import Resolution, Resolver
from auditor.resolvers.source_hosts import json_object, location_evidence, stamp


class GitLabResolver(Resolver):
    """`pkg:gitlab/<namespace>/<name>` — a project's namespace (group or user) on GitLab."""

    name: ClassVar[str] = "gitlab"
    ecosystems: ClassVar[frozenset[str]] = frozenset({"gitlab"})

    def resolve(self, component: Component) -> Resolution:
        """The namespace account (publisher) and its public profile as evidence."""
        path = component.purl.removeprefix("pkg:gitlab/").partition("@")[0]
        reply = self.http.get("gitlab", f"/projects/{quote(path, safe='')}")
        if reply.status in MISSING_STATUSES:
            reason = f"{path} is not a public GitLab project"
            return Resolution(Origin(component.purl, OriginStatus.UNKNOWN, reason))
        project = json_object(reply)
        evidence = list(_project_evidence(reply, project))
        namespace = project.get("namespace")
        namespace = namespace if isinstance(namespace, dict) else {}
        account = str(namespace.get("full_path") or path.rpartition("/")[0])
        if namespace.get("kind") == "group" and isinstance(namespace.get("id"), int):
            evidence += self._group(namespace["id"])
        elif namespace.get("kind") == "user":
            evidence += self._user(str(namespace.get("path") or account))
        origin = Origin(
            component.purl,
            OriginStatus.RESOLVED,
            publisher=Claim(account, Strength.REGISTRY),
            repository=Claim(f"https://gitlab.com/{path}".lower(), Strength.REGISTRY),
            evidence=tuple(evidence),
        )
        return Resolution(origin)

    def first_requests(self, component: Component) -> tuple[tuple[str, str], ...]:
        """The project document."""
        path = component.purl.removeprefix("pkg:gitlab/").partition("@")[0]
        return (("gitlab", f"/projects/{quote(path, safe='')}"),)

    def _group(self, group_id: int) -> list[Evidence]:
        reply = self.http.get("gitlab", f"/groups/{group_id}")
        if reply.status in MISSING_STATUSES:
            return []
        group = json_object(reply)
        return [
            _ev(reply, f"group.{key}", group[key].strip(), Strength.DECLARED)
            for key in ("full_name", "description", "web_url")
            if isinstance(group.get(key), str) and group[key].strip()
        ]

    def _user(self, username: str) -> list[Evidence]:
        found = self.http.get("gitlab", f"/users?username={quote(username, safe='')}")
        users = found.json() if found.status not in MISSING_STATUSES else []
        first = users[0] if isinstance(users, list) and users else None
        if not isinstance(first, dict) or not isinstance(first.get("id"), int):
            return []
        reply = self.http.get("gitlab", f"/users/{first['id']}")
        user = json_object(reply) if reply.status not in MISSING_STATUSES else {}
        evidence = [
            _ev(reply, f"profile.{key}", user[key].strip(), Strength.DECLARED)
            for key in ("name", "organization", "job_title", "website_url", "public_email")
            if isinstance(user.get(key), str) and user[key].strip()
        ]
        location = user.get("location")
        if isinstance(location, str) and location.strip():
            evidence += location_evidence("gitlab", reply.key, location, stamp(reply))
        return evidence


def _ev(reply: Response, field: str, value: str, strength: Strength) -> Evidence:
    return Evidence("gitlab", field, value, reply.key, strength, stamp(reply))


def _project_evidence(reply: Response, project: Mapping[str, Any]) -> Iterator[Evidence]:
    namespace = project.get("namespace")
    if isinstance(namespace, dict):
        for key in ("kind", "full_path", "name"):
            if isinstance(namespace.get(key), str):
                yield _ev(reply, f"namespace.{key}", namespace[key], Strength.REGISTRY)
    if isinstance(project.get("archived"), bool):
        yield _ev(reply, "archived", str(project["archived"]).lower(), Strength.REGISTRY)
    if isinstance(project.get("visibility"), str):
        yield _ev(reply, "visibility", project["visibility"], Strength.REGISTRY)
    parent = project.get("forked_from_project")
    if isinstance(parent, dict) and isinstance(parent.get("path_with_namespace"), str):
        yield _ev(reply, "forked_from_project", parent["path_with_namespace"], Strength.REGISTRY)
