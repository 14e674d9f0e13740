"""OS packages: the host's real dpkg status, distroless status.d, an apk db, and an rpmdb
written by Debian's rpm; hostile databases become diagnostics."""

from __future__ import annotations

import contextlib
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.collectors import CollectContext
from auditor.collectors.os_packages import OsPackagesCollector, parse_os_release, stanzas
from auditor.collectors.rpmdb import parse_header
from auditor.errors import ParseError
from auditor.sources.directory import DirectoryTree
from tests.conftest import DATA, write_files

HOST_STATUS = Path("/var/lib/dpkg/status")


def collect(root: Path):  # type: ignore[no-untyped-def]
    return OsPackagesCollector().collect(DirectoryTree(str(root), root), CollectContext())


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian host")
def test_host_dpkg_status_matches_dpkg_query(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    write_files(root, {"etc/os-release": 'ID=debian\nVERSION_ID="12"\n'})
    (root / "var/lib/dpkg").mkdir(parents=True)
    shutil.copy(HOST_STATUS, root / "var/lib/dpkg/status")
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Version} ${Architecture}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = {
        tuple(line.split()[1:]) for line in listed.splitlines() if line.split()[0] == "installed"
    }
    found = collect(root)
    assert not found.diagnostics
    got = {(c.name, c.version, c.purl.split("arch=")[1].split("&")[0]) for c in found.components}
    assert got == expected
    assert all(
        "distro=debian-12" in c.purl and c.purl.startswith("pkg:deb/debian/")
        for c in found.components
    )


def test_distroless_status_d(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "etc/os-release": 'ID="debian"\nVERSION_ID="12"\n',
            "var/lib/dpkg/status.d/base-files": (
                "Package: base-files\nVersion: 12.4+deb12u7\nArchitecture: amd64\n"
                "Maintainer: Santiago Vila <sanvila@example.invalid>\n"
            ),
            "var/lib/dpkg/status.d/base-files.md5sums": "d41d8cd98f00b204e9800998ecf8427e  x\n",
            "var/lib/dpkg/status.d/tzdata": (
                "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"
            ),
        },
    )
    found = collect(tmp_path)
    assert sorted(c.purl for c in found.components) == [
        "pkg:deb/debian/base-files@12.4%2Bdeb12u7?arch=amd64&distro=debian-12",
        "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
    ]
    base = next(c for c in found.components if c.name == "base-files")
    assert [(e.field, e.strength.value) for e in base.evidence] == [("Maintainer", "declared")]


def test_apk_installed_db(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "etc/os-release": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n',
            "lib/apk/db/installed": (DATA / "os_packages" / "installed").read_text(),
        },
    )
    found = collect(tmp_path)
    by_name = {c.name: c for c in found.components}
    assert by_name["musl"].purl == "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3"
    assert by_name["busybox"].license == "GPL-2.0-only"
    assert by_name["busybox"].locations[0].line == 23
    fields = {e.field: e.value for e in by_name["musl"].evidence}
    assert fields["Origin"] == "musl" and fields["Maintainer"].startswith("Timo")


def _rpm(work: Path, name: str, version: str, release: str, epoch: str | None) -> Path:
    spec = work / f"{name}.spec"
    spec.write_text(
        f"Name: {name}\nVersion: {version}\nRelease: {release}\n"
        + (f"Epoch: {epoch}\n" if epoch else "")
        + "Summary: test\nLicense: MIT\nVendor: Example Vendor\n"
        "Packager: Jane Doe <jane@example.invalid>\nURL: https://example.invalid/x\n"
        "BuildArch: noarch\n%description\ntest\n%files\n"
    )
    subprocess.run(
        ["rpmbuild", "--define", f"_topdir {work}", "-bb", str(spec)],
        capture_output=True,
        check=True,
    )
    return next((work / "RPMS" / "noarch").glob(f"{name}-*.rpm"))


