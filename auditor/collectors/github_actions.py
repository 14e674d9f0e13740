"""GitHub Actions a repository's CI runs: every `uses:` in `.github/workflows/*.y*ml` and in
composite actions' `action.y*ml`, at its file and line.

- `owner/repo@ref`, `owner/repo/path@ref` and reusable workflows
  (`owner/repo/.github/workflows/x.yml@ref`) are `pkg:githubactions/owner/repo[%2Fpath]@ref`
  components (purl-spec types/githubactions-definition.json), with the repository as
  declared evidence, so the source host and the knowledge base can name the owner;
- `docker://image` and a job's `container:` and `services:` images are image references
  (`pkg:oci`, auditor/collectors/oci_refs.py);
- a local `./path` or `$/path` (the self-repository syntax, GitHub changelog 2026-07-30)
  action is followed to its `action.yml` (a composite action's own steps are
  read with the rest of the tree; a missing one is a diagnostic).

Each use also records the job's token permissions and whether it touches secrets as
`job.permissions` evidence (`write`, `read`, `default`, `secrets`), which the default pack
reads to rate an unpinned action (`action.unpinned`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import yaml

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector, ci_yaml, oci_refs
from auditor.config import data_path
from auditor.errors import Diagnostic
from auditor.model import Component, ComponentKind, Evidence, Finding, Location, Strength
from auditor.sources import Tree

SOURCE = "github-actions"
CREATORS_FILE = "github-actions.yaml"
_WORKFLOW = re.compile(r"(?:.*/)?\.github/workflows/[^/]+\.ya?ml")
_ACTION = re.compile(r"(?:.*/)?action\.ya?ml")
_FOREIGN = re.compile(r"(?:^|/)(?:node_modules|site-packages|dist-packages|\.venv|venv|\.git)/")
_REMOTE = re.compile(
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<repo>[A-Za-z0-9._-]+)"
    r"(?:/(?P<path>[^@\s]+))?@(?P<ref>[^\s@]+)"
)
_SECRETS = re.compile(r"\bsecrets\s*\.|\bsecrets\s*\[")
COMMIT = re.compile(r"[0-9a-f]{40}")
"""A full commit id: the only `@ref` that cannot move."""


@dataclass(frozen=True, slots=True)
class Use:
    """One `uses:` value where it is written, with the job's privileges."""

    path: str
    line: int
    value: str
    privileges: tuple[str, ...]


def is_ci_file(path: str) -> bool:
    """A workflow or an action metadata file, outside installed packages."""
    return bool(_WORKFLOW.fullmatch(path) or _ACTION.fullmatch(path)) and not _FOREIGN.search(path)


def permissions_word(node: yaml.Node | None) -> str | None:
    """`write`, `read` or None (not set) for a `permissions:` value."""
    if node is None:
        return None
    scalar = ci_yaml.text(node)
    if scalar is not None:
        return "write" if scalar.strip() == "write-all" else "read"
    values = {ci_yaml.text(v) for _, v in ci_yaml.items(node)}
    return "write" if "write" in values else "read"


def _mentions_secrets(node: yaml.Node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode):
            if "secrets" in current.value and _SECRETS.search(current.value):
                return True
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if ci_yaml.text(key) == "secrets" and ci_yaml.text(value) == "inherit":
                    return True
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return False


def uses_in(path: str, root: yaml.Node) -> list[Use]:
    """Every `uses:` of a workflow (per job) or an action metadata file (its steps)."""
    found: list[Use] = []
    jobs = ci_yaml.get(root, "jobs")
    if jobs is None:  # action metadata: `runs.steps[*].uses` (composite), `runs.image`
        runs = ci_yaml.get(root, "runs")
        privileges: tuple[str, ...] = ("secrets",) if _mentions_secrets(root) else ()
        for step in ci_yaml.sequence(ci_yaml.get(runs, "steps")):
            found.extend(_use(path, ci_yaml.get(step, "uses"), privileges))
        image = ci_yaml.get(runs, "image")
        if (ci_yaml.text(image) or "").startswith("docker://"):
            found.extend(_use(path, image, privileges))
        return found
    default = permissions_word(ci_yaml.get(root, "permissions")) or "default"
    for _, job in ci_yaml.items(jobs):
        word = permissions_word(ci_yaml.get(job, "permissions")) or default
        privileges = (word, "secrets") if _mentions_secrets(job) else (word,)
        found.extend(_use(path, ci_yaml.get(job, "uses"), privileges))
        found.extend(_job_images(path, job, privileges))
        for step in ci_yaml.sequence(ci_yaml.get(job, "steps")):
            found.extend(_use(path, ci_yaml.get(step, "uses"), privileges))
    return found


def _job_images(path: str, job: yaml.Node, privileges: tuple[str, ...]) -> list[Use]:
    """The job's `container:` and `services:` images, as `docker://` uses."""
    nodes = [ci_yaml.get(job, "container")]
    nodes += [service for _, service in ci_yaml.items(ci_yaml.get(job, "services"))]
    found: list[Use] = []
    for node in nodes:
        image = node if ci_yaml.text(node) is not None else ci_yaml.get(node, "image")
        value = ci_yaml.text(image)
        if image is not None and value and value.strip():
            found.append(Use(path, ci_yaml.line(image), f"docker://{value.strip()}", privileges))
    return found


