#!/usr/bin/env bash
# Regenerates yarn.lock (Berry, yarn 4) from the shared input (../input) with the real yarn
# 4, plus yarn's own account of the lock (info.json from `yarn info --all --recursive --json`,
# one JSON object a line). Needs the package registry. Registry URLs are rewritten to
# `registry.invalid` afterwards with a generic pattern (no registry host names in the repo).
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

npm install --silent --prefix "$work/tools" @yarnpkg/cli-dist@4.18.1
cp -r "$here/../input" "$work/app"
cd "$work/app"
export YARN_ENABLE_TELEMETRY=0 YARN_ENABLE_GLOBAL_CACHE=0 YARN_CACHE_FOLDER="$work/cache" \
    YARN_NPM_REGISTRY_SERVER="${registry%/}" YARN_ENABLE_HARDENED_MODE=0
"$work/tools/node_modules/.bin/yarn" install --mode=skip-build >/dev/null
"$work/tools/node_modules/.bin/yarn" info --all --recursive --json > "$here/info.json"
cp yarn.lock "$here/yarn.lock"
rewrite_registry "$here/yarn.lock" "$here/info.json"
