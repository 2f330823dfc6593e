"""auditwheel's verdict on the wheel, and what the installed binary links (make test-wheel)."""
import os
import re
import subprocess

# What a manylinux binary may link: glibc's own libraries (the Swift runtime, libstdc++,
# libgcc's unwinder, libarchive, zlib and the compressors are linked statically).
GLIBC_LIBRARIES = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
                   "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


# The manylinux floor the release link targets (Makefile GLIBC_MAX, docs/packaging.md).
GLIBC_FLOOR = (2, 28)


def glibc_versions(binary):
    """symbol -> its GLIBC_ version, for every versioned symbol the binary imports."""
    dump = subprocess.run(["objdump", "-T", binary], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in dump.splitlines():
        fields = line.split()
        version = re.fullmatch(r"\(?GLIBC_([0-9.]+)\)?", fields[-2]) if len(fields) > 3 else None
        if version and "*UND*" in fields:
            found[fields[-1]] = tuple(int(n) for n in version.group(1).split("."))
    assert found, dump
    return found


def test_auditwheel_show_reports_manylinux_2_28_or_older(wheel, installed):
    shown = subprocess.run(["auditwheel", "show", wheel], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    tag = re.search(r'is consistent with the following platform tag: "(manylinux_(\d+)_(\d+)_(\w+))"', text)
    assert tag, text
    shown_glibc = (int(tag.group(2)), int(tag.group(3)))
    assert shown_glibc <= GLIBC_FLOOR, text
    # make wheel asks auditwheel for manylinux_2_28 (the floor); auditwheel adds the older tag
    # it found the binary meets (a compressed tag set: manylinux_2_27_x86_64.manylinux_2_28_x86_64).
    platforms = re.search(r"-py3-none-([^-]+)\.whl$", wheel).group(1).split(".")
    named = [re.fullmatch(r"manylinux_(\d+)_(\d+)_%s" % tag.group(4), platform) for platform in platforms]
    assert all(named), (wheel, text)
    named_glibc = {(int(found.group(1)), int(found.group(2))) for found in named}
    assert GLIBC_FLOOR in named_glibc and shown_glibc in named_glibc and max(named_glibc) == GLIBC_FLOOR, (wheel, text)
    # The tag is the one the binary's newest glibc symbol version calls for, or the policy just
    # above it (manylinux policies exist for some glibc versions only).
    binary = os.path.join(installed, "bin", "brine")
    assert max(glibc_versions(binary).values())[:2] <= shown_glibc, text
    # No system library besides glibc's is referenced, and nothing had to be grafted in.
    references = re.search(r"system-provided shared libraries: (.*?)\. This constrains", text)
    if references:
        libraries = set(re.findall(r"(\S+\.so[.\d]*) with versions", references.group(1)))
        assert libraries <= GLIBC_LIBRARIES, libraries
    assert "depends on" not in text or "should be grafted" not in text, text


def test_no_versioned_symbol_is_newer_than_glibc_2_28(installed):
    binary = os.path.join(installed, "bin", "brine")
    versions = glibc_versions(binary)
    newer = {symbol: version for symbol, version in versions.items() if version[:2] > GLIBC_FLOOR}
    assert not newer, newer
    # The symbols the link rebinds (packaging/glibc-compat) are there under their old versions:
    # pthread_create was GLIBC_2.34 and __libc_start_main GLIBC_2.34 before it.
    assert versions["pthread_create"] <= GLIBC_FLOOR and versions["__libc_start_main"] <= GLIBC_FLOOR
    # Every version requirement names a glibc library and a GLIBC_ version (no GLIBCXX_, no
    # other library's versions).
    needs = subprocess.run(["readelf", "-V", binary], capture_output=True, text=True, check=True).stdout
    section = needs[needs.index(".gnu.version_r"):]
    files = set(re.findall(r"File: (\S+)", section))
    names = set(re.findall(r"Name: (\S+)", section))
    assert files and files <= GLIBC_LIBRARIES, files
    assert names and all(re.fullmatch(r"GLIBC_[0-9.]+", name) for name in names), names


def test_libpthread_and_libdl_stay_needed(installed):
    # Before glibc 2.34 the old versions of pthread_create, dlopen & co. are in these two.
    binary = os.path.join(installed, "bin", "brine")
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic))
    assert {"libpthread.so.0", "libdl.so.2"} <= needed, needed


def test_the_installed_binary_needs_only_glibc(installed):
    binary = os.path.join(installed, "bin", "brine")
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic))
    assert needed and needed <= GLIBC_LIBRARIES, needed
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    linked = {line.split()[0] for line in ldd.splitlines() if line.strip() and not line.strip().startswith("linux-vdso")}
    assert {os.path.basename(name) for name in linked} <= GLIBC_LIBRARIES, ldd
