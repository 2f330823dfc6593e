"""The progress bar: on standard error when it is a terminal (a pty here), with bytes/s and
the time left; never on a pipe, never with --quiet, and the report on stdout unchanged.

BRINE_PROGRESS_AFTER=0 drops the one-second wait before the first draw, so files of a few
megabytes show it."""

import os
import pickle
import pty
import re
import subprocess

import pytest

from sklearn.feature_extraction.text import TfidfVectorizer


def on_pty(argv, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    output = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def env():
    return {**os.environ, "BRINE_PROGRESS_AFTER": "0", "TERM": "xterm"}


def big_vectorizer(path, protocol):
    # A real fitted vectorizer whose stop_words_ holds 300,000 terms: megabytes of pickle.
    vec = TfidfVectorizer().fit(["alpha beta gamma", "beta gamma delta"])
    vec.stop_words_ = {"term%06d" % i for i in range(300_000)}
    with open(path, "wb") as f:
        pickle.dump(vec, f, protocol=protocol)
    return str(path)


BAR = re.compile(r"\r(\w+ )?\[[# ]{24}\] +\d+%  [\d.]+ [KMG]?B/[\d.]+ [KMG]?B  [\d.]+ [KMG]?B/s")


def bar_shown(text):
    return BAR.search(text) is not None


@pytest.mark.parametrize("protocol", range(6))
def test_inspect_draws_a_bar_on_a_terminal_only(brine, env, tmp_path, protocol):
    path = big_vectorizer(tmp_path / "big.pkl", protocol)
    status, text = on_pty([brine, "inspect", path], env)
    assert status == 0, text
    assert bar_shown(text), text[:400]
    assert "ETA" in text or "100%" in text
    piped = subprocess.run([brine, "inspect", path], capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and piped.stderr == ""
    # The bar is erased before the report: the report itself reads the same.
    assert piped.stdout.splitlines()[0] in text
    status, quiet = on_pty([brine, "inspect", "--quiet", path], env)
    assert status == 0 and not bar_shown(quiet)


def test_check_and_strip_draw_it_too(brine, env, tmp_path):
    path = big_vectorizer(tmp_path / "big.pkl", 4)
    status, text = on_pty([brine, "check", path], env)
    assert status in (0, 1) and bar_shown(text), text[:400]
    assert not bar_shown(subprocess.run([brine, "check", path], capture_output=True, text=True, env=env).stderr)
    status, text = on_pty([brine, "strip", "--preset", "deploy", path, "-o", str(tmp_path / "out.pkl")], env)
    assert status == 0 and bar_shown(text) and "reading [" in text, text[:400]
    status, text = on_pty([brine, "strip", "-q", "--preset", "deploy", path, "-o", str(tmp_path / "out2.pkl")], env)
    assert status == 0 and not bar_shown(text)


def test_budget_draws_it_while_packing(brine, env, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    for index in range(40):
        (app / ("blob%02d.bin" % index)).write_bytes(os.urandom(256 * 1024))
    argv = [brine, "budget", str(app), "--limit", "heroku-slug"]
    status, text = on_pty(argv, env)
    assert status == 0 and "packing [" in text and bar_shown(text), text[:400]
    piped = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and piped.stderr == ""
    status, text = on_pty(argv + ["--quiet"], env)
    assert status == 0 and not bar_shown(text)
