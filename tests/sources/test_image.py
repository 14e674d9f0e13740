"""Container images: real OCI layouts (umoci), docker-save and OCI archives (skopeo), and
hand-made hostile archives. Expected contents are known by construction."""

from __future__ import annotations

import gzip
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import ParseError, TargetError
from auditor.sources import layers as layers_module
from auditor.sources.image import ImageTree
from tests.conftest import Ran
from tests.sources.images import (
    Member,
    docker_save,
    layer_tar,
    oci_layout,
    run,
    sha,
    skopeo_copy,
    umoci_image,
    write,
    zeros_layer,
)

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
STATUS = """Package: libfoo1
Status: install ok installed
Maintainer: Foo Maintainers <foo@example.invalid>
Architecture: amd64
Source: foo
Version: 1:2.3-4
Homepage: https://foo.example.invalid
Description: foo library
 long description

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 0.1-1
"""


def metadata(name: str, version: str) -> str:
    """A minimal core-metadata file."""
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"


def base_layer(root: Path) -> None:
    """A Debian-like root file system with a system dist-package."""
    write(
        root,
        {
            "etc/os-release": OS_RELEASE,
            "var/lib/dpkg/status": STATUS,
            "var/lib/dpkg/info/libfoo1:amd64.list": "/usr/lib/libfoo.so.1\n",
            "usr/lib/libfoo.so.1": b"\x7fELF",
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": metadata(
                "six", "1.16.0"
            ),
            "a/keep": "kept",
            "a/gone": "deleted later",
            "d/x": "x",
            "d/y": "y",
        },
    )
    (root / "lib").symlink_to("usr/lib")


def app_layer(root: Path) -> None:
    """A venv with one distribution; a file deleted; a folder replaced."""
    write(
        root,
        {
            "opt/venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.11.2\n",
            "opt/venv/lib/python3.11/site-packages/click-8.1.7.dist-info/METADATA": metadata(
                "click", "8.1.7"
            ),
        },
    )
    (root / "a" / "gone").unlink()
    shutil.rmtree(root / "d")
    write(root, {"d/z": "z"})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, image_tools: None) -> Path:
    """The umoci image, plus its skopeo copies (docker-archive, oci-archive, zstd layout)."""
    work = tmp_path_factory.mktemp("img")
    layout = umoci_image(
        work,
        [("FROM debian:12", base_layer), ("RUN pip install click", app_layer)],
        labels={
            "org.opencontainers.image.source": "https://git.example.invalid/app",
            "org.opencontainers.image.vendor": "Example Corp",
        },
    )
    skopeo_copy(f"oci:{layout}:latest", f"docker-archive:{work / 'docker.tar'}:example/app:1.0")
    skopeo_copy(f"oci:{layout}:latest", f"oci-archive:{work / 'oci.tar'}:1.0")
    skopeo_copy(
        f"oci:{layout}:latest", f"oci:{work / 'zstd'}:latest", "--dest-compress-format", "zstd"
    )
    return work


EXPECTED = {
    "pkg:deb/debian/libfoo1@1:2.3-4?arch=amd64&distro=debian-12",
    "pkg:pypi/six@1.16.0",
    "pkg:pypi/click@8.1.7",
}


def scan_json(auditor: Callable[..., Ran], validate: Any, *args: str | Path) -> dict[str, Any]:
    """`auditor scan ... --format json` (offline inventory), checked against the schema."""
    ran = auditor("scan", *args, "--no-resolve", "--no-store", "--format", "json")
    assert ran.code == 0, ran.stderr
    doc: dict[str, Any] = validate(ran.stdout)
    return doc


def inner(doc: dict[str, Any]) -> set[str]:
    """Purls of everything but the image itself."""
    return {c["purl"] for c in doc["components"] if not c["purl"].startswith("pkg:oci/")}