def test_rpm_sqlite_database_written_by_rpm(tmp_path: Path, image_tools: None) -> None:
    root = tmp_path / "rootfs"
    dbpath = root / "var/lib/rpm"
    dbpath.mkdir(parents=True)
    write_files(root, {"etc/os-release": 'ID="fedora"\nVERSION_ID=39\n'})
    packages = [
        _rpm(tmp_path, "hello-auditor", "1.2", "3.fc39", "2"),
        _rpm(tmp_path, "other-tool", "0.9", "1.fc39", None),
    ]
    subprocess.run(["rpm", "--dbpath", str(dbpath), "--initdb"], check=True)
    subprocess.run(
        ["rpm", "--dbpath", str(dbpath), "-i", "--justdb", "--nodeps", "--ignoreos",
         *map(str, packages)],
        capture_output=True,
        check=True,
    )  # fmt: skip
    assert (dbpath / "rpmdb.sqlite").is_file()
    found = collect(root)
    assert not found.diagnostics
    assert sorted(c.purl for c in found.components) == [
        "pkg:rpm/fedora/hello-auditor@1.2-3.fc39?arch=noarch&distro=fedora-39&epoch=2",
        "pkg:rpm/fedora/other-tool@0.9-1.fc39?arch=noarch&distro=fedora-39",
    ]
    hello = next(c for c in found.components if c.name == "hello-auditor")
    fields = {e.field: e.value for e in hello.evidence}
    assert fields["Vendor"] == "Example Vendor"
    assert fields["Packager"] == "Jane Doe <jane@example.invalid>"
    assert hello.license == "MIT"


def test_bdb_and_ndb_rpmdbs_are_reported_unsupported(tmp_path: Path) -> None:
    write_files(tmp_path, {"var/lib/rpm/Packages": b"\0" * 64, "sub/var/lib/rpm/Packages.db": b"x"})
    found = collect(tmp_path)
    assert not found.components
    messages = sorted(str(d) for d in found.diagnostics)
    assert "Berkeley DB format is not supported" in messages[1]
    assert "NDB format is not supported" in messages[0]


def test_garbage_rpmdb_and_status_are_diagnostics(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "var/lib/rpm/rpmdb.sqlite": b"not sqlite at all" * 10,
            "var/lib/dpkg/status": b"\xff\xfe not utf-8",
        },
    )
    found = collect(tmp_path)
    assert not found.components
    text = " | ".join(str(d) for d in found.diagnostics)
    assert "rpmdb.sqlite: not a readable rpm sqlite database" in text
    assert "var/lib/dpkg/status: not UTF-8" in text


def test_no_os_release_gives_no_namespace(tmp_path: Path) -> None:
    write_files(tmp_path, {"var/lib/dpkg/status": "Package: a\nVersion: 1\nArchitecture: all\n"})
    assert [c.purl for c in collect(tmp_path).components] == ["pkg:deb/a@1?arch=all"]


def test_os_release_quoting() -> None:
    values = parse_os_release('# c\nNAME="Debian \\"GNU\\""\nID=debian\nVERSION_ID=\'12\'\nbad\n')
    assert values == {"NAME": 'Debian "GNU"', "ID": "debian", "VERSION_ID": "12"}


@given(st.text(max_size=400))
def test_stanzas_never_raise(text: str) -> None:
    for line, fields in stanzas(text):
        assert line >= 1 and fields


@given(st.binary(max_size=300))
def test_rpm_header_parser_raises_only_parse_errors(blob: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_header(blob, "x")


@given(st.lists(st.tuples(st.sampled_from([1000, 1001, 1003, 5]), st.integers(0, 9),
                          st.integers(-4, 40), st.integers(-1, 3)), min_size=1, max_size=6),
       st.binary(max_size=40))  # fmt: skip
def test_rpm_header_offsets_are_checked(
    entries: list[tuple[int, int, int, int]], data: bytes
) -> None:
    blob = struct.pack(">ii", len(entries), len(data))
    blob += b"".join(struct.pack(">iiii", *e) for e in entries) + data
    try:
        tags = parse_header(blob, "x")
    except ParseError:
        return
    assert set(tags) <= {"Name", "Version", "Epoch"}


@given(st.text(max_size=300))
def test_os_release_parser_never_raises(text: str) -> None:
    assert all(isinstance(v, str) for v in parse_os_release(text).values())