def _use(path: str, node: yaml.Node | None, privileges: tuple[str, ...]) -> list[Use]:
    value = ci_yaml.text(node)
    if node is None or value is None or not value.strip():
        return []
    return [Use(path, ci_yaml.line(node), value.strip(), privileges)]


def action_purl(value: str) -> tuple[str, str, str, str | None, str] | None:
    """(purl, owner, repo, path, ref) for `owner/repo[/path]@ref`; None for anything else."""
    match = _REMOTE.fullmatch(value)
    if match is None or "${{" in value:
        return None
    owner, repo, path, ref = match.group("owner", "repo", "path", "ref")
    return purls.githubactions(owner, repo, path, ref), owner, repo, path, ref


@cache
def _creators() -> dict[str, tuple[str, str]]:
    """owner (lower-case) -> (who, source) from rules/data/github-actions.yaml (read once)."""
    raw = yaml.safe_load((data_path("rules") / "data" / CREATORS_FILE).read_text("utf-8"))
    return {
        str(owner).lower(): (str(entry["creator"]), str(entry["source"]))
        for entry in raw["creators"]
        for owner in entry["owners"]
    }


def verified_creator(owner: str) -> tuple[Evidence, ...]:
    """`verified-creator` evidence when the data file lists the owner (GitHub's own
    `actions` and `github` accounts, Marketplace verified creators). The badge is not in
    the API, so the file is the record, each entry with a public source."""
    found = _creators().get(owner.lower())
    if found is None:
        return ()
    who, source = found
    return (Evidence(SOURCE, "verified-creator", who, source, Strength.DECLARED),)


def local_action(base: str, value: str, tree: Tree) -> str | None:
    """The `action.yml` a `./path` or `$/path` use names, or the local reusable workflow file itself
    (paths are relative to the repository root: the directory holding `.github/`, or the
    tree's root)."""
    root = base.partition(".github/")[0] if ".github/" in base else ""
    directory = (root + value[2:]).rstrip("/")
    if directory.endswith((".yml", ".yaml")):
        return directory if tree.entry(directory) is not None else None
    for name in ("action.yml", "action.yaml"):
        candidate = f"{directory}/{name}" if directory else name
        if tree.entry(candidate) is not None:
            return candidate
    return None


class GitHubActionsCollector(Collector):
    """Actions and reusable workflows that workflows and composite actions use."""

    name: ClassVar[str] = "github-actions"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """Components at each `uses:`, edges to local actions, diagnostics for bad files."""
        components: list[Component] = []
        findings: list[Finding] = []
        diagnostics: list[Diagnostic] = []
        for path in tree.index():
            if not is_ci_file(path):
                continue
            roots, problem = ci_yaml.read(tree, path)
            if problem is not None:
                diagnostics.append(problem)
                continue
            for root in roots:
                for use in uses_in(path, root):
                    if use.value.startswith(("./", "$/")):
                        # Its own `uses:` are read with the tree (every action.yml is).
                        if local_action(path, use.value, tree) is None:
                            why = f"local action {use.value!r} has no action.yml in this tree"
                            diagnostics.append(Diagnostic(f"{path}:{use.line}", why))
                        continue
                    made = self._component(tree, use)
                    if made is None:
                        diagnostics.append(
                            Diagnostic(f"{path}:{use.line}", f"uses: {use.value!r} not understood")
                        )
                    else:
                        components.append(made)
                        image = oci_refs.parse(use.value.removeprefix("docker://"))
                        if use.value.startswith("docker://") and image is not None:
                            unpinned = oci_refs.unpinned(image, f"{path}:{use.line}")
                            findings.extend([unpinned] if unpinned else [])
        return Collected(ci_yaml.fold(components), (), tuple(findings), tuple(diagnostics))

    def _component(self, tree: Tree, use: Use) -> Component | None:
        where = f"{use.path}:{use.line}"
        location = (Location(tree.ref, use.path, use.line),)
        privileges = tuple(
            Evidence(SOURCE, "job.permissions", p, where, Strength.DECLARED) for p in use.privileges
        )
        if use.value.startswith("docker://"):
            image = oci_refs.parse(use.value.removeprefix("docker://"))
            if image is None:
                return None
            return oci_refs.component(image, location, self.name, (*privileges,))
        parsed = action_purl(use.value)
        if parsed is None:
            return None
        purl, owner, repo, path, ref = parsed
        evidence = (
            Evidence(SOURCE, "uses", use.value, where, Strength.DECLARED),
            Evidence(
                SOURCE,
                "repository",
                f"https://github.com/{owner}/{repo}".lower(),
                where,
                Strength.DECLARED,
            ),
            *privileges,
            *verified_creator(owner),
        )
        return Component(
            purl=purl,
            kind=ComponentKind.APPLICATION,
            name=f"{owner}/{repo}/{path}" if path else f"{owner}/{repo}",
            version=ref,
            locations=location,
            direct=True,
            evidence=evidence,
            found_by=self.name,
        )