def test_umoci_layers_merge_whiteouts_and_attribute_layers(built: Path) -> None:
    layout = built / "oci"
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(
        (layout / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text()
    )
    digests = [layer["digest"] for layer in manifest["layers"]]
    with tarfile.open(layout / "blobs/sha256" / digests[1][7:]) as upper:
        names = upper.getnames()
    assert any(n.rpartition("/")[2].startswith(".wh.") for n in names), names  # real whiteouts

    tree = ImageTree(str(layout), layout, None)
    paths = {e.path for e in tree.entries()}
    assert {"a/keep", "d/z", "etc/os-release", "lib"} <= paths
    assert not {"a/gone", "d/x", "d/y"} & paths
    assert tree.entry("d/z").layer == digests[1]  # type: ignore[union-attr]
    assert tree.entry("a/keep").layer == digests[0]  # type: ignore[union-attr]
    assert tree.read_text("a/keep") == "kept"
    # A lookup through the `lib -> usr/lib` link finds the file; the listing has it once.
    assert tree.read_bytes("lib/libfoo.so.1") == b"\x7fELF"
    assert "lib/libfoo.so.1" not in paths


def test_image_scan_finds_os_and_python_packages_with_layers(
    built: Path, auditor: Callable[..., Ran], validate: Any
) -> None:
    doc = scan_json(auditor, validate, built / "oci")
    assert inner(doc) == EXPECTED
    assert doc["scan"]["targets"][0]["kind"] == "image"
    by_purl = {c["purl"]: c for c in doc["components"]}
    click = by_purl["pkg:pypi/click@8.1.7"]
    six = by_purl["pkg:pypi/six@1.16.0"]
    assert click["locations"][0]["layer"] != six["locations"][0]["layer"]
    commands = {e["value"] for e in click["origin"]["evidence"] if e["field"] == "layer.created_by"}
    assert commands == {"RUN pip install click"}
    deb = by_purl["pkg:deb/debian/libfoo1@1:2.3-4?arch=amd64&distro=debian-12"]
    assert deb["locations"][0]["layer"] == six["locations"][0]["layer"]
    fields = {(e["field"], e["value"]) for e in deb["origin"]["evidence"]}
    assert ("Maintainer", "Foo Maintainers <foo@example.invalid>") in fields
    image = next(c for c in doc["components"] if c["purl"].startswith("pkg:oci/"))
    labels = {(e["field"], e["value"]) for e in image["origin"]["evidence"]}
    assert ("label.org.opencontainers.image.vendor", "Example Corp") in labels
    assert ("history[1].created_by", "RUN pip install click") in labels
    digest = doc["scan"]["targets"][0]["digest"]
    assert image["purl"] == f"pkg:oci/oci@{digest}?arch=amd64&tag=latest"


@pytest.mark.parametrize("name", ["docker.tar", "oci.tar", "zstd"])
def test_skopeo_copies_give_the_same_components(
    built: Path, name: str, auditor: Callable[..., Ran], validate: Any
) -> None:
    doc = scan_json(auditor, validate, built / name)
    assert inner(doc) == EXPECTED
    assert doc["scan"]["status"] == "complete", doc["diagnostics"]
    assert not doc["findings"]


def test_docker_archive_names_the_image_from_its_tag(
    built: Path, auditor: Callable[..., Ran], validate: Any
) -> None:
    doc = scan_json(auditor, validate, f"image:{built / 'docker.tar'}")
    image = next(c for c in doc["components"] if c["purl"].startswith("pkg:oci/"))
    assert image["purl"].startswith("pkg:oci/app@sha256:")
    assert "/example/app&tag=1.0" in image["purl"]  # skopeo writes the normalised name


def test_zstd_copy_really_is_zstd(built: Path) -> None:
    blobs = sorted((built / "zstd" / "blobs" / "sha256").iterdir())
    assert any(b.read_bytes()[:4] == b"\x28\xb5\x2f\xfd" for b in blobs)


def test_unpacked_rootfs_finds_the_same_things(
    built: Path, tmp_path: Path, auditor: Callable[..., Ran], validate: Any
) -> None:
    bundle = tmp_path / "bundle"
    run("umoci", "unpack", "--rootless", "--image", f"{built / 'oci'}:latest", bundle)
    doc = scan_json(auditor, validate, bundle / "rootfs")
    assert {c["purl"] for c in doc["components"]} == EXPECTED


# --- hand-made images ----------------------------------------------------------------------


def test_opaque_folder_and_file_replacing_folder(tmp_path: Path) -> None:
    lower = layer_tar(
        [Member("etc/app/a.conf", b"a"), Member("etc/app/b.conf", b"b"), Member("srv/x/y", b"y")]
    )
    upper = layer_tar(
        [
            Member("etc/app/.wh..wh..opq"),
            Member("etc/app/c.conf", b"c"),
            Member("srv/x", b"now a file"),
        ]
    )
    path = docker_save(tmp_path / "i.tar", [lower, upper])
    tree = ImageTree("i.tar", path, None)
    assert [e.path for e in tree.entries()] == ["etc/app/c.conf", "srv/x"]
    assert tree.read_text("srv/x") == "now a file"


def test_metadata_read_in_the_index_pass_is_what_the_layer_holds(tmp_path: Path) -> None:
    """The index pass keeps dist-info files and dpkg's status as it inflates past them;
    reading them later gives the bytes a span read of the layer gives, and other files are
    still read through the spans."""
    import os

    noise = os.urandom(3 << 20)  # incompressible: the metadata lands in another span
    meta = b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\n"
    layer = layer_tar(
        [
            Member("usr/lib/python3/dist-packages/a-1.0.dist-info/METADATA", meta),
            Member("srv/noise.bin", noise),
            Member("var/lib/dpkg/status", b"Package: a\nStatus: install ok installed\n"),
            Member("srv/app.py", b"print(1)\n"),
            Member("srv/site-packages/x/tests/a.npy", b"\x93NUMPY fixture"),
        ]
    )
    tree = ImageTree("i.tar", docker_save(tmp_path / "i.tar", [layer]), None)
    [reader] = tree._readers
    kept = sorted(reader.kept.values(), key=len)
    assert kept == [b"\x93NUMPY fixture", b"Package: a\nStatus: install ok installed\n", meta]
    with tree.open("srv/site-packages/x/tests/a.npy") as stream:
        assert stream.read() == b"\x93NUMPY fixture"
    assert tree.read_bytes("usr/lib/python3/dist-packages/a-1.0.dist-info/METADATA") == meta
    assert tree.read_bytes("srv/noise.bin") == noise
    assert tree.read_text("srv/app.py") == "print(1)\n"
    for offset, data in reader.kept.items():
        assert reader._gzip_read(offset, len(data)) == data
    from auditor.weights.inspect import WEIGHT_SUFFIXES

    assert set(WEIGHT_SUFFIXES) <= set(layers_module._WEIGHT_FILES)


def test_platform_picks_one_image_of_a_nested_index(
    tmp_path: Path, auditor: Callable[..., Ran]
) -> None:
    amd = layer_tar([Member("etc/os-release", b"ID=debian\nVERSION_ID=12\n")])
    arm = layer_tar([Member("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.3\n")])
    root = oci_layout(tmp_path / "multi", [("linux/amd64", [amd]), ("linux/arm64", [arm])])
    tree = ImageTree("m", root, "linux/arm64")
    assert "alpine" in tree.read_text("etc/os-release")
    assert tree.source.repository == "example/multi" and tree.source.tag == "2.0"
    assert "debian" in ImageTree("m", root, "linux/amd64").read_text("etc/os-release")
    ran = auditor("scan", root, "--platform", "windows/amd64", "--no-resolve", "--no-store")
    assert ran.code == 2
    assert "no image for platform windows/amd64" in ran.stderr
    assert "linux/amd64" in ran.stderr and "linux/arm64" in ran.stderr


def test_hostile_members_are_skipped_with_diagnostics(tmp_path: Path) -> None:
    layer = layer_tar(
        [
            Member("../../escape", b"x"),
            Member("/etc/absolute", b"x"),
            Member("dev/sda", type=tarfile.BLKTYPE),
            Member("dev/tty", type=tarfile.CHRTYPE),
            Member("run/fifo", type=tarfile.FIFOTYPE),
            Member("dup", b"first"),
            Member("dup", b"second"),
            Member("usr/lib/real.so", b"lib"),
            Member("lib", type=tarfile.SYMTYPE, linkname="usr/lib"),
            Member("outside", type=tarfile.SYMTYPE, linkname="../../../../etc/passwd"),
            Member("absolute", type=tarfile.SYMTYPE, linkname="/usr/lib/real.so"),
            Member("loop1", type=tarfile.SYMTYPE, linkname="loop2"),
            Member("loop2", type=tarfile.SYMTYPE, linkname="loop1"),
            Member("hard", type=tarfile.LNKTYPE, linkname="usr/lib/real.so"),
        ]
    )
    work = tmp_path / "work"
    work.mkdir()
    tree = ImageTree("i.tar", docker_save(work / "i.tar", [layer]), None)
    paths = {e.path for e in tree.entries()}
    assert paths == {
        "absolute",
        "dup",
        "hard",
        "lib",
        "loop1",
        "loop2",
        "outside",
        "usr/lib/real.so",
    }
    messages = " | ".join(str(d) for d in tree.diagnostics)
    for expected in ("../../escape: unsafe", "/etc/absolute: unsafe", "block device",
                     "character device", "FIFO", "appears twice"):  # fmt: skip
        assert expected in messages
    assert tree.read_text("dup") == "second"
    assert tree.read_text("absolute") == "lib"  # absolute links resolve inside the image
    assert tree.read_text("hard") == "lib"
    with pytest.raises(ParseError, match="outside: symlink leads to nothing readable"):
        tree.read_bytes("outside")  # `..` stops at the image root; no /etc/passwd there
    with pytest.raises(ParseError, match="loop"):
        tree.read_bytes("loop1")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["i.tar", "work"]  # nothing written


def test_hostile_archive_scan_is_partial(tmp_path: Path, auditor: Callable[..., Ran]) -> None:
    layer = layer_tar([Member("../escape", b"x"), Member("ok", b"y")])
    ran = auditor("scan", docker_save(tmp_path / "i.tar", [layer]), "--no-resolve", "--no-store",
                  "--strict")  # fmt: skip
    assert ran.code == 3
    assert "1 diagnostic" in ran.stdout or "diagnostic" in ran.stdout.lower()


def test_digest_mismatch_is_a_finding(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Any
) -> None:
    good = layer_tar([Member("a", b"original")])
    evil = gzip.compress(layer_tar([Member("a", b"tampered")]))
    path = docker_save(tmp_path / "i.tar", [good], blob_override={0: evil})
    doc = scan_json(auditor, validate, path)
    rules = [f["rule"] for f in doc["findings"]]
    assert rules == ["image.digest-mismatch"]
    assert "blobs/sha256/" in doc["findings"][0]["message"]
    ran = auditor("scan", path, "--no-resolve", "--no-store", "--no-verify", "--format", "json")
    assert json.loads(ran.stdout)["findings"] == []


def test_missing_layer_is_a_named_error(tmp_path: Path, auditor: Callable[..., Ran]) -> None:
    layers = [layer_tar([Member("a", b"1")]), layer_tar([Member("b", b"2")])]
    path = docker_save(tmp_path / "i.tar", layers, drop_layer=1)
    ran = auditor("scan", path, "--no-resolve", "--no-store")
    assert ran.code == 2
    assert (
        f"{path}!blobs/sha256/" in ran.stderr and "layer is missing from the archive" in ran.stderr
    )


def test_truncated_archive_is_a_named_error(tmp_path: Path, auditor: Callable[..., Ran]) -> None:
    path = docker_save(
        tmp_path / "i.tar", [layer_tar([Member("a", b"1" * 50_000)])], compress=False
    )
    data = path.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) - 30_000])
    ran = auditor("scan", f"image:{cut}", "--no-resolve", "--no-store")
    assert ran.code == 2
    assert str(cut) in ran.stderr and "truncated" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_truncated_gzip_layer_is_a_named_error(tmp_path: Path, auditor: Callable[..., Ran]) -> None:
    import os

    content = layer_tar([Member("a", os.urandom(200_000))])
    blob = gzip.compress(content)
    path = docker_save(tmp_path / "i.tar", [content], blob_override={0: blob[: len(blob) // 2]})
    ran = auditor("scan", path, "--no-resolve", "--no-store")
    assert ran.code == 2
    assert "blobs/sha256/" in ran.stderr and "truncated gzip stream" in ran.stderr


def test_a_huge_zero_filled_file_is_read_within_the_budget(
    tmp_path: Path, auditor: Callable[..., Ran]
) -> None:
    """256 MiB of zeros in a ~250 KB layer (over 1000:1) is a real image, not a bomb."""
    path = docker_save(tmp_path / "i.tar", [b"x"], blob_override={0: zeros_layer(256 << 20)})
    ran = auditor("scan", path, "--no-resolve", "--no-store")
    assert ran.code == 0, ran.stderr
    assert "0 diagnostics" in ran.stdout


def test_a_layer_past_the_inflated_budget_is_a_diagnostic_and_the_rest_is_read(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Any
) -> None:
    status = "Package: hello\nStatus: install ok installed\nVersion: 2.10-3\nArchitecture: amd64\n"
    base = layer_tar(
        [Member("etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
         Member("var/lib/dpkg/status", status.encode())]
    )  # fmt: skip
    path = docker_save(tmp_path / "i.tar", [base, b"x"], blob_override={1: zeros_layer(96 << 20)})
    ran = auditor(
        "scan", path, "--no-resolve", "--no-store", "-f", "json", "--max-inflated-bytes", "64MiB"
    )
    assert ran.code == 0, ran.stderr
    doc = validate(ran.stdout)
    assert [c["name"] for c in doc["components"] if c["name"] == "hello"] == ["hello"]
    (diagnostic,) = doc["diagnostics"]
    assert "--max-inflated-bytes" in diagnostic["message"]
    assert diagnostic["location"].endswith(_layer_name(path, 1))


def _layer_name(path: Path, layer: int) -> str:
    with tarfile.open(path) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        (manifest,) = json.loads(member.read())
    return str(manifest["Layers"][layer])


def test_max_inflated_bytes_must_be_a_size(tmp_path: Path, auditor: Callable[..., Ran]) -> None:
    ran = auditor("scan", tmp_path, "--no-store", "--max-inflated-bytes", "lots")
    assert ran.code == 2
    assert "not a size" in ran.stderr


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    files=st.dictionaries(
        st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8}){0,2}", fullmatch=True),
        st.binary(max_size=5000),
        min_size=1,
        max_size=12,
    ),
    compression=st.sampled_from(["none", "gzip", "zstd"]),
)
def test_every_member_reads_back_exactly(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, bytes],
    compression: str,
) -> None:
    """Random access (checkpoints every 1 KiB here) returns each member's exact bytes."""
    import zstandard

    monkeypatch.setattr(layers_module, "SPAN", 1024)
    # A path may not be both a file and a folder: keep the files no other path is under.
    files = {p: d for p, d in files.items() if not any(q.startswith(p + "/") for q in files)}
    content = layer_tar([Member(p, d) for p, d in sorted(files.items())])
    blob = {
        "none": content,
        "gzip": gzip.compress(content),
        "zstd": zstandard.ZstdCompressor().compress(content),
    }[compression]
    work = tmp_path_factory.mktemp("prop")
    path = docker_save(work / "i.tar", [content], blob_override={0: blob})
    tree = ImageTree("i.tar", path, None, verify=False)
    assert {e.path for e in tree.entries()} == set(files)
    for name, data in sorted(files.items(), reverse=True):  # backwards: checkpoints resume
        assert tree.read_bytes(name) == data
        with tree.open(name) as fh:
            assert fh.read() == data


