#!/usr/bin/env bash
# Regenerates the uv.lock files here and uv's own account of them (export.txt) with the uv
# in the project's venv. Needs the package registry (only to resolve); the git, URL and path
# sources in sources/ are made locally. Registry and loopback URLs are rewritten to `.invalid`
# hosts afterwards (house rule: no registry host names in the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
uv="${UV:-$here/../../../../.venv/bin/uv}"
python="${PYTHON:-$here/../../../../.venv/bin/python}"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid"; rm -rf "$work"; }
trap cleanup EXIT

export_lock() {  # $1 = project folder; uv's own flattening of the lock, hashes included
    (cd "$1" && "$uv" export --quiet --frozen --all-extras --all-groups --no-emit-workspace \
        --no-header > export.txt)
}

# 1. A plain project (editable root, extras, dependency groups, a marker fork) and 2. a
# workspace (root + member, directory and editable path dependencies).
for example in project workspace; do
    rm -f "$here/$example/uv.lock"
    (cd "$here/$example" && "$uv" lock --quiet)
    export_lock "$here/$example"
done

# 3. Git, URL and path sources, from a local git repository, a loopback HTTP server and a
# local wheel. Dates are fixed so the commit sha and archives are reproducible.
source "$here/../local_sources.sh"
make_git_project gitdep 2.0.0 '"six"'
make_project urldep 1.5.0 ''
make_project wheeldep 0.4.0 ''
"$uv" build --quiet --sdist "$work/urldep" --out-dir "$work/serve"
"$uv" build --quiet --wheel "$work/wheeldep" --out-dir "$work/wheels"
serve_folder "$work/serve"
mkdir -p "$work/app"
sed -e "s#@WORK@#$work#g" -e "s#@PORT@#$port#g" "$here/sources/pyproject.toml.in" \
    > "$work/app/pyproject.toml"
(cd "$work/app" && "$uv" lock --quiet)
export_lock "$work/app"
for f in uv.lock export.txt; do
    sed -e "s#file://$work/gitdep#https://git.example.invalid/gitdep#g" \
        -e "s#http://127.0.0.1:$port/#https://downloads.example.invalid/#g" \
        -e "s#$work/#/opt/vendor/#g" "$work/app/$f" > "$here/sources/$f"
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
    if path.name in ("uv.lock", "export.txt"):
        text = re.sub(r"https://([A-Za-z0-9.-]+)(/[^\s\"']*)", rewrite, path.read_text())
        path.write_text(text)
PY
