#!/usr/bin/env bash
# Regenerates the poetry.lock files here and Poetry's own account of them (export.txt, from
# `poetry export` with every group and extra) with Poetry installed into a throwaway venv:
# the current Poetry (lock-version 2.x) for project/ and sources/, Poetry 1.4 (the last to
# write lock-version 1.1) for legacy/. Needs the package registry to resolve. Every project
# locks against an explicit simple-index source whose URL is pip's default index, taken from
# pip at run time; registry and loopback URLs are rewritten to `.invalid` hosts afterwards
# (house rule: no registry host names in the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
uv="${UV:-$here/../../../../.venv/bin/uv}"
python="${PYTHON:-$here/../../../../.venv/bin/python}"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid"; rm -rf "$work"; }
trap cleanup EXIT
export POETRY_CACHE_DIR="$work/cache" POETRY_CONFIG_DIR="$work/config" \
    POETRY_DATA_DIR="$work/data" POETRY_VIRTUALENVS_CREATE=false PIP_CONFIG_FILE=/dev/null
index="$(python3 -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)')/"

"$uv" venv --quiet "$work/poetry2" -p 3.11
"$uv" pip install --quiet --python "$work/poetry2/bin/python" poetry poetry-plugin-export
"$uv" venv --quiet "$work/poetry14" -p 3.11
"$uv" pip install --quiet --python "$work/poetry14/bin/python" "poetry>=1.4,<1.5"
"$uv" venv --quiet "$work/poetry12" -p 3.11
"$uv" pip install --quiet --python "$work/poetry12/bin/python" "poetry>=1.2,<1.3"

lock() {  # $1 = poetry venv, $2 = project folder, then export options: lock, then export
    local poetry="$1/bin/poetry" folder="$2"
    shift 2
    (cd "$folder" && "$poetry" lock --no-interaction --quiet \
        && "$poetry" export --no-interaction -f requirements.txt "$@" --output export.txt)
}

# 1. PEP 621 project (extras, a group, a marker), 2. the same [tool.poetry] project locked
# by Poetry 1.2 (lock-version 1.1: hashes under [metadata.files], `category`) and 3. by
# Poetry 1.4 (lock-version 2.0: hashes per package, still `category`). Poetry 1.x's export
# has no --all-extras, so those name their one extra.
for triple in project:poetry2:--all-extras legacy:poetry12:--extras=progress \
    category:poetry14:--extras=progress; do
    IFS=: read -r example poetry extras <<< "$triple"
    mkdir -p "$work/$example"
    sed "s#https://registry.invalid/simple/#$index#" "$here/$example/pyproject.toml" \
        > "$work/$example/pyproject.toml"
    lock "$work/$poetry" "$work/$example" --with=dev "$extras"
    cp "$work/$example/poetry.lock" "$work/$example/export.txt" "$here/$example/"
done

# 3. Git, URL, file and directory sources, from a local git repository, a loopback HTTP
# server, a local wheel and a folder here. Dates are fixed so shas and archives repeat.
BUILD_REQUIRES="poetry-core>=2" BUILD_BACKEND="poetry.core.masonry.api"
source "$here/../local_sources.sh"
make_git_project gitdep 2.0.0 '"six"'
make_project urldep 1.5.0 ''
make_project wheeldep 0.4.0 ''
"$uv" build --quiet --sdist "$work/urldep" --out-dir "$work/serve"
"$uv" build --quiet --wheel "$work/wheeldep" --out-dir "$work/wheels"
serve_folder "$work/serve"
mkdir -p "$work/app"
cp -r "$here/sources/vendor" "$work/app/"
sed -e "s#@WORK@#$work#g" -e "s#@PORT@#$port#g" -e "s#https://registry.invalid/simple/#$index#" \
    "$here/sources/pyproject.toml.in" > "$work/app/pyproject.toml"
lock "$work/poetry2" "$work/app" --all-extras
for f in poetry.lock export.txt pyproject.toml; do
    # Poetry writes a local git URL as `file://None/<path>`: both forms are rewritten.
    sed -e "s#file://\(None\)\?$work/gitdep#https://git.example.invalid/gitdep#g" \
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
    if path.name in ("poetry.lock", "export.txt", "pyproject.toml"):
        text = re.sub(r"https://([A-Za-z0-9.-]+)(/[^\s\"']*)", rewrite, path.read_text())
        path.write_text(text)
PY