def test_named_non_image_tar_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "plain.tar"
    with tarfile.open(path, "w") as tar:
        tar.add(__file__, "x.py")
    with pytest.raises(TargetError, match="neither a docker-save archive"):
        ImageTree("plain.tar", path, None)


def test_sha_helper_matches_layout_names() -> None:
    assert sha(b"") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_legacy_docker_save_with_linked_layer(tmp_path: Path) -> None:
    """`<id>/layer.tar` names (one a symlink to another's copy), `<id>.json` config."""
    import io

    layer = layer_tar([Member("etc/os-release", b"ID=debian\n")])
    config = json.dumps(
        {"os": "linux", "architecture": "amd64", "rootfs": {"diff_ids": [sha(layer)] * 2}}
    ).encode()
    manifest = [
        {
            "Config": f"{sha(config)[7:]}.json",
            "RepoTags": ["legacy:1"],
            "Layers": ["aaa/layer.tar", "bbb/layer.tar"],
        }
    ]
    path = tmp_path / "legacy.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            (f"{sha(config)[7:]}.json", config),
            ("aaa/layer.tar", layer),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("bbb/layer.tar")
        link.type, link.linkname = tarfile.SYMTYPE, "../aaa/layer.tar"
        tar.addfile(link)
    tree = ImageTree("legacy.tar", path, None)
    assert tree.read_text("etc/os-release") == "ID=debian\n"
    assert not tree.findings  # both layers verified against their diff_ids
    assert tree.layer_digests == [sha(layer), sha(layer)]
    assert tree.purl == f"pkg:oci/legacy@{sha(config)}?arch=amd64&repository_url=legacy&tag=1"


