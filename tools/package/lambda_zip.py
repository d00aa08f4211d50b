#!/usr/bin/env python3
"""Pack the nw-lambda deployment zip: bootstrap at the root, lib/ with every shared library
ldd resolves for it and the glibc loader it names as its interpreter
(/var/task/lib/ld-linux-x86-64.so.2). The zip is reproducible: entries sorted, one fixed
timestamp (SOURCE_DATE_EPOCH, default 2020-01-01), fixed modes.

usage: lambda_zip.py BOOTSTRAP OUT.zip
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

LOADER = "ld-linux-x86-64.so.2"


def libraries(binary):
    """(soname, path) of every library ldd resolves, and the loader's path."""
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    libs, loader = [], None
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"^(\S+) => (\S+) \(0x[0-9a-f]+\)$", line)
        if m:
            libs.append((m.group(1), m.group(2)))
            continue
        if "not found" in line:
            sys.exit(f"lambda_zip: ldd cannot resolve: {line}")
        m = re.match(r"^(/\S*ld-linux\S*) \(0x[0-9a-f]+\)$", line)
        if m:
            loader = m.group(1)
    if loader is None:  # our interpreter path does not exist here: take the system's
        for cand in ("/lib64/" + LOADER, "/lib/x86_64-linux-gnu/" + LOADER):
            if os.path.exists(cand):
                loader = cand
    if loader is None:
        sys.exit("lambda_zip: no glibc loader found")
    return libs, loader


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: lambda_zip.py BOOTSTRAP OUT.zip")
    binary, out = sys.argv[1], sys.argv[2]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "1577836800"))
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    libs, loader = libraries(binary)
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "bootstrap")
        shutil.copyfile(binary, stripped)
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-unneeded", stripped], check=True)
        entries = [("bootstrap", stripped, 0o755), ("lib/" + LOADER, loader, 0o755)]
        entries += [("lib/" + name, path, 0o644) for name, path in libs if LOADER not in name]
        entries.sort()
        part = out + ".part"
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for name, path, mode in entries:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.external_attr = (0o100000 | mode) << 16
                info.create_system = 3  # unix: Lambda honours the mode bits
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(os.path.realpath(path), "rb") as f:
                    z.writestr(info, f.read())
        os.replace(part, out)
    print(f"lambda_zip: {out}: {len(entries)} files, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
