#!/usr/bin/env bash
# Regenerates the real-tool test data for the requirements.txt parser from requirements.in:
#   requirements-uv.txt        uv pip compile --generate-hashes
#   requirements-piptools.txt  pip-compile --generate-hashes (pip-tools, in a throw-away venv)
#   report-uv.json, report-piptools.json
#                              pip's own account (`pip install --dry-run --report`) of
#                              requirements.in constrained by each compiled file: what pip
#                              would install, which of it was requested, and the hash of the
#                              archive it chose, and each package's declared requirements.
#                              Trimmed to those fields (the full report embeds every README).
# Needs network access to the package index. Registry URLs are rewritten to `.invalid` hosts
# by a generic pattern, so no registry host name is committed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
uv="$repo/.venv/bin/uv"
python="$repo/.venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# This machine's pip configuration adds local find-links, extra indexes and constraints; the
# account must reflect the public index only, so every pip below runs without configuration.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT PIP_NO_INDEX || true
export PIP_DISABLE_PIP_VERSION_CHECK=1

cd "$here"

"$uv" pip compile --quiet --no-config --python "$python" --generate-hashes \
    requirements.in -o requirements-uv.txt

"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip pip-tools
"$work/venv/bin/pip-compile" --quiet --generate-hashes --no-strip-extras --rebuild \
    --cache-dir "$work/pip-tools-cache" --output-file requirements-piptools.txt requirements.in

for tool in uv piptools; do
    # pip accepts no extras in a constraint (`httpx[http2]==…` → `httpx==…`); the hashes stay.
    sed -E 's/^([A-Za-z0-9._-]+)\[[^]]*\]/\1/' "requirements-$tool.txt" >"$work/constraints-$tool.txt"
    "$work/venv/bin/python" -m pip install --quiet --dry-run --ignore-installed \
        --report "$work/report-$tool.json" -r requirements.in -c "$work/constraints-$tool.txt"
    "$work/venv/bin/python" - "$work/report-$tool.json" "report-$tool.json" <<'PY'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as fh:
    report = json.load(fh)
trimmed = {
    "version": report["version"],
    "pip_version": report["pip_version"],
    "install": [
        {
            "metadata": {
                "name": i["metadata"]["name"],
                "version": i["metadata"]["version"],
                "requires_dist": i["metadata"].get("requires_dist", []),
            },
            "requested": i["requested"],
            "is_direct": i["is_direct"],
            "download_info": i["download_info"],
        }
        for i in report["install"]
    ],
}
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    json.dump(trimmed, fh, indent=2, sort_keys=True)
    fh.write("\n")
PY
done

# Any https host other than github.com becomes registry.invalid (files.* hosts keep their
# `files.` label), written generically so that no registry host is spelled here.
"$python" - requirements-uv.txt requirements-piptools.txt report-uv.json report-piptools.json <<'PY'
import re
import sys

HOST = re.compile(r"https://([A-Za-z0-9.-]+)(?=[/\"'\s]|$)")


def rewrite(match: re.Match[str]) -> str:
    host = match.group(1)
    if host == "github.com" or host.endswith(".invalid"):
        return match.group(0)
    return "https://files.registry.invalid" if host.startswith("files.") else "https://registry.invalid"


for name in sys.argv[1:]:
    with open(name, encoding="utf-8") as fh:
        text = fh.read()
    with open(name, "w", encoding="utf-8") as fh:
        fh.write(HOST.sub(rewrite, text))
PY
