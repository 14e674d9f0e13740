"""A container image as one Tree: layers applied in order, read in place.

Every layer is indexed once (in parallel: inflation releases the GIL) and folded into a
merged view in order: a `.wh.<name>` member deletes `<name>` from the layers below, a
`.wh..wh..opq` member empties its folder of what the layers below put there, and a file
replacing a folder hides that folder's lower contents. For each path the merged view keeps
the layer that last wrote it (`Entry.layer`, `layer_of`). Members whose names are absolute
or climb out with `..`, device files and FIFOs are never listed (each is a Diagnostic).
Symlinks resolve inside the image (an absolute target is relative to the image root, `..`
stops at the root, at most 40 hops): a link to a file reads that file; links to folders
are not expanded in the listing (it would list `lib -> usr/lib` twice, and loops), but
`entry()` looks paths up through them.

The image itself is a component (`pkg:oci/<name>@<digest>`) whose `declared` evidence is
the config: labels, entrypoint, command, environment (secret-looking values withheld),
author and history. Each component found inside gets the digest of the layer that last
wrote its location (`Location.layer`) and that layer's history command as `declared`
evidence (`image` / `layer.created_by`, where = `<config>#history[<n>]`): the command is
the image author's own account of how the files got there, not a place.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from packageurl import PackageURL

from auditor.errors import Diagnostic, ParseError, TargetError
from auditor.model import Component, ComponentKind, Evidence, Finding, Location, Strength
from auditor.progress import NULL_PROGRESS, NULL_STAGE, Progress, Stage
from auditor.sources import Entry, Tree
from auditor.sources.blobs import Compression, sniff
from auditor.sources.image_format import ImageSource, image_name, load_image
from auditor.sources.layers import (
    EntryBudget,
    InflateBudget,
    LayerReader,
    Listing,
    Member,
    OverBudget,
    SpanCache,
)
from auditor.sources.model_artifact import model_facts
from auditor.urls import REDACTED, is_secret_name

MAX_LINK_HOPS = 40
WORKERS = 2
_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"
_REG = (b"0", b"\0", b"7")


@dataclass(frozen=True, slots=True)
class _Node:
    """A path in the merged view."""

    layer: int
    kind: str
    """`file`, `link` (symbolic) or `dir`."""
    offset: int = 0
    size: int = 0
    link: str = ""
    data_layer: int = -1
    """The layer holding the bytes (a hard link's target may sit in another member)."""


class ImageTree(Tree):
    """The merged file system of one image, plus what the image says about itself."""

    def __init__(
        self,
        ref: str,
        path: Path,
        platform: str | None,
        verify: bool = True,
        max_inflated: int | None = None,
        max_entries: int | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> None:
        super().__init__(ref)
        self.source: ImageSource = load_image(ref, path, platform)
        self.diagnostics: list[Diagnostic] = []
        self.findings: list[Finding] = []
        self.layer_digests: list[str] = []
        self._readers: list[LayerReader] = []
        self._nodes: dict[str, _Node] = {}
        self._dirs: set[str] = set()
        """Every folder that has held something (tars need not list folders themselves)."""
        self._paths: list[str] = []
        self._budget = InflateBudget(max_inflated) if max_inflated is not None else None
        self._entries = EntryBudget(max_entries) if max_entries is not None else None
        self._build(verify, progress)
        self.component = self._component()
        for label, expected, actual in self.source.mismatches:
            self._mismatch(label, expected, actual)

    # --- building the merged view -------------------------------------------------------

    def _build(self, verify: bool, progress: Progress) -> None:
        readers = []
        spans = SpanCache()
        for ref in self.source.layers:
            blob = ref.blob
            # A raw model layer is a file, whatever its first bytes look like.
            kind = Compression.NONE if ref.raw_name is not None else sniff(blob)
            readers.append(
                LayerReader(blob, kind, verify, spans, self._budget, self._entries, ref.raw_name)
            )
            self.layer_digests.append(ref.digest or ref.diff_id or f"layer-{len(readers)}")
        self._readers = readers
        try:
            with (
                progress.stage(f"reading {self.ref} layers", len(readers), "layers") as stage,
                ThreadPoolExecutor(WORKERS) as pool,
            ):
                listings = []
                for listing in pool.map(_index, readers):
                    listings.append(listing)
                    stage.advance()
        except ParseError as exc:
            raise TargetError(exc.message, hint="the image archive is damaged") from None
        for i, (ref, reader) in enumerate(zip(self.source.layers, readers, strict=True)):
            # Each listing is dropped once applied: only the merged view stays.
            members, listings[i] = listings[i], Listing()
            if isinstance(members, OverBudget) and members.entries:
                message = (
                    f"layer not inventoried: the image lists more than --max-image-entries "
                    f"({members.limit:,} files and folders per image)"
                )
                self.diagnostics.append(Diagnostic(ref.blob.label, message))
                continue
            if isinstance(members, OverBudget):
                message = (
                    f"layer not inventoried: inflates past --max-inflated-bytes "
                    f"({members.limit:,} bytes per image; a decompression bomb?)"
                )
                self.diagnostics.append(Diagnostic(ref.blob.label, message))
                continue
            if verify:
                expected = ref.digest
                if expected is None and reader.compression is Compression.NONE:
                    expected = ref.diff_id  # a legacy docker save stores the uncompressed tar
                if expected and expected.startswith("sha256:") and expected != reader.digest:
                    self._mismatch(ref.blob.label, expected, reader.digest or "")
            self._apply(i, members)
        self._paths = sorted(p for p, n in self._nodes.items() if n.kind != "dir")

    def _apply(self, layer: int, members: Listing) -> None:
        label = self.source.layers[layer].blob.label
        hidden: set[str] = set()
        """Paths whose lower-layer versions (and everything below them) go away."""
        emptied: set[str] = set()
        """Folders whose lower-layer contents go away (opaque), the folder itself stays."""
        seen: set[str] = set()
        for m in members:
            path = _safe(m.name)
            if path is None:
                self.diagnostics.append(
                    Diagnostic(f"{label}!{m.name}", "unsafe member name (absolute or ..); skipped")
                )
                continue
            if path in seen and m.type != b"5":
                self.diagnostics.append(
                    Diagnostic(f"{label}!{m.name}", "appears twice in the layer; the last is used")
                )
            seen.add(path)
            if not path:
                continue  # the root folder itself
            folder, _, base = path.rpartition("/")
            if base == _OPAQUE:
                emptied.add(folder)
                continue
            if base.startswith(_WHITEOUT):
                gone = f"{folder}/{base[len(_WHITEOUT) :]}" if folder else base[len(_WHITEOUT) :]
                hidden.add(gone)
                continue
            node = self._node(layer, m, path, label)
            if node is None:
                continue
            if node.kind != "dir" and path in self._dirs:
                emptied.add(path)  # a file replacing a folder hides what was below it
            self._nodes[path] = node
            parent = folder
            while parent and parent not in self._dirs:  # stops at the first known folder
                self._dirs.add(parent)
                parent = parent.rpartition("/")[0]
        if hidden or emptied:
            self._hide(layer, hidden, emptied)

    def _node(self, layer: int, m: Member, path: str, label: str) -> _Node | None:
        if m.type in _REG:
            return _Node(layer, "file", m.offset, m.size, data_layer=layer)
        if m.type == b"5":
            return _Node(layer, "dir")
        if m.type == b"2":
            return _Node(layer, "link", link=m.linkname)
        if m.type == b"1":
            target = _safe(m.linkname)
            found = self._nodes.get(target) if target else None
            if found is None or found.kind != "file":
                self.diagnostics.append(
                    Diagnostic(f"{label}!{m.name}", f"hard link to a missing file {m.linkname!r}")
                )
                return None
            return replace(found, layer=layer)
        what = {b"3": "character device", b"4": "block device", b"6": "FIFO"}.get(m.type)
        if what is not None:
            self.diagnostics.append(Diagnostic(f"{label}!{m.name}", f"{what}; not read"))
        return None

    def _hide(self, layer: int, hidden: set[str], emptied: set[str]) -> None:
        def gone(path: str, node: _Node) -> bool:
            if node.layer >= layer:
                return False
            if path in hidden:
                return True
            parent = path
            while "/" in parent:
                parent = parent.rpartition("/")[0]
                if parent in hidden or parent in emptied:
                    return True
            return "" in emptied

        for path in [p for p, n in self._nodes.items() if gone(p, n)]:
            del self._nodes[path]

    # --- the Tree interface ---------------------------------------------------------------

    def entries(self) -> Iterator[Entry]:
        """Files and symlinks of the merged view, sorted by path."""
        for path in self._paths:
            entry = self._entry(path, self._nodes[path])
            if entry is not None:
                yield entry

    def index(self, progress: Stage = NULL_STAGE) -> Mapping[str, Entry]:
        """Entries by path, each made when asked for: an image of a million tiny files
        would otherwise hold a million `Entry` objects (two partials each, ~0.5 KB) at once,
        the whole of what `_nodes` already says. Nothing is walked, so `progress` hears
        nothing (reading the layers was reported while the tree was built)."""
        if self._index is None:
            self._index = _LazyEntries(self)
        return self._index

    def entry(self, path: str) -> Entry | None:
        """Also finds paths reached through symlinked folders (`lib/x` with lib -> usr/lib)."""
        node = self._nodes.get(path)
        if node is not None and node.kind != "dir":
            return self._entry(path, node)
        real = self._resolve(path, follow_last=False)
        if real is None or real == path or real not in self._nodes:
            return None
        entry = self._entry(real, self._nodes[real])
        return replace(entry, path=path) if entry is not None else None

    def _entry(self, path: str, node: _Node) -> Entry | None:
        digest = self.layer_digests[node.layer]
        if node.kind == "file":
            return Entry(
                path,
                node.size,
                partial(self._read, path, node),
                layer=digest,
                streamer=partial(self._stream, path, node),
            )
        if node.kind != "link":
            return None
        real = self._resolve(path, follow_last=True)
        target = self._nodes.get(real) if real is not None else None
        if real is None or target is None or target.kind != "file":
            why = "a loop" if real is None else "nothing readable in the image"
            return Entry(path, 0, partial(_unreadable, path, why), link=node.link, layer=digest)
        return Entry(
            path,
            target.size,
            partial(self._read, real, target),
            link=node.link,
            layer=digest,
            streamer=partial(self._stream, real, target),
        )

    def _read(self, path: str, node: _Node) -> bytes:
        reader = self._readers[node.data_layer]
        return reader.read(node.offset, node.size, f"{reader.blob.label}!{path}")

    def _stream(self, path: str, node: _Node) -> BinaryIO:
        reader = self._readers[node.data_layer]
        return reader.stream(node.offset, node.size, f"{reader.blob.label}!{path}")

    def _resolve(self, path: str, follow_last: bool) -> str | None:
        """`path` with symlinks followed inside the image; None for a loop."""
        hops = 0
        pending = [p for p in path.split("/") if p]
        done: list[str] = []
        while pending:
            part = pending.pop(0)
            if part == ".":
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = "/".join([*done, part])
            node = self._nodes.get(candidate)
            if node is not None and node.kind == "link" and (pending or follow_last):
                hops += 1
                if hops > MAX_LINK_HOPS:
                    return None
                if node.link.startswith("/"):
                    done = []
                pending = [p for p in node.link.split("/") if p] + pending
                continue
            done.append(part)
        return "/".join(done)

    def layer_of(self, path: str) -> int | None:
        """The layer that last wrote `path`, or for a folder the newest layer below it."""
        node = self._nodes.get(path)
        if node is not None and node.kind != "dir":
            return node.layer
        prefix = f"{path}/" if path else ""
        start = bisect_left(self._paths, prefix)
        newest: int | None = None
        for p in self._paths[start:]:
            if not p.startswith(prefix):
                break
            layer = self._nodes[p].layer
            newest = layer if newest is None else max(newest, layer)
        return newest

    def digest(self) -> str:
        """The image's own digest: the same image scanned twice gives the same target digest."""
        return self.source.digest

    # --- what the image says about itself ---------------------------------------------------

    def _mismatch(self, label: str, expected: str, actual: str) -> None:
        from auditor.policy.builtin import finding

        message = f"{label}: content hashes to {actual}, but the image names it {expected}"
        evidence = (Evidence("image", "digest", expected, label, Strength.DECLARED),)
        self.findings.append(finding("image.digest-mismatch", self.purl, message, evidence))

    @property
    def purl(self) -> str:
        """`pkg:oci/<name>@<digest>?repository_url=…&tag=…&arch=…` (purl spec, type oci)."""
        source = self.source
        qualifiers = {}
        if source.repository:
            qualifiers["repository_url"] = source.repository
        if source.tag:
            qualifiers["tag"] = source.tag
        arch = source.config.get("architecture")
        if isinstance(arch, str) and arch:
            qualifiers["arch"] = arch
        return str(
            PackageURL(
                type="oci",
                name=image_name(source),
                version=source.digest,
                qualifiers=qualifiers or None,
            ).to_string()
        )

    def _component(self) -> Component:
        source = self.source
        where = source.config_label
        inner = source.config.get("config")
        inner = inner if isinstance(inner, dict) else {}
        evidence: list[Evidence] = []

        def claim(field: str, value: Any) -> None:
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            if value is not None and str(value).strip():
                evidence.append(
                    Evidence("image-config", field, str(value), where, Strength.DECLARED)
                )

        found = inner.get("Labels")
        labels: dict[str, Any] = found if isinstance(found, dict) else {}
        for key in sorted(labels):
            claim(f"label.{key}", labels[key])
        claim("Entrypoint", inner.get("Entrypoint"))
        claim("Cmd", inner.get("Cmd"))
        for item in inner.get("Env") or []:
            name, _, value = str(item).partition("=")
            claim(f"env.{name}", REDACTED if is_secret_name(name) else value)
        claim("author", source.config.get("author"))
        claim("created", source.config.get("created"))
        for i, item in enumerate(source.config.get("history") or []):
            if isinstance(item, dict) and item.get("created_by"):
                evidence.append(
                    Evidence(
                        "image-config",
                        f"history[{i}].created_by",
                        str(item["created_by"]),
                        where,
                        Strength.DECLARED,
                    )
                )
        if source.model:  # an OCI model artifact: what its config says of the model
            for field, value in model_facts(source.config):
                claim(field, value)
        version = labels.get("org.opencontainers.image.version")
        return Component(
            purl=self.purl,
            kind=ComponentKind.MODEL if source.model else ComponentKind.APPLICATION,
            name=source.repository or image_name(source),
            version=str(version) if version else source.digest,
            license=_opt(labels.get("org.opencontainers.image.licenses")),
            locations=(Location(self.ref, "", layer=None),),
            evidence=tuple(evidence),
            found_by="image",
            direct=True,
        )

    def attribute(self, component: Component) -> Component:
        """The component with each of its locations in this image tagged with its layer
        (unless the collector knew better), plus that layer's history command."""
        locations, extra = [], []
        for loc in component.locations:
            if loc.target != self.ref:
                locations.append(loc)
                continue
            layer = (
                self.layer_digests.index(loc.layer)
                if loc.layer in self.layer_digests
                else self.layer_of(loc.path)
            )
            if layer is None:
                locations.append(loc)
                continue
            locations.append(replace(loc, layer=self.layer_digests[layer]))
            ref = self.source.layers[layer]
            if ref.created_by:
                extra.append(
                    Evidence(
                        "image",
                        "layer.created_by",
                        ref.created_by,
                        f"{self.source.config_label}#history[{ref.history_index}]",
                        Strength.DECLARED,
                    )
                )
        return replace(
            component,
            locations=tuple(locations),
            evidence=tuple(dict.fromkeys(component.evidence + tuple(extra))),
        )


def _index(reader: LayerReader) -> Listing | OverBudget:
    """A layer's members, or why the budget stopped it (the other layers still count)."""
    try:
        return reader.index()
    except OverBudget as exc:
        return exc


def _safe(name: str) -> str | None:
    """A member name as a merged-view path; None when absolute or climbing with `..`."""
    if name.startswith("/") or "\0" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    joined = "/".join(parts)
    # The member's own string when already normal (nearly always): it becomes the key
    # of `_nodes`, and a copy per member is ~80 bytes on images of millions of files.
    return name if joined == name else joined


def _unreadable(path: str, why: str) -> bytes:
    raise ParseError(path, f"symlink leads to {why}; not read")


def _opt(value: Any) -> str | None:
    return str(value) if value else None


class _LazyEntries(Mapping[str, Entry]):
    """`ImageTree.index()`: the merged view's files and symlinks by path, in path order,
    each `Entry` built on access from the tree's nodes."""

    def __init__(self, tree: ImageTree) -> None:
        self._tree = tree

    def __getitem__(self, path: str) -> Entry:
        node = self._tree._nodes.get(path)
        entry = None if node is None else self._tree._entry(path, node)
        if entry is None:
            raise KeyError(path)
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._tree._paths)

    def __len__(self) -> int:
        return len(self._tree._paths)

    def __contains__(self, path: object) -> bool:
        node = self._tree._nodes.get(path) if isinstance(path, str) else None
        return node is not None and node.kind != "dir"
