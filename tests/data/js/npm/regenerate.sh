#!/usr/bin/env bash
# Regenerates the npm fixtures here from the shared input (../input/package.json) with the
# real npm: lockfile v3 and v2 (npm of this machine), npm-shrinkwrap.json, v1 (npm 6 via npx),
# npm's own account of each installed tree (`npm ls --all --long --json`, trimmed to the fields
# the tests read), and a trimmed copy of each
# installed node_modules (every package.json only, as a tarball, so the collector test runs
# offline). Needs the npm registry. Registry URLs are rewritten to `registry.invalid` and the
# temporary folder to /opt/fixture afterwards (house rule: no registry host names in the repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
input="$here/../input"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# This machine's npm config omits registry URLs from locks; real-world locks have them.
npm_flags=(--ignore-scripts --no-audit --no-fund --omit-lockfile-registry-resolved=false)
export SOURCE_DATE_EPOCH=1700000000

fresh() {  # $1 = folder: a copy of the shared input
    mkdir -p "$1"
    cp -r "$input/." "$1/"
    rm -f "$1/README.md"
}

trim_tree() {  # $1 = project folder, $2 = tarball: the project's package.json files only
    (cd "$1" && find . \( -name package.json -o -name .package-lock.json \) -print0 \
        | LC_ALL=C sort -z > "$work/list")
    (cd "$1" && find node_modules -type l -print0 >> "$work/list")
    tar --create --gzip --no-recursion --owner=0 --group=0 --numeric-owner \
        --mtime=@"$SOURCE_DATE_EPOCH" --file "$2" --directory "$1" --null --files-from "$work/list"
}

# v3 (this npm's default), then v2 from the same resolution, then a shrinkwrap of it.
fresh "$work/v3"
(cd "$work/v3" && npm install --package-lock-only --lockfile-version 3 "${npm_flags[@]}" >/dev/null)
fresh "$work/v2"
cp "$work/v3/package-lock.json" "$work/v2/"
(cd "$work/v2" && npm install --package-lock-only --lockfile-version 2 "${npm_flags[@]}" >/dev/null)
fresh "$work/shrinkwrap"
cp "$work/v3/package-lock.json" "$work/shrinkwrap/"
(cd "$work/shrinkwrap" && npm shrinkwrap "${npm_flags[@]}" >/dev/null 2>&1)
# A real install of the v3 lock, and npm's account of it.
(cd "$work/v3" && npm ci "${npm_flags[@]}" >/dev/null && { npm ls --all --long --json > ls.json || true; })
trim_tree "$work/v3" "$work/v3/node_modules.tar.gz"

# v1: npm 6 (the last to write it) re-locks the v2 lock's `dependencies` tree. npm 6 knows
# no workspaces, so ws-a is absent there. Its installs also write `_resolved`/`_integrity`/
# `_from` into each package.json, which the collector reads.
fresh "$work/v1"
cp "$work/v2/package-lock.json" "$work/v1/"
(cd "$work/v1" && npx -y npm@6 install --package-lock-only "${npm_flags[@]}" >/dev/null 2>&1)
(cd "$work/v1" && npx -y npm@6 ci "${npm_flags[@]}" >/dev/null 2>&1 \
    && { npx -y npm@6 ls --long --json > ls.json 2>/dev/null || true; })
trim_tree "$work/v1" "$work/v1/node_modules.tar.gz.tmp"

# Rewrite the registry's hosts and the temporary folder, in the files and inside the
# tarballs. The registry is recognised, not named: it is whatever domain serves the
# `<name>/-/<name>-<version>.tgz` tarballs of the locks; every host of that domain (its web
# pages in `homepage` or `contributors` too) becomes registry.invalid.
python3 - "$work" <<'PY'
import gzip, io, json, pathlib, re, sys, tarfile

work = sys.argv[1]
locks = " ".join(p.read_text() for p in pathlib.Path(work).glob("*/package-lock.json"))
TARBALL = r"https?://([A-Za-z0-9.-]+)/[^\s\"']*/-/[^\s\"']*\.tgz"
domains = {".".join(h.split(".")[-2:]) for h in re.findall(TARBALL, locks)}

def rewrite(text: str) -> str:
    def host(m: re.Match[str]) -> str:
        ours = ".".join(m.group(1).split(".")[-2:]) in domains
        return "https://registry.invalid/" if ours else m.group(0)
    text = re.sub(r"https?://([A-Za-z0-9.-]+)/", host, text)
    return text.replace(work, "/opt/fixture")

for tarball in list(pathlib.Path(work).glob("*/node_modules.tar.gz*")):
    out = io.BytesIO()
    with tarfile.open(tarball) as src, tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as dst:
        for member in src.getmembers():
            if member.isfile():
                data = rewrite(src.extractfile(member).read().decode()).encode()
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
            else:
                dst.addfile(member)
    # gzip with a fixed header time, so an unchanged install gives identical bytes
    tarball.with_name("node_modules.tar.gz").write_bytes(gzip.compress(out.getvalue(), mtime=0))
# `npm ls --long` repeats each package.json (readmes included): keep the fields the tests read.
KEEP_LS = {"name", "version", "resolved", "_resolved", "integrity", "_integrity", "from", "_from",
           "dev", "optional", "peer", "devOptional", "extraneous", "missing", "path", "dependencies"}

def trim(node):
    out = {k: v for k, v in node.items() if k in KEEP_LS}
    if isinstance(out.get("dependencies"), dict):
        out["dependencies"] = {k: trim(v) for k, v in out["dependencies"].items()}
    return out

for path in pathlib.Path(work).glob("*/ls.json"):
    path.write_text(json.dumps(trim(json.loads(path.read_text())), indent=2) + "\n")
for path in pathlib.Path(work).glob("*/*.json"):
    path.write_text(rewrite(path.read_text()))
PY

for kind in v1 v2 v3 shrinkwrap; do
    rm -rf "${here:?}/$kind"
    mkdir -p "$here/$kind"
    for f in package.json package-lock.json npm-shrinkwrap.json ls.json node_modules.tar.gz; do
        [ -f "$work/$kind/$f" ] && cp "$work/$kind/$f" "$here/$kind/"
    done
    # The local and workspace packages' manifests: v1 names a file: package's version only there.
    (cd "$work/$kind" && cp --parents local-pkg/package.json packages/ws-a/package.json "$here/$kind/")
done
