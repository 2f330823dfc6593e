"""The wheel's binary under an older glibc than the one it was linked on (make test-wheel):
Debian 11's glibc 2.31 (make old-glibc), loaded by its own ld.so. 2.31 predates every
interface packaging/glibc-compat stands in for (docs/packaging.md, "glibc 2.28")."""
import glob
import os
import re
import subprocess

import pytest

from test_wheel import COMPARED_RUNS, run


@pytest.fixture(scope="module")
def old_glibc():
    root = os.environ.get("BRINE_OLD_GLIBC")
    if not root:
        pytest.fail("BRINE_OLD_GLIBC is unset: run make test-wheel (make old-glibc unpacks it)", pytrace=False)
    loaders = glob.glob(os.path.join(root, "lib", "*-linux-gnu", "ld-linux-*.so.*"))
    assert len(loaders) == 1, loaders
    return loaders[0]


def under(loader, argv):
    """argv[0] run by the old glibc's loader, with only the old glibc's libraries."""
    return [loader, "--library-path", os.path.dirname(loader), *argv]


def test_the_old_glibc_is_older_than_the_versions_the_link_avoids(old_glibc):
    libc = os.path.join(os.path.dirname(old_glibc), "libc.so.6")
    banner = subprocess.run(under(old_glibc, [libc]), capture_output=True, text=True).stdout
    version = tuple(int(n) for n in re.search(r"release version (\d+)\.(\d+)", banner).groups())
    assert version < (2, 32), banner  # before __libc_single_threaded, stat, the libpthread merge
    defined = subprocess.run(["objdump", "-T", libc], capture_output=True, text=True, check=True).stdout
    newest = max(tuple(int(n) for n in found) for found in re.findall(r"\bGLIBC_(\d+)\.(\d+)", defined))
    assert newest < (2, 32), newest


def test_installed_binary_runs_like_the_source_build_under_the_old_glibc(old_glibc, installed, release_bin, tmp_path):
    binary = os.path.join(installed, "bin", "brine")
    version = run(under(old_glibc, [binary, "--version"]))
    assert version.returncode == 0, version.stderr
    assert version.stdout == run([release_bin, "--version"]).stdout
    # A brine.toml that toml++ rejects: a C++ exception unwinds through libgcc's unwinder,
    # which finds its tables through _dl_find_object (glibc 2.35) in the build's libgcc.
    broken = tmp_path / "brine.toml"
    broken.write_text('[budget]\nlimit = \n')
    runs = [*COMPARED_RUNS, ["budget", "--config", str(broken), os.path.dirname(COMPARED_RUNS[0][1])]]
    for args in runs:
        expected = run([release_bin, *args])
        got = run(under(old_glibc, [binary, *args]))
        assert (got.returncode, got.stdout, got.stderr) == (expected.returncode, expected.stdout, expected.stderr), args
    assert expected.returncode == 2 and b"brine.toml" in expected.stderr, expected
