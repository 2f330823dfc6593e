"""auditwheel's verdict on the wheel, and what the installed binary links (make test-wheel)."""
import os
import re
import subprocess

# What a manylinux binary may link: glibc's own libraries (the Swift runtime, libstdc++,
# libgcc's unwinder, libarchive, zlib and the compressors are linked statically).
GLIBC_LIBRARIES = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
                   "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


def newest_glibc(binary):
    dump = subprocess.run(["objdump", "-T", binary], capture_output=True, text=True, check=True).stdout
    versions = {tuple(int(n) for n in found.split(".")) for found in re.findall(r"\bGLIBC_([0-9]+\.[0-9]+(?:\.[0-9]+)?)", dump)}
    return max(versions)


def test_auditwheel_show_reports_the_manylinux_tag_of_the_file_name(wheel, installed):
    shown = subprocess.run(["auditwheel", "show", wheel], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    tag = re.search(r'is consistent with the following platform tag: "(manylinux_(\d+)_(\d+)_(\w+))"', text)
    assert tag, text
    assert wheel.endswith("-py3-none-%s.whl" % tag.group(1)), (wheel, tag.group(1))
    # The tag is the one the binary's newest glibc symbol version calls for, no lower.
    binary = os.path.join(installed, "bin", "brine")
    assert (int(tag.group(2)), int(tag.group(3))) == newest_glibc(binary)[:2], text
    # No system library besides glibc's is referenced, and nothing had to be grafted in.
    references = re.search(r"system-provided shared libraries: (.*?)\. This constrains", text)
    if references:
        libraries = set(re.findall(r"(\S+\.so[.\d]*) with versions", references.group(1)))
        assert libraries <= GLIBC_LIBRARIES, libraries
    assert "depends on" not in text or "should be grafted" not in text, text


def test_the_installed_binary_needs_only_glibc(installed):
    binary = os.path.join(installed, "bin", "brine")
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic))
    assert needed and needed <= GLIBC_LIBRARIES, needed
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    linked = {line.split()[0] for line in ldd.splitlines() if line.strip() and not line.strip().startswith("linux-vdso")}
    assert {os.path.basename(name) for name in linked} <= GLIBC_LIBRARIES, ldd
