#!/usr/bin/env bash
# Regenerates the PEP 751 lockfiles here with the real tools, and each tool's own account:
#   uv/   `uv export --format pylock.toml` (the project venv's uv) of a project with registry,
#         git, URL, wheel, directory and editable sources; account: uv's requirements export.
#   pip/  `pip lock` (pip >= 25.1 in a throwaway venv) of requirements.in; account: the
#         installation report of `pip install --dry-run --report` for the same input.
# (pdm's pylock export lives in ../pdm/project, made by that folder's script.)
# Needs the package registry. Registry and loopback URLs are rewritten to `.invalid` hosts
# afterwards (house rule: no registry host names in the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
uv="${UV:-$here/../../../../.venv/bin/uv}"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid"; rm -rf "$work"; }
trap cleanup EXIT

# 1. uv: local git, URL and wheel sources; fixed dates make the commit sha reproducible.
source "$here/../local_sources.sh"
make_git_project gitdep 2.0.0 '"six"'
make_project urldep 1.5.0 ''
make_project wheeldep 0.4.0 ''
"$uv" build --quiet --sdist "$work/urldep" --out-dir "$work/serve"
"$uv" build --quiet --wheel "$work/wheeldep" --out-dir "$work/wheels"
serve_folder "$work/serve"
cp -r "$here/uv" "$work/app"
sed -e "s#@WORK@#$work#g" -e "s#@PORT@#$port#g" "$here/uv/pyproject.toml.in" \
    > "$work/app/pyproject.toml"
(cd "$work/app" && "$uv" lock --quiet \
    && "$uv" export --quiet --frozen --all-extras --all-groups --no-emit-project \
        --format pylock.toml -o pylock.toml \
    && "$uv" export --quiet --frozen --all-extras --all-groups --no-emit-project \
        --no-header --format requirements-txt -o export.txt)
for f in pylock.toml export.txt pyproject.toml; do
    sed -e "s#file://$work/gitdep#https://git.example.invalid/gitdep#g" \
        -e "s#http://127.0.0.1:$port/#https://downloads.example.invalid/#g" \
        -e "s#$work/#/opt/vendor/#g" "$work/app/$f" > "$here/uv/$f"
done

# 2. pip lock, and pip's installation report for the same requirements as its account.
"$python" -m venv "$work/venv"
export PIP_CONFIG_FILE=/dev/null
"$work/venv/bin/pip" install --quiet 'pip>=25.1'
(cd "$here/pip" && "$work/venv/bin/pip" lock --quiet -r requirements.in -o pylock.toml \
    && "$work/venv/bin/pip" install --quiet --dry-run --ignore-installed \
        -r requirements.in --report report.json)

# Registry URLs: the index (a `/simple` path) becomes registry.invalid, file downloads become
# files.registry.invalid. Generic on purpose: no registry host is spelled here.
"$python" - "$here" <<'PY'
import json, pathlib, re, sys

def rewrite(match: re.Match[str]) -> str:
    host, path = match.group(1), match.group(2)
    if host == "github.com" or host.endswith(".invalid"):
        return match.group(0)
    new_host = "registry.invalid" if path.startswith("/simple") else "files.registry.invalid"
    return f"https://{new_host}{path}"

report = pathlib.Path(sys.argv[1]) / "pip" / "report.json"
doc = json.loads(report.read_text())
for item in doc["install"]:  # long descriptions are no part of the account, and name hosts
    item["metadata"].pop("description", None)
report.write_text(json.dumps(doc, indent=2) + "\n")
for path in pathlib.Path(sys.argv[1]).glob("*/*"):
    if path.name in ("pylock.toml", "export.txt", "report.json"):
        url = r"https://([A-Za-z0-9.-]+)(/[^\s\"'()\[\]<>\\]*)"
        path.write_text(re.sub(url, rewrite, path.read_text()))
PY
