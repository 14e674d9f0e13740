"""What findings and attributions are judged by: `rules list|validate` (the rule packs and
policy files), `publishers validate` (the publisher knowledge base) and `screening
list|validate` (the restricted-party screening lists)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from auditor.cli.common import echo, effective_policy
from auditor.cli.options import EXIT_UNUSABLE, fail, policy_option
from auditor.errors import AuditorError


@click.group()
def rules() -> None:
    """The rules findings come from."""


@rules.command("list")
@policy_option
@click.option("--target", metavar="PATH", help="Use the configuration found near PATH.")
@click.pass_obj
def rules_list(debug: bool, policy: Path | None, target: str | None) -> None:
    """Every rule in effect: built-in checks and the packs' rules, with their severity and
    action after the configuration; disabled rules are marked."""
    import fnmatch

    from auditor.policy.builtin import builtin_rules

    try:
        effective = effective_policy((target,) if target else (), policy)
        for b in builtin_rules():
            judged = effective.stamp(b.id, b.severity, b.action)
            state = "disabled" if judged is None else "built-in"
            sev, act = judged or (b.severity, b.action)
            echo(f"{b.id:32} {sev.value:8} {act.value:6} {state:9} {b.description}")
        active = {r.id for r in effective.rules}
        for pack in effective.packs:
            for r in pack.rules:
                shown = next((x for x in effective.rules if x.id == r.id), r)
                off = r.id not in active or any(
                    fnmatch.fnmatchcase(r.id, p) for p in effective.settings.disable
                )
                state = "disabled" if off else pack.name
                echo(
                    f"{r.id:32} {shown.severity.value:8} {shown.action.value:6} {state:9} {r.title}"
                )
    except AuditorError as exc:
        fail(exc, debug)


@rules.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def rules_validate(debug: bool, path: Path) -> None:
    """Check rule packs (.yaml) and policy files (.toml) in PATH (a file or a directory):
    every problem with its file and line; exit 2 if there is any."""
    from auditor.policy.engine import load_policy
    from auditor.policy.rules import read_pack
    from auditor.policy.settings import NOT_PACKS, is_pack_file, load_settings

    tomls = ("auditor.toml", "pyproject.toml")

    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for skipped in (f for f in files if path.is_dir() and f.name in NOT_PACKS):
        echo(f"skip {skipped}: not a rule pack (auditor publishers validate checks it)")
    files = [
        f
        for f in files
        if (is_pack_file(f) or (f == path and f.suffix in (".yaml", ".yml")))
        or (f.suffix == ".toml" and (f == path or f.name in tomls))
    ]
    problems: list[str] = []
    for file in files:
        try:
            if file.suffix == ".toml":
                checked = load_policy(load_settings(None, file))
                echo(f"ok   {file}: policy with {len(checked.rules)} rules in effect")
                continue
            pack, errors = read_pack(file)
            if pack is not None:  # then its `$name`s, against its folder's auditor.toml
                own = file.parent / "auditor.toml"
                settings = load_settings(own if own.is_file() else None, file)
                load_policy(replace(settings, packs=(str(file.resolve()),)))
                echo(
                    f"ok   {file}: pack {pack.name}, {len(pack.rules)} rules, "
                    f"{len(pack.overrides)} built-in overrides"
                )
            problems.extend(e.message for e in errors)
        except AuditorError as exc:
            problems.extend(exc.message.splitlines())
    if not files:
        problems.append(f"{path}: no .yaml, .yml or .toml files to check")
    for problem in problems:
        echo(f"error: {problem}", err=True)
    sys.exit(EXIT_UNUSABLE if problems else 0)


@click.group()
def publishers() -> None:
    """The publisher knowledge base (organisations, countries, accounts)."""


@publishers.command("validate")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def publishers_validate(debug: bool, path: Path | None) -> None:
    """Check PATH (default: the shipped rules/publishers.yaml): unique accounts, ISO 3166
    countries, an https source and a checked date for every organisation. Exit 1 on problems."""
    from auditor.errors import UsageError
    from auditor.resolvers import publishers as kb

    try:
        path = path or kb.default_path()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
        found, problems = kb.parse(text, str(path))
    except AuditorError as exc:
        fail(exc, debug)
    for problem in problems:
        echo(problem)
    accounts = sum(len(o.accounts) for o in found.organisations)
    unverified = sum(not o.verified for o in found.organisations)
    countries = len({o.country for o in found.organisations})
    echo(
        f"{path}: {len(found.organisations)} organisations in {countries} countries,"
        f" {accounts} accounts, {unverified} unverified; {len(problems)} problem(s)",
        err=bool(problems),
    )
    if problems:
        sys.exit(1)


@click.group()
def screening() -> None:
    """The restricted-party screening lists (rules/screening/*.yaml)."""


@screening.command("list")
@click.pass_obj
def screening_list(debug: bool) -> None:
    """Each shipped list: id, version, date, entries (matched to the knowledge base) and its
    official source."""
    from auditor.screening.lists import load_lists

    try:
        lists = load_lists()
    except AuditorError as exc:
        fail(exc, debug)
    for s in lists:
        matched = sum(bool(e.organisations) for e in s.entries)
        echo(
            f"{s.id:18} {s.published:10} {len(s.entries):3} entries ({matched} matched)"
            f"  {s.version}  {s.source}"
        )


@screening.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.pass_obj
def screening_validate(debug: bool, path: Path | None) -> None:
    """Check the lists in PATH (a folder or one file; default: the shipped rules/screening/):
    required fields, unique ids and entries, official (.gov) sources, ISO dates, and every
    organisation a known knowledge-base id. Exit 1 on problems."""
    from auditor.errors import UsageError
    from auditor.resolvers.publishers import load
    from auditor.screening.lists import default_dir
    from auditor.screening.validate import validate

    try:
        path = path or default_dir()
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
        found = validate(path, load())
    except AuditorError as exc:
        fail(exc, debug)
    for problem in found.problems:
        echo(problem)
    echo(
        f"{path}: {found.lists} lists, {found.entries} entries ({found.matched} matched to the"
        f" knowledge base); {len(found.problems)} problem(s)",
        err=bool(found.problems),
    )
    if found.problems:
        sys.exit(1)
