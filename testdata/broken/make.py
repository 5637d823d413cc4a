#!/usr/bin/env python3
"""Regenerates the broken chart archives in this directory.

Every archive is written deterministically (fixed mtimes, gzip mtime 0), so running this
script again gives identical files. The directory fixtures next to them (bad-chart-yaml/,
bad-values/, ...) are plain files and are edited by hand.

Usage: python3 testdata/broken/make.py
"""

import gzip
import io
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
MTIME = 1600000000
CHART_YAML = b"apiVersion: v2\nname: evil\nversion: 0.1.0\n"


def tar_bytes(entries, fmt=tarfile.USTAR_FORMAT):
    """entries: (name, data | None, kind, linkname); kind is 'file', 'dir', 'sym' or 'link'."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data, kind, link in entries:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            info.mode = 0o644
            if kind == "file":
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            elif kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tf.addfile(info)
            else:
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = link
                tf.addfile(info)
    return buf.getvalue()


def write_tgz(name, entries, level=9):
    data = gzip.compress(tar_bytes(entries), compresslevel=level, mtime=0)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    return data


def f(name, data):
    return (name, data, "file", None)


def main():
    ok = [f("evil/Chart.yaml", CHART_YAML)]
    # An entry that climbs out of the chart directory.
    write_tgz("path-escape.tgz", ok + [f("evil/../../evil.txt", b"pwned\n")])
    # An entry with an absolute path.
    write_tgz("absolute-path.tgz", ok + [f("/etc/evil.txt", b"pwned\n")])
    # A symlink entry pointing outside the chart, and a hard link.
    write_tgz("symlink.tgz", ok + [("evil/templates/passwd.yaml", None, "sym", "/etc/passwd")])
    write_tgz("hardlink.tgz", ok + [("evil/values.yaml", None, "link", "/etc/shadow")])
    # Two top-level directories.
    write_tgz("two-top-dirs.tgz", ok + [f("other/values.yaml", b"a: 1\n")])
    # Chart.yaml at the top level (no chart directory).
    write_tgz("no-chart-dir.tgz", [f("Chart.yaml", CHART_YAML)])
    # A small gzip bomb: 2 MiB of zeros in one file (tests lower the limit below that).
    write_tgz("bomb-small.tgz", ok + [f("evil/zeros.bin", bytes(2 * 1024 * 1024))])
    # Over Helm's default total limit (100 MiB): 21 files of 5 MiB, each within the
    # default per-file limit. About 100 KiB compressed.
    five = bytes(5 * 1024 * 1024)
    write_tgz("bomb-default.tgz", ok + [f("evil/zeros-%02d.bin" % i, five) for i in range(21)])
    # One file over Helm's default per-file limit (5 MiB).
    write_tgz("file-too-large.tgz", ok + [f("evil/big.bin", bytes(5 * 1024 * 1024 + 1))])
    # Not gzip at all.
    with open(os.path.join(HERE, "not-gzip.tgz"), "wb") as out:
        out.write(b"apiVersion: v2\nname: not-an-archive\n")
    # A valid archive cut in half.
    whole = gzip.compress(
        tar_bytes(ok + [f("evil/values.yaml", bytes(range(256)) * 64)]),
        compresslevel=9,
        mtime=0,
    )
    with open(os.path.join(HERE, "truncated.tgz"), "wb") as out:
        out.write(whole[: len(whole) // 2])
    # Bad YAML inside an archive: the error names archive, entry, line and column.
    write_tgz(
        "bad-values.tgz",
        ok + [f("evil/values.yaml", b"replicas: 1\nimage: [unclosed\n")],
    )


if __name__ == "__main__":
    main()
