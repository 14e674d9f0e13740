#!/usr/bin/env bash
# Regenerates project/Pipfile.lock and pipenv's own account of it (requirements.txt from
# `pipenv requirements --hash`, dev-requirements.txt from `--dev-only`) with pipenv installed
# into a throwaway venv; every cache and virtualenv stays in a temporary folder. Needs the
# package registry to resolve; the git repository and the URL download are made locally.
# The index URL is pip's default, taken from pip at run time; registry, loopback and
# temporary-folder URLs are rewritten to `.invalid` hosts afterwards (house rule: no registry
# host names in the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
uv="${UV:-$here/../../../../.venv/bin/uv}"
python="${PYTHON:-$here/../../../../.venv/bin/python}"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid"; rm -rf "$work"; }
trap cleanup EXIT
unset PIP_FIND_LINKS PIP_CONSTRAINT PIP_EXTRA_INDEX_URL PIP_INDEX_URL
export PIP_CONFIG_FILE=/dev/null PIPENV_VENV_IN_PROJECT=1 PIPENV_CACHE_DIR="$work/cache" \
    PIPENV_NOSPIN=1 PIPENV_YES=1 PIPENV_IGNORE_VIRTUALENVS=1 WORKON_HOME="$work/venvs" \
    XDG_CACHE_HOME="$work/cache" HOME="$work/home"
index="$(python3 -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)')"

"$uv" venv --quiet "$work/pipenv" -p 3.11 --seed
"$uv" pip install --quiet --python "$work/pipenv/bin/python" pipenv

# The git and URL sources, with fixed dates so the commit sha and archive repeat.
source "$here/../local_sources.sh"
make_git_project gitdep 2.0.0 '"six"'
make_project urldep 1.5.0 ''
"$uv" build --quiet --sdist "$work/urldep" --out-dir "$work/serve"
serve_folder "$work/serve"

mkdir -p "$work/app" "$work/home"
cp -r "$here/project/vendor" "$work/app/"
sed -e "s#@WORK@#$work#g" -e "s#@PORT@#$port#g" -e "s#https://registry.invalid/simple#$index#" \
    "$here/project/Pipfile.in" > "$work/app/Pipfile"
(
    cd "$work/app"
    "$work/pipenv/bin/pipenv" --python "$work/pipenv/bin/python" lock
    "$work/pipenv/bin/pipenv" requirements --hash > requirements.txt
    "$work/pipenv/bin/pipenv" requirements --hash --dev-only > dev-requirements.txt
)
for f in Pipfile Pipfile.lock requirements.txt dev-requirements.txt; do
    sed -e "s#file://$work/gitdep#https://git.example.invalid/gitdep#g" \
        -e "s#http://127.0.0.1:$port/#https://downloads.example.invalid/#g" \
        -e "s#$work/#/opt/vendor/#g" "$work/app/$f" > "$here/project/$f"
done

# Registry URLs: the index (a `/simple` path) becomes registry.invalid, file downloads become
# files.registry.invalid. Generic on purpose: no registry host is spelled here.
"$python" - "$here/project" <<'PY'
import pathlib, re, sys

def rewrite(match: re.Match[str]) -> str:
    host, path = match.group(1), match.group(2)
    if host == "github.com" or host.endswith(".invalid"):
        return match.group(0)
    new_host = "registry.invalid" if path.startswith("/simple") else "files.registry.invalid"
    return f"https://{new_host}{path}"

for name in ("Pipfile", "Pipfile.lock", "requirements.txt", "dev-requirements.txt"):
    path = pathlib.Path(sys.argv[1]) / name
    text = re.sub(r"https://([A-Za-z0-9.-]+)(/[^\s\"']*)", rewrite, path.read_text())
    path.write_text(text)
PY
