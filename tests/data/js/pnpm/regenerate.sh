#!/usr/bin/env bash
# Regenerates pnpm-lock.yaml in v6/ (pnpm 8, lockfile 6.0) and v9/ (pnpm 9, lockfile 9.0) from
# the shared input (../input), plus pnpm's own account of each install (list.json from
# `pnpm list --json --depth Infinity --recursive`). pnpm reads workspaces from
# pnpm-workspace.yaml, not package.json, so the same `packages/*` glob is written there.
# Needs the package registry. Registry URLs are rewritten to `registry.invalid` afterwards
# with a generic pattern (no registry host names in the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../../../.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
registry="$(npm config get registry)"

# Every https URL whose host is not a code host or already `.invalid` becomes
# registry.invalid: generic on purpose, so no registry host is spelled here.
rewrite_registry() {
    "$python" - "$@" <<'PY'
import pathlib, re, sys

def rewrite(match):
    host = match.group(1)
    keep = host in ("github.com", "codeload.github.com") or host.endswith(".invalid")
    return match.group(0) if keep else "https://registry.invalid/"

for name in sys.argv[1:]:
    path = pathlib.Path(name)
    path.write_text(re.sub(r"https://([A-Za-z0-9.-]+)/", rewrite, path.read_text()))
PY
}

for pair in v6:8.15.9 v9:9.15.9; do
    dir="${pair%%:*}" version="${pair#*:}"
    npm install --silent --prefix "$work/tools-$dir" "pnpm@$version"
    pnpm="$work/tools-$dir/node_modules/.bin/pnpm"
    rm -rf "$work/app" && cp -r "$here/../input" "$work/app"
    printf 'packages:\n  - "packages/*"\n' > "$work/app/pnpm-workspace.yaml"
    mkdir -p "$here/$dir"
    (cd "$work/app" && "$pnpm" install --ignore-scripts --registry "$registry" \
        --store-dir "$work/store-$dir" >/dev/null &&
        "$pnpm" list --json --depth Infinity --recursive > "$here/$dir/list.json")
    cp "$work/app/pnpm-lock.yaml" "$here/$dir/pnpm-lock.yaml"
    rewrite_registry "$here/$dir/pnpm-lock.yaml" "$here/$dir/list.json"
    # pnpm list names the temporary folder it ran in; keep the path stable
    sed -i "s#$work/app#/work/app#g" "$here/$dir/list.json"
done
