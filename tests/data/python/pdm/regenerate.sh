#!/usr/bin/env bash
# Regenerates the pdm.lock files here and pdm's own account of them (export.txt, pdm's
# requirements export with every group; project/ also gets pdm's pylock.toml export) with a
# pdm installed into a throwaway venv. Needs the package registry (to install pdm and to
# resolve); the git and URL sources in sources/ are made locally. Registry and loopback URLs
# are rewritten to `.invalid` hosts afterwards (house rule: no registry host names in the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid"; rm -rf "$work"; }
trap cleanup EXIT

# pdm 2.29 breaks with hishel 2 (it imports hishel.SyncSqliteStorage), hence the pin.
"$python" -m venv "$work/venv"
PIP_CONFIG_FILE=/dev/null "$work/venv/bin/pip" install --quiet 'pdm==2.29.4' \
    'hishel[httpx2]>=1.4,<2'
pdm="$work/venv/bin/pdm"
export PDM_HOME="$work/pdm-home" PDM_CACHE_DIR="$work/pdm-cache" PDM_CHECK_UPDATE=false \
    PDM_IGNORE_SAVED_PYTHON=1 PDM_USE_VENV=false

lock() {  # $1 = example folder, the rest = extra `pdm lock` arguments
    local example="$1"; shift
    rm -rf "$work/$example"; cp -r "$here/$example" "$work/$example"
    rm -f "$work/$example/pdm.lock"
    (cd "$work/$example" && "$pdm" lock --quiet -G :all "$@")
    # pdm's own flattening of the lock: every group, hashes included
    (cd "$work/$example" && "$pdm" export --quiet -f requirements -G :all -o export.txt)
}

# 1. Registry packages with an extra and dependency groups (default inherit_metadata).
lock project
# pdm's PEP 751 export of the same lock, read by the pylock.toml parser's tests
(cd "$work/project" && "$pdm" export --quiet -f pylock -G :all -o pylock.toml)
cp "$work/project/pdm.lock" "$work/project/export.txt" "$work/project/pylock.toml" "$here/project/"
# 2. The same project locked with static URLs (file URLs instead of file names).
cp "$here/project/pyproject.toml" "$here/static/pyproject.toml"
lock static -S static_urls
cp "$work/static/pdm.lock" "$work/static/export.txt" "$here/static/"
# 3. Two lock targets split by Python version: one package locked twice, with markers.
rm -rf "$work/fork"; cp -r "$here/fork" "$work/fork"
(cd "$work/fork" && "$pdm" lock --quiet --python '>=3.10' \
    && "$pdm" lock --quiet --python '<3.10' --append \
    && "$pdm" export --quiet -f requirements -o export.txt)
cp "$work/fork/pdm.lock" "$work/fork/export.txt" "$here/fork/"

# 4. Git, URL, path and editable sources, from a local git repository, a loopback HTTP server
# and folders next to the project. Fixed dates make the commit sha reproducible.
BUILD_REQUIRES="pdm-backend" BUILD_BACKEND="pdm.backend"
source "$here/../local_sources.sh"
make_git_project gitdep 2.0.0 '"six"'
make_project urldep 1.5.0 ''
mkdir -p "$work/serve"
(cd "$work/urldep" && "$pdm" build --quiet --no-wheel --dest "$work/serve")
# pdm cannot fetch git+file URLs, so the repository is served over git's dumb HTTP protocol.
git clone --quiet --bare "$work/gitdep" "$work/serve/gitdep.git"
git -C "$work/serve/gitdep.git" update-server-info
serve_folder "$work/serve"
rm -rf "$work/sources"; cp -r "$here/sources" "$work/sources"
sed -e "s#@WORK@#$work#g" -e "s#@PORT@#$port#g" "$here/sources/pyproject.toml.in" \
    > "$work/sources/pyproject.toml"
(cd "$work/sources" && "$pdm" lock --quiet -G :all \
    && "$pdm" export --quiet -f requirements -G :all --no-hashes -o export.txt)
for f in pdm.lock export.txt pyproject.toml; do
    sed -e "s#http://127.0.0.1:$port/gitdep.git#https://git.example.invalid/gitdep.git#g" \
        -e "s#http://127.0.0.1:$port/#https://downloads.example.invalid/#g" \
        -e "s#$work/#/opt/vendor/#g" "$work/sources/$f" > "$here/sources/$f"
done

# Registry URLs: the index (a `/simple` path) becomes registry.invalid, file downloads become
# files.registry.invalid. Generic on purpose: no registry host is spelled here.
"$python" - "$here" <<'PY'
import pathlib, re, sys

def rewrite(match: re.Match[str]) -> str:
    host, path = match.group(1), match.group(2)
    if host == "github.com" or host.endswith(".invalid"):
        return match.group(0)
    new_host = "registry.invalid" if path.startswith("/simple") else "files.registry.invalid"
    return f"https://{new_host}{path}"

for path in pathlib.Path(sys.argv[1]).glob("*/*"):
    if path.name in ("pdm.lock", "export.txt", "pylock.toml"):
        text = re.sub(r"https://([A-Za-z0-9.-]+)(/[^\s\"']*)", rewrite, path.read_text())
        path.write_text(text)
PY
