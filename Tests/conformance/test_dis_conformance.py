"""Conformance: `brine dis` must match CPython's `python -m pickletools`.

Run with the fixture venv (see fixtures/README.md):

    VENV="$(fixtures/venv.sh)"
    BRINE_BIN=/path/to/brine "$VENV/bin/python" -m pytest Tests/conformance

BRINE_BIN (path of the built brine binary) is required: every test fails
if it is unset.
"""

import io
import os
import pickletools
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PICKLE_DIR = ROOT / "fixtures" / "pickle"
FILES = sorted(PICKLE_DIR.glob("*.pkl"))
IDS = [f.name for f in FILES]
# Every offset of every fixture is cut in process by the Swift suite
# (DisassemblerTests); here a sample goes through the real binary and its exit code.
MAX_TRUNCATIONS = 24
TIMEOUT = 60


def test_fixtures_present():
    assert FILES, ("no fixtures in %s; run fixtures/generate.py" % PICKLE_DIR)


def pickle_ends(data):
    """Offsets just past the STOP of each complete pickle in data."""
    f = io.BytesIO(data)
    ends = []
    while f.tell() < len(data):
        for _ in pickletools.genops(f):
            pass
        ends.append(f.tell())
    return ends


def run_pickletools(path, annotate):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    args = [sys.executable, "-m", "pickletools"]
    if annotate:
        args.append("-a")
    r = subprocess.run(args + [str(path)], capture_output=True, env=env,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def run_brine(brine, path, annotate=False):
    args = [brine, "dis"]
    if annotate:
        args.append("--annotate")
    return subprocess.run(args + [str(path)], capture_output=True,
                          timeout=TIMEOUT)


def first_diff(a, b):
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return "line %d:\n  pickletools: %r\n  brine:       %r" % (i + 1, x, y)
    return "line %d: one output ends early (%d vs %d lines)" % (
        min(len(la), len(lb)) + 1, len(la), len(lb))


def check_dis(brine, path, annotate):
    expected = run_pickletools(path, annotate)
    r = run_brine(brine, path, annotate)
    assert r.returncode == 0, (r.returncode, r.stderr.decode(errors="replace"))
    several = len(pickle_ends(path.read_bytes())) > 1
    if several:
        # pickletools shows only the first pickle of the file
        ok = r.stdout.startswith(expected)
    else:
        ok = r.stdout == expected
    assert ok, first_diff(expected, r.stdout)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_dis_matches_pickletools(brine, path):
    check_dis(brine, path, annotate=False)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_dis_annotate_matches_pickletools(brine, path):
    check_dis(brine, path, annotate=True)


def assert_one_error_line(r, what):
    assert r.returncode == 2, "%s: exit %d, stderr %r" % (
        what, r.returncode, r.stderr)
    err = r.stderr
    assert err.startswith(b"brine: "), "%s: stderr %r" % (what, err)
    assert err.endswith(b"\n") and err.count(b"\n") == 1, (
        "%s: expected exactly one stderr line, got %r" % (what, err))


def truncation_offsets(data):
    n = len(data)
    if n <= MAX_TRUNCATIONS:
        offsets = set(range(n))
    else:
        offsets = {round(i * (n - 1) / (MAX_TRUNCATIONS - 1))
                   for i in range(MAX_TRUNCATIONS)}
    # A cut exactly after a complete pickle leaves a valid file.
    return sorted(offsets - set(pickle_ends(data)))


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_truncated_fixture_fails_cleanly(brine, path, tmp_path):
    data = path.read_bytes()
    for off in truncation_offsets(data):
        cut = tmp_path / ("%s.cut%d" % (path.name, off))
        cut.write_bytes(data[:off])
        assert_one_error_line(run_brine(brine, cut),
                              "%s truncated at %d/%d" % (path.name, off,
                                                         len(data)))
        cut.unlink()


def _random_bytes():
    data = random.Random(1234).randbytes(256)
    with pytest.raises(Exception):       # make sure it is really not a pickle
        pickletools.dis(io.BytesIO(data), out=io.StringIO())
    return data


NON_PICKLES = {
    "empty": lambda: b"",
    "random_bytes": _random_bytes,
    "text": lambda: b"hello, world\nthis is not a pickle\n",
    "ff_bytes": lambda: b"\xff" * 16,
}


@pytest.mark.parametrize("kind", sorted(NON_PICKLES))
def test_non_pickle_fails_cleanly(brine, kind, tmp_path):
    path = tmp_path / ("not_a_pickle_%s.bin" % kind)
    path.write_bytes(NON_PICKLES[kind]())
    assert_one_error_line(run_brine(brine, path), kind)
