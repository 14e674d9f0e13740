"""Base and service images a project builds on and ships with: `FROM` in Dockerfiles and
Containerfiles, `image:` in docker compose files and Kubernetes manifests (Pods and the
workloads that template them: Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController, Job, CronJob;
containers and initContainers; Helm-rendered YAML is the same manifests).

A multi-stage `FROM` naming an earlier stage is not an image; `ARG` defaults are substituted
where they are literal (a build argument without a default leaves the image unknown: a
diagnostic, never a guess); `--platform` is read and ignored. Each image is a `pkg:oci`
component (auditor/collectors/oci_refs.py) and, without a digest, an `image.unpinned` finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import yaml

from auditor.collectors import CollectContext, Collected, Collector, ci_yaml, oci_refs
from auditor.errors import Diagnostic, ParseError
from auditor.model import Component, Finding, Location
from auditor.sources import Tree

_DOCKERFILE = re.compile(
    r"(?:.*/)?(?:(?:Dockerfile|Containerfile)(?:\.[^/]+)?|[^/]+\.(?:Dockerfile|dockerfile|Containerfile))"
)
_COMPOSE = re.compile(r"(?:.*/)?(?:docker-)?compose(?:\.[^/]+)?\.ya?ml")
_YAML = re.compile(r"[^/]+\.ya?ml")
_FOREIGN = re.compile(r"(?:^|/)(?:node_modules|site-packages|dist-packages|\.venv|venv|\.git)/")
_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::?[-+](?P<default>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
WORKLOADS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
"""Where each Kubernetes kind keeps its pod spec."""


def instructions(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    escape = "`" if re.match(r"#\s*escape\s*=\s*`", text) else "\\"
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if parts and stripped.startswith("#"):
            continue
        if not parts:
            start = number
        if stripped.endswith(escape):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        joined = " ".join(parts)
        parts = []
        word, _, rest = joined.partition(" ")
        yield start, word.upper(), rest.strip()


def substitute(value: str, args: dict[str, str | None]) -> str | None:
    """`${X}`, `$X`, `${X:-default}` replaced from literal ARG values; None when one is not
    known (an argument without a default is set only at build time)."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group("braced") or match.group("bare")
        found = args.get(name)
        if found is None and match.group("default") is not None:
            return match.group("default")
        if found is None:
            missing = True
            return ""
        return found

    out = _VARIABLE.sub(replace, value)
    return None if missing else out


def dockerfile_images(path: str, text: str) -> tuple[list[tuple[int, str]], list[Diagnostic]]:
    """(line, image reference) for each `FROM` that names an image, and diagnostics."""
    args: dict[str, str | None] = {}
    stages: set[str] = set()
    found: list[tuple[int, str]] = []
    problems: list[Diagnostic] = []
    seen_from = False
    for number, word, rest in instructions(text):
        if word == "ARG" and not seen_from:
            for item in rest.split():
                name, eq, value = item.partition("=")
                args[name] = value.strip("\"'") if eq else None
        elif word == "FROM":
            seen_from = True
            words = [w for w in rest.split() if not w.startswith("--")]
            if not words:
                problems.append(Diagnostic(f"{path}:{number}", "FROM names no image"))
                continue
            image = substitute(words[0], args)
            earlier = image is not None and (image.lower() in stages or image == "scratch")
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
            if image is None:
                why = "a build argument without a literal default; image not known"
                problems.append(Diagnostic(f"{path}:{number}", f"FROM {words[0]}: {why}"))
            elif not earlier:
                found.append((number, image))
    return found, problems


def _containers(spec: yaml.Node | None) -> Iterator[yaml.Node]:
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in ci_yaml.sequence(ci_yaml.get(spec, key)):
            image = ci_yaml.get(container, "image")
            if image is not None:
                yield image


def manifest_images(root: yaml.Node, compose: bool) -> Iterator[yaml.Node]:
    """`image:` nodes of a Kubernetes workload or (`compose`) a compose file's services."""
    kind = ci_yaml.text(ci_yaml.get(root, "kind"))
    if kind == "List":
        for item in ci_yaml.sequence(ci_yaml.get(root, "items")):
            yield from manifest_images(item, compose)
        return
    if kind in WORKLOADS and ci_yaml.get(root, "apiVersion") is not None:
        spec: yaml.Node | None = root
        for key in WORKLOADS[kind]:
            spec = ci_yaml.get(spec, key)
        yield from _containers(spec)
        return
    if not compose:
        return
    for _, service in ci_yaml.items(ci_yaml.get(root, "services")):
        image = ci_yaml.get(service, "image")
        if image is not None:
            yield image


def image_results(
    tree: Tree, path: str, line: int, text: str, found_by: str
) -> tuple[Component | None, Finding | None, Diagnostic | None]:
    """The component and finding for one written reference, or a diagnostic."""
    image = oci_refs.parse(text)
    if image is None:
        return (
            None,
            None,
            Diagnostic(f"{path}:{line}", f"image {text!r} is not a literal image reference"),
        )
    location = (Location(tree.ref, path, line),)
    where = f"{path}:{line}"
    return oci_refs.component(image, location, found_by), oci_refs.unpinned(image, where), None


class ContainerImagesCollector(Collector):
    """Images in Dockerfiles, compose files and Kubernetes manifests."""

    name: ClassVar[str] = "container-images"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """A component per image reference, `image.unpinned` per undigested one."""
        written: list[tuple[str, int, str]] = []
        diagnostics: list[Diagnostic] = []
        for path, entry in tree.index().items():
            dockerfile = bool(_DOCKERFILE.fullmatch(path))
            yaml_file = (
                bool(_YAML.fullmatch(path.rpartition("/")[2])) and "/.github/" not in f"/{path}"
            )
            if not (dockerfile or yaml_file) or _FOREIGN.search(path):
                continue
            if entry.size > ci_yaml.MAX_BYTES:
                continue
            try:
                text = tree.read_text(path)
            except ParseError as exc:
                diagnostics.append(Diagnostic(path, exc.reason))
                continue
            if dockerfile:
                found, problems = dockerfile_images(path, text)
                written.extend((path, line, image) for line, image in found)
                diagnostics.extend(problems)
                continue
            compose = bool(_COMPOSE.fullmatch(path))
            if "image" not in text or not (compose or "apiVersion" in text):
                continue  # cheap: most YAML files name no image (GitLab CI: gitlab_ci.py)
            try:
                roots = ci_yaml.documents(text)
            except ci_yaml.YamlProblem as exc:
                if compose:
                    diagnostics.append(Diagnostic(path, str(exc)))
                continue  # another program's YAML (templates with {{ }}) is not ours to judge
            for root in roots:
                for node in manifest_images(root, compose):
                    value = ci_yaml.text(node)
                    if value is not None:
                        written.append((path, ci_yaml.line(node), value))
        components: list[Component] = []
        findings: list[Finding] = []
        for path, line, value in written:
            made, unpinned, problem = image_results(tree, path, line, value, self.name)
            components.extend([made] if made else [])
            findings.extend([unpinned] if unpinned else [])
            diagnostics.extend([problem] if problem else [])
        return Collected(ci_yaml.fold(components), (), tuple(findings), tuple(diagnostics))
