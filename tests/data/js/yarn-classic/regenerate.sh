#!/usr/bin/env bash
# Regenerates yarn.lock (classic, lockfile v1) from the shared input (../input) with the real
# yarn 1, plus yarn's own account of the install (list.json from `yarn list --json`).
# Needs the package registry. Registry URLs are rewritten to `registry.invalid` afterwards
# with a generic pattern (house rule: no registry host names in the repo).
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

npm install --silent --prefix "$work/tools" yarn@1.22.22
cp -r "$here/../input" "$work/app"
cd "$work/app"
"$work/tools/node_modules/.bin/yarn" install --ignore-scripts --non-interactive --no-progress \
    --registry "$registry" --cache-folder "$work/cache" >/dev/null
"$work/tools/node_modules/.bin/yarn" list --json --no-progress > "$here/list.json"
cp yarn.lock "$here/yarn.lock"
rewrite_registry "$here/yarn.lock" "$here/list.json"
