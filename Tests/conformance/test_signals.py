"""A process that is interrupted, or whose input shrinks under it, leaves nothing behind.

Large uncompressed inputs are read through mapped windows; a file truncated by another
process while mapped raises SIGBUS, which brine turns into a one-line error (file and byte
offset) with exit code 2. Ctrl-C / SIGTERM remove the temporary output before the process
ends. The processes are stopped with SIGSTOP at a point where they are still reading, so the
outcome does not depend on timing.
"""
import os
import signal
import subprocess
import time

import pytest

ITEM = b"\x8c\x05hello\x94"  # SHORT_BINUNICODE 'hello', MEMOIZE


def big_pickle(path, batches=30_000):
    """{'kept': ['hello', ...], 'dropped': 1} under protocol 4, appended in batches of 1,000
    as pickle writes lists: ~240 MB, written in a second."""
    body = (b"\x80\x04}\x94(\x8c\x04kept\x94]\x94" + (b"(" + ITEM * 1000 + b"e") * batches
            + b"\x8c\x07dropped\x94K\x01u.")
    path.write_bytes(body)
    return path


def maps(process, path):
    """Whether `process` has a window of `path` mapped (Linux /proc): the point at which a
    truncation is one "while mapped", whatever the machine's load."""
    try:
        with open(f"/proc/{process.pid}/maps") as f:
            return str(path) in f.read()
    except OSError:
        return False


def run_stopped(cmd, until=lambda process: True, after=0.05):
    """Starts `cmd`, waits `after` seconds and then until `until(process)` holds, stops it."""
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(after)
    deadline = time.monotonic() + 60
    while not until(process) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGSTOP)
    if process.poll() is not None:
        pytest.fail("brine finished before it could be stopped: the input is too small for this machine")
    return process


def test_an_input_truncated_while_mapped_is_a_one_line_error(brine, tmp_path):
    source = big_pickle(tmp_path / "big.pkl")
    process = run_stopped([brine, "inspect", str(source)], until=lambda p: maps(p, source))
    os.truncate(source, 4096)
    process.send_signal(signal.SIGCONT)
    _, stderr = process.communicate(timeout=60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2, stderr
    assert len(lines) == 1, stderr
    assert str(source) in lines[0] and "offset " in lines[0] and "shrank while it was being read" in lines[0]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_strip_leaves_no_temporary_file(brine, tmp_path, sig):
    source = big_pickle(tmp_path / "big.pkl")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # Stopped once the temporary output exists: mid-write.
    process = run_stopped([brine, "strip", "--remove", "['dropped']", str(source), "-o", str(out_dir / "small.pkl")],
                          until=lambda _: any(out_dir.iterdir()))
    assert any(p.name.startswith(".small.pkl.brine-tmp-") for p in out_dir.iterdir())
    process.send_signal(sig)
    process.send_signal(signal.SIGCONT)
    process.communicate(timeout=60)
    assert process.returncode == -sig, "the process ends as the signal would have"
    assert list(out_dir.iterdir()) == [], "no output and no temporary file"
    assert source.stat().st_size > 200_000_000, "the input is untouched"
