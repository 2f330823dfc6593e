"""`-` reads standard input: through a real pipe, for every pickle protocol, with the spool
file removed on exit and when the process is interrupted while it is still reading."""
import io
import os
import pickle
import pickletools
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "fixtures" / "models" / "pipeline_tfidf_lr.pkl"
DOCS = ["the cat sat on the mat", "stocks fell sharply today", "a new vaccine trial", ""]


def spool_dir(tmp_path):
    directory = tmp_path / "tmp"
    directory.mkdir()
    return directory, dict(os.environ, TMPDIR=str(directory))


@pytest.mark.parametrize("protocol", range(6))
def test_dis_of_a_pipe_is_pickletools_output(brine, tmp_path, protocol):
    value = {"name": "model", "weights": [1.5, -2.0, 3], "nested": ({"a": None}, b"\x00\x01"), "flag": True}
    data = pickle.dumps(value, protocol=protocol)
    out = io.StringIO()
    pickletools.dis(data, out)
    directory, env = spool_dir(tmp_path)
    result = subprocess.run([brine, "dis", "-"], input=data, capture_output=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == out.getvalue()
    assert list(directory.iterdir()) == [], "the spool file outlived the process"


def test_strip_from_a_pipe_to_a_pipe_still_predicts_the_same(brine, tmp_path):
    directory, env = spool_dir(tmp_path)
    result = subprocess.run([brine, "strip", "-", "--preset", "deploy", "-o", "-"], input=PIPELINE.read_bytes(),
                            capture_output=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert b"<stdin>" in result.stderr and b"<stdout>" in result.stderr
    original = pickle.loads(PIPELINE.read_bytes())
    stripped = pickle.loads(result.stdout)
    assert not hasattr(stripped.steps[0][1], "stop_words_")
    np.testing.assert_array_equal(original.predict(DOCS), stripped.predict(DOCS))
    np.testing.assert_array_equal(original.predict_proba(DOCS), stripped.predict_proba(DOCS))
    assert list(directory.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_read_of_standard_input_leaves_no_spool_file(brine, tmp_path, sig):
    directory, env = spool_dir(tmp_path)
    process = subprocess.Popen([brine, "inspect", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=env)
    # Half a pickle, and the pipe left open: brine is still spooling when the signal comes.
    process.stdin.write(b"\x80\x04]\x94(" + b"K\x01" * 100_000)
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while not any(directory.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any(directory.iterdir()), "no spool file appeared"
    process.send_signal(sig)
    process.wait(timeout=30)
    process.stdin.close()
    assert process.returncode == -sig
    assert list(directory.iterdir()) == []


def test_a_file_named_minus_still_needs_dot_slash(brine, tmp_path):
    # `-` always means standard input; a file of that name is reached as ./-.
    (tmp_path / "-").write_bytes(pickle.dumps([1, 2], protocol=2))
    result = subprocess.run([brine, "dis", "./-"], capture_output=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(b"highest protocol among opcodes = 2\n")
