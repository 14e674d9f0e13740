#!/usr/bin/env bash
# Regenerates bun.lock (text lockfile) from the shared input (../input) with the real bun
# (its npm package ships the binary), plus bun's own account of the install (ls.txt from
# `bun pm ls --all`). Needs the package registry. Registry URLs are rewritten to
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

npm install --silent --prefix "$work/tools" bun@1.4.5
cp -r "$here/../input" "$work/app"
cd "$work/app"
export BUN_CONFIG_REGISTRY="$registry" BUN_INSTALL_CACHE_DIR="$work/cache"
"$work/tools/node_modules/.bin/bun" install --ignore-scripts --save-text-lockfile >/dev/null 2>&1
"$work/tools/node_modules/.bin/bun" pm ls --all > "$here/ls.txt"
cp bun.lock "$here/bun.lock"
rewrite_registry "$here/bun.lock" "$here/ls.txt"
# bun names the temporary folder it ran in; keep the first line stable
sed -i "s|$work/app|/work/app|" "$here/ls.txt"
