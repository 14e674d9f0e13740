#!/usr/bin/env bash
# Issue 36's image input: a real docker-save of a Python web image, made here (no registry
# image can be pulled on this machine). One umoci layer holding this machine's dpkg database
# (/var/lib/dpkg/status and info/, /etc/os-release), the CPython that runs the harness under
# /usr/local (its own site-packages left out) and `pip install --target` of a web stack;
# the OCI layout (gzip layer, as umoci writes it) is then wrapped as a docker-save archive
# the way `docker save` of Docker 25+ writes one: the layout plus a manifest.json naming
# the blobs (skopeo's docker-archive would store the layer uncompressed).
#
#     bash bench/make_web_image.sh [OUT]      # default /tmp/i36-web/web.tar (kept as a cache)
#     .venv/bin/python bench/image_bench.py --image /tmp/i36-web/web.tar --no-store
set -euo pipefail

out=${1:-/tmp/i36-web/web.tar}
if [[ -s $out ]]; then
    echo "$out exists"
    exit 0
fi
work=$(dirname "$out")/build
rm -rf "$work"
mkdir -p "$work"
python=$(python3 -c 'import sys; print(sys.base_prefix)')
root=$work/bundle/rootfs

umoci init --layout "$work/oci"
umoci new --image "$work/oci:latest"
umoci unpack --rootless --image "$work/oci:latest" "$work/bundle"

mkdir -p "$root/etc" "$root/var/lib/dpkg" "$root/usr/local"
cp /etc/os-release /etc/debian_version "$root/etc/"
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
cp -r /var/lib/dpkg/info "$root/var/lib/dpkg/info"
# CPython without its own site-packages (the harness's tools live there).
tar -C "$python" --exclude="./lib/python3.*/site-packages/*" -cf - . | tar -C "$root/usr/local" -xf -
site=$(ls -d "$root"/usr/local/lib/python3.*/site-packages)
"$python/bin/python3" -m pip install --quiet --disable-pip-version-check --target "$site" \
    django flask gunicorn uvicorn fastapi sqlalchemy psycopg2-binary celery redis requests \
    boto3 numpy pandas pillow setuptools

umoci repack --history.created_by "pip install web stack" --image "$work/oci:latest" "$work/bundle"
umoci config --image "$work/oci:latest" --config.label "org.opencontainers.image.title=web"
python3 - "$work/oci" "$out.partial" <<'PY'
import json, sys, tarfile
from pathlib import Path
layout, out = Path(sys.argv[1]), sys.argv[2]
index = json.loads((layout / "index.json").read_text())
digest = index["manifests"][0]["digest"].split(":")[1]
manifest = json.loads((layout / "blobs" / "sha256" / digest).read_text())
blob = lambda d: "blobs/sha256/" + d["digest"].split(":")[1]
save = [{"Config": blob(manifest["config"]), "RepoTags": ["bench/web:1.0"],
         "Layers": [blob(layer) for layer in manifest["layers"]]}]
(layout / "manifest.json").write_text(json.dumps(save))
with tarfile.open(out, "w") as tar:
    for path in sorted(layout.rglob("*")):
        if path.is_file():
            tar.add(path, str(path.relative_to(layout)))
PY
mv "$out.partial" "$out"
rm -rf "$work"
ls -l "$out"