def test_compressed_outer_archive_says_to_decompress(
    tmp_path: Path, auditor: Callable[..., Ran]
) -> None:
    plain = docker_save(tmp_path / "i.tar", [layer_tar([Member("a", b"1")])])
    packed = tmp_path / "i.tar.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    ran = auditor("scan", f"image:{packed}", "--no-resolve", "--no-store")
    assert ran.code == 2
    assert f"{packed}: a compressed archive" in ran.stderr and "gunzip" in ran.stderr


def test_dpkg_packages_take_the_layer_that_installed_them(
    tmp_path: Path, auditor: Callable[..., Ran], validate: Any
) -> None:
    first = "Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n"
    second = first + "\nPackage: b\nStatus: install ok installed\nVersion: 2\nArchitecture: all\n"
    lower = layer_tar(
        [
            Member("etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
            Member("var/lib/dpkg/status", first.encode()),
            Member("var/lib/dpkg/info/a.list", b"/a\n"),
        ]
    )
    upper = layer_tar(
        [
            Member("var/lib/dpkg/status", second.encode()),
            Member("var/lib/dpkg/info/b.list", b"/b\n"),
        ]
    )
    path = docker_save(tmp_path / "i.tar", [lower, upper])
    with tarfile.open(path) as tar:
        names = json.load(tar.extractfile("manifest.json"))[0]["Layers"]  # type: ignore[arg-type]
    digests = ["sha256:" + name.rpartition("/")[2] for name in names]
    doc = scan_json(auditor, validate, path)
    layers = {c["name"]: c["locations"][0]["layer"] for c in doc["components"]}
    assert layers["a"] == digests[0]
    assert layers["b"] == digests[1]
    history = {
        c["name"]: [e["value"] for e in c["origin"]["evidence"] if e["field"] == "layer.created_by"]
        for c in doc["components"]
    }
    assert history["a"] == ["RUN step 0"] and history["b"] == ["RUN step 1"]
    image = next(c for c in doc["components"] if c["purl"].startswith("pkg:oci/"))
    env = {e["field"]: e["value"] for e in image["origin"]["evidence"]}
    assert env["env.PATH"] == "/usr/bin"
    assert env["env.API_TOKEN"] == "REDACTED"  # secret-looking values never reach reports
    assert "hunter2" not in json.dumps(doc)


JSONS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(
    manifest=JSONS
    | st.fixed_dictionaries(
        {"Config": st.text(max_size=80), "Layers": st.lists(st.text(max_size=80), max_size=3)}
    ).map(lambda d: [d]),
    index=JSONS,
)
def test_malformed_manifests_and_indexes_are_target_errors(
    tmp_path_factory: pytest.TempPathFactory, manifest: Any, index: Any
) -> None:
    """Whatever manifest.json or index.json holds, the image opens or a TargetError says why."""
    import io

    work = tmp_path_factory.mktemp("fuzz")
    for name, doc in (("manifest.json", manifest), ("index.json", index)):
        path = work / f"{name}.tar"
        with tarfile.open(path, "w") as tar:
            for member, data in ((name, json.dumps(doc).encode()), ("oci-layout", b"{}")):
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        try:
            ImageTree("x", path, None)
        except TargetError as exc:
            assert exc.message.startswith("x")
