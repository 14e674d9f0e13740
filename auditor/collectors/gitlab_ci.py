"""What GitLab CI pipelines pull in: `include:` (project, remote, template, component) and
the `image:` / `services:` jobs run in, from `.gitlab-ci.yml` and YAML under `.gitlab/`.

- `include: {project: group/project, ref: R, file: F}` is `pkg:gitlab/group/project@R#F`;
- `include: {component: host/group/project/name@V}` is `pkg:gitlab/group/project@V#name`;
- `include: {remote: URL}` (or a bare `https://` string) is `pkg:generic/<file>?download_url=URL`;
- `include: {template: Name.gitlab-ci.yml}` is `pkg:generic/gitlab-ci-templates/<Name>`: it ships
  with the GitLab instance; `local:` includes are files of this tree, read as they are found.
Images are `pkg:oci` components with `image.unpinned` (auditor/collectors/oci_refs.py).
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

import yaml
from packageurl import PackageURL

from auditor.collectors import CollectContext, Collected, Collector, ci_yaml
from auditor.collectors.container_images import image_results
from auditor.errors import Diagnostic
from auditor.model import Component, ComponentKind, Evidence, Finding, Location, Strength
from auditor.sources import Tree

SOURCE = "gitlab-ci"
_FILES = re.compile(r"(?:.*/)?(?:\.gitlab-ci\.ya?ml|\.gitlab/(?:[^/]+/)*[^/]+\.ya?ml)")
_FOREIGN = re.compile(r"(?:^|/)(?:node_modules|site-packages|dist-packages|\.venv|venv|\.git)/")
_KEYWORDS = frozenset(
    {
        "include",
        "stages",
        "variables",
        "workflow",
        "default",
        "spec",
        "cache",
        "before_script",
        "after_script",
    }
)


def include_purl(node: yaml.Node) -> tuple[str, str] | None:
    """(purl, what) for one `include:` item; None for local files and unreadable items."""
    scalar = ci_yaml.text(node)
    if scalar is not None:
        if scalar.startswith(("https://", "http://")):
            return _remote(scalar)
        return None  # a local path
    if (remote := ci_yaml.text(ci_yaml.get(node, "remote"))) is not None:
        return _remote(remote)
    if (template := ci_yaml.text(ci_yaml.get(node, "template"))) is not None:
        name = template.removesuffix(".yml").removesuffix(".gitlab-ci")
        purl = PackageURL(type="generic", namespace="gitlab-ci-templates", name=name)
        return purl.to_string(), f"template {template}"
    if (project := ci_yaml.text(ci_yaml.get(node, "project"))) is not None:
        ref = ci_yaml.text(ci_yaml.get(node, "ref"))
        files = [ci_yaml.text(f) for f in ci_yaml.sequence(ci_yaml.get(node, "file"))]
        namespace, _, name = project.strip("/").rpartition("/")
        subpath = files[0].lstrip("/") if len(files) == 1 and files[0] else None
        purl = PackageURL(type="gitlab", namespace=namespace or None, name=name, version=ref,
                          subpath=subpath)  # fmt: skip
        return purl.to_string(), f"project {project}"
    if (component := ci_yaml.text(ci_yaml.get(node, "component"))) is not None:
        path, _, version = component.partition("@")
        parts = path.split("/")[1:]  # the first part is the instance's host ($CI_SERVER_FQDN)
        if len(parts) < 3 or "$" in "/".join(parts):
            return None
        purl = PackageURL(type="gitlab", namespace="/".join(parts[:-2]), name=parts[-2],
                          version=version or None, subpath=parts[-1])  # fmt: skip
        return purl.to_string(), f"component {component}"
    return None


def _remote(url: str) -> tuple[str, str] | None:
    name = urlsplit(url).path.rpartition("/")[2]
    if not name:
        return None
    purl = PackageURL(type="generic", name=name, qualifiers={"download_url": url})
    return purl.to_string(), f"remote {url}"


def images(root: yaml.Node) -> list[yaml.Node]:
    """`image:` and `services:` values, at the top (defaults) and in each job."""
    places = [root, ci_yaml.get(root, "default")]
    places += [job for key, job in ci_yaml.items(root) if key not in _KEYWORDS]
    found: list[yaml.Node] = []
    for place in places:
        for key in ("image", "services"):
            for item in ci_yaml.sequence(ci_yaml.get(place, key)):
                named = ci_yaml.get(item, "name") if isinstance(item, yaml.MappingNode) else item
                if named is not None:
                    found.append(named)
    return found


class GitLabCiCollector(Collector):
    """Includes and images of GitLab CI pipelines."""

    name: ClassVar[str] = "gitlab-ci"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """A component per include and image, `image.unpinned` per undigested image."""
        components: list[Component] = []
        findings: list[Finding] = []
        diagnostics: list[Diagnostic] = []
        for path in tree.index():
            if not _FILES.fullmatch(path) or _FOREIGN.search(path):
                continue
            roots, problem = ci_yaml.read(tree, path)
            if problem is not None:
                diagnostics.append(problem)
                continue
            for root in roots:
                for item in ci_yaml.sequence(ci_yaml.get(root, "include")):
                    made = self._include(tree, path, item)
                    components.extend([made] if made else [])
                for node in images(root):
                    value = ci_yaml.text(node)
                    if value is None:
                        continue
                    image, found, problem = image_results(
                        tree, path, ci_yaml.line(node), value, self.name
                    )
                    components.extend([image] if image else [])
                    findings.extend([found] if found else [])
                    diagnostics.extend([problem] if problem else [])
        return Collected(ci_yaml.fold(components), (), tuple(findings), tuple(diagnostics))

    def _include(self, tree: Tree, path: str, item: yaml.Node) -> Component | None:
        parsed = include_purl(item)
        if parsed is None:
            return None
        purl, what = parsed
        line = ci_yaml.line(item)
        where = f"{path}:{line}"
        version = purl.partition("@")[2].partition("?")[0].partition("#")[0] or None
        return Component(
            purl=purl,
            kind=ComponentKind.APPLICATION,
            name=what.partition(" ")[2],
            version=version,
            locations=(Location(tree.ref, path, line),),
            direct=True,
            evidence=(Evidence(SOURCE, "include", what, where, Strength.DECLARED),),
            found_by=self.name,
        )
