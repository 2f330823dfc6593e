"""`brine strip`: the stripped artifact must still load and behave the same.

Run with the fixture venv (see fixtures/README.md):

    VENV="$(fixtures/venv.sh)"
    BRINE_BIN=/path/to/brine "$VENV/bin/python" -m pytest \
        Tests/conformance/test_strip.py

BRINE_BIN (path of the built brine binary) is required: every test fails
if it is unset.

Fixtures: fixtures/models/strip/ (written by generate_strip() in
fixtures/generate.py): a fitted TfidfVectorizer(max_df=0.5, min_df=2,
ngram_range=(1, 2)) as pickle protocols 2 and 5 and as joblib with every
codec, a fitted GridSearchCV over Pipeline(TfidfVectorizer,
LogisticRegression) as pickle and joblib (+ gzip), shared_stopwords.pkl
(a dict whose 'also' is the same set object as ['vec'].stop_words_, so it
is memo-shared across the strip boundary) and heldout.json (30 documents
not seen in training).

Every stripped file is loaded with the real library (pickle.load /
joblib.load) in a subprocess running this interpreter (sys.executable, i.e.
the venv; one worker process for the session, so scikit-learn is imported
once), next to the original: the removed attributes must be gone (or None
with --set-none) and transform / predict / predict_proba on the held-out
documents must be bit-identical to the original's.

Contract under test (see the brief of `brine strip`):

    brine strip FILE -o OUT [--preset deploy] [--remove SELECTOR]...
                [--set-none] [--dry-run] [--in-place]
                [--compress CODEC[:LEVEL]] [--format text|json]

exit 0 written (or dry run done), 1 nothing matched / removal refused
(memo sharing; nothing written), 2 unreadable input or unwritable output
(one stderr line starting `brine: `), 64 usage error.
"""

import bz2
import gzip
import hashlib
import json
import lzma
import os
import select
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRIP_DIR = ROOT / "fixtures" / "models" / "strip"
HELDOUT = STRIP_DIR / "heldout.json"
TIMEOUT = 120
FILE_LIMIT = 300 * 1024

# NAME.joblib.<suffix> -> codec name as `--compress` spells it
CODEC_SUFFIXES = {"zlib": "zlib", "gz": "gzip", "bz2": "bz2", "xz": "xz",
                  "lzma": "lzma", "lz4": "lz4"}

TFIDF_FILES = (["tfidf_p2.pkl", "tfidf_p5.pkl", "tfidf.joblib"]
               + ["tfidf.joblib.%s" % s for s in CODEC_SUFFIXES])
GRID_FILES = ["gridsearch.pkl", "gridsearch.joblib", "gridsearch.joblib.gz"]
SHARED_FILE = "shared_stopwords.pkl"

# what `--preset deploy` removes, as paths in `brine inspect` syntax
PRESET_PATHS = {
    "tfidf": ["stop_words_"],
    "gridsearch": ["cv_results_", "best_estimator_.steps[0][1].stop_words_"],
    "shared": ["['vec'].stop_words_"],
}

# the output must save at least this share of what Python saves when it
# deletes the same attributes and pickles again in the same format
SAVING_MIN_SHARE = 0.9


def kind_of(name):
    """'tfidf', 'gridsearch' or 'shared' (by file name)."""
    base = Path(name).name
    for prefix, kind in (("tfidf", "tfidf"), ("gridsearch", "gridsearch"),
                         ("shared_stopwords", "shared")):
        if base.startswith(prefix):
            return kind
    raise AssertionError("not a strip fixture: %s" % name)


def loader_of(name):
    return "joblib" if ".joblib" in Path(name).name else "pickle"


# ---------------------------------------------------------------------------
# Format helpers (this process: plain stdlib + lz4)
# ---------------------------------------------------------------------------

# joblib's own prefixes (joblib.compressor / numpy_pickle_utils)
MAGIC = [("gzip", b"\x1f\x8b"), ("bz2", b"BZ"), ("xz", b"\xfd7zXZ"),
         ("lzma", b"\x5d\x00"), ("lz4", b"\x04\x22\x4d\x18"),
         ("zlib", b"\x78")]


def codec_of(data):
    """'none' for a bare pickle stream (PROTO opcode first), else the joblib
    codec its magic bytes name, else None."""
    if data[:1] == b"\x80":
        return "none"
    for name, magic in MAGIC:
        if data.startswith(magic):
            return name
    return None


def stream_of(data):
    """The pickle stream: data itself, or data decompressed."""
    codec = codec_of(data)
    if codec == "none":
        return data
    if codec == "zlib":
        return zlib.decompress(data)
    if codec == "gzip":
        return gzip.decompress(data)
    if codec == "bz2":
        return bz2.decompress(data)
    if codec == "xz":
        return lzma.decompress(data, format=lzma.FORMAT_XZ)
    if codec == "lzma":
        return lzma.decompress(data, format=lzma.FORMAT_ALONE)
    if codec == "lz4":
        import lz4.frame
        return lz4.frame.decompress(data)
    raise AssertionError("unknown format, first bytes %r" % data[:8])


def protocol_of(stream):
    """Pickle protocol from the leading PROTO opcode (None: protocol 0/1)."""
    return stream[1] if stream[:1] == b"\x80" and len(stream) > 1 else None


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def listing(directory):
    return sorted(p.name for p in Path(directory).iterdir())


def check_format(src, out):
    """Output keeps the input's container: same codec, same protocol.
    Returns (input stream, output stream)."""
    a, b = Path(src).read_bytes(), Path(out).read_bytes()
    ca, cb = codec_of(a), codec_of(b)
    assert cb == ca, ("output format %r (first bytes %r), input %r"
                      % (cb, b[:8], ca))
    sa, sb = stream_of(a), stream_of(b)
    assert protocol_of(sb) == protocol_of(sa), (
        "output pickle protocol %r (first bytes %r), input %r"
        % (protocol_of(sb), sb[:4], protocol_of(sa)))
    return sa, sb


# ---------------------------------------------------------------------------
# brine
# ---------------------------------------------------------------------------

def strip(brine, *args):
    return subprocess.run([os.path.abspath(brine), "strip"]
                          + [str(a) for a in args],
                          capture_output=True, timeout=TIMEOUT)


def show(r):
    return ("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s"
            % (r.returncode, r.stdout.decode(errors="replace")[:1500],
               r.stderr.decode(errors="replace")[:1500]))


def assert_exit(r, code):
    assert r.returncode == code, "want exit %d, got %s" % (code, show(r))


def assert_error_line(r):
    """exit 2 with exactly one stderr line starting `brine: `."""
    lines = r.stderr.decode(errors="replace").splitlines()
    assert r.returncode == 2 and len(lines) == 1 and \
        lines[0].startswith("brine: "), (
            "want exit 2 and one stderr line starting 'brine: '; %s" % show(r))


def fixture(name):
    path = STRIP_DIR / name
    assert path.is_file(), "missing %s; run fixtures/generate.py" % path
    return path


# ---------------------------------------------------------------------------
# Python side: load and compare in a subprocess
# ---------------------------------------------------------------------------

# One worker interpreter (sys.executable: the venv) for the whole session,
# so scikit-learn is imported once. Protocol: one JSON request per line on
# stdin, one JSON answer per line on stdout.
# request: {"kind", "loader", "orig", "heldout", "outs": [{"path",
#   "absent": [paths], "none": [paths], "present": [paths]}],
#   "python_strip": {"paths": [...], "set_none": bool} or null}
# answer: {"python_saving": int or null, "outs": [[problem, ...], ...]}
#   or {"error": traceback}
WORKER_SCRIPT = r"""
import io, json, os, pickle, sys, traceback
answers = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)               # anything else printed goes to stderr
sys.stdout = sys.stderr
import numpy as np
import joblib

# path (brine syntax) -> (parent getter, attribute name)
ATTRS = {
    "stop_words_": (lambda o: o, "stop_words_"),
    "cv_results_": (lambda o: o, "cv_results_"),
    "best_estimator_.steps[0][1].stop_words_":
        (lambda o: o.best_estimator_.steps[0][1], "stop_words_"),
    "['vec'].stop_words_": (lambda o: o["vec"], "stop_words_"),
}

def same(a, b):
    return (a.dtype == b.dtype and a.shape == b.shape
            and a.tobytes() == b.tobytes())

def handle(spec):
    docs = json.load(open(spec["heldout"]))["documents"]
    kind, loader = spec["kind"], spec["loader"]

    def load(path):
        if loader == "pickle":
            with open(path, "rb") as f:
                return pickle.load(f)
        return joblib.load(path)

    def behaviour(obj):
        # name -> numpy array (compared bit for bit)
        out = {}
        if kind in ("tfidf", "shared"):
            vec = obj if kind == "tfidf" else obj["vec"]
            X = vec.transform(docs)
            out.update(shape=np.array(X.shape), indices=X.indices,
                       indptr=X.indptr, data=X.data)
        else:
            out.update(predict=obj.predict(docs),
                       predict_proba=obj.predict_proba(docs))
        return out

    def dumped_len(obj):
        if loader == "pickle":
            head = open(spec["orig"], "rb").read(2)
            proto = head[1] if head[:1] == b"\x80" else 1
            return len(pickle.dumps(obj, protocol=proto))
        buf = io.BytesIO()
        joblib.dump(obj, buf)
        return len(buf.getvalue())

    orig = load(spec["orig"])
    want = behaviour(orig)
    also = set(orig["also"]) if kind == "shared" else None

    results = []
    for o in spec["outs"]:
        problems = []
        results.append(problems)
        try:
            obj = load(o["path"])
        except Exception:
            problems.append("pickle/joblib cannot load %s: %s" % (
                o["path"], traceback.format_exc(limit=3)[-1500:]))
            continue
        if type(obj) is not type(orig):
            problems.append("loaded a %s, original is a %s"
                            % (type(obj).__name__, type(orig).__name__))
            continue
        for path in o.get("absent", []):
            get, name = ATTRS[path]
            try:
                parent = get(obj)
            except Exception as e:
                problems.append("%s: cannot reach the parent: %r" % (path, e))
                continue
            if hasattr(parent, name):
                problems.append("%s still present (%s)" % (
                    path, type(getattr(parent, name)).__name__))
        for path in o.get("none", []):
            get, name = ATTRS[path]
            parent = get(obj)
            if not hasattr(parent, name):
                problems.append("%s missing, expected None" % path)
            elif getattr(parent, name) is not None:
                problems.append("%s is a %s, expected None" % (
                    path, type(getattr(parent, name)).__name__))
        for path in o.get("present", []):
            get, name = ATTRS[path]
            a, b = getattr(get(orig), name), getattr(get(obj), name, None)
            if type(a) is not type(b) or (
                    not isinstance(a, dict) and a != b) or (
                    isinstance(a, dict) and sorted(a) != sorted(b)):
                problems.append("%s should be kept unchanged, got %s"
                                % (path, type(b).__name__))
        if kind == "shared":
            got_also = obj.get("also")
            if not isinstance(got_also, set) or got_also != also:
                problems.append("'also' differs from the original set (%s "
                                "of %s)" % (type(got_also).__name__,
                                            len(got_also or ())))
        try:
            got = behaviour(obj)
        except Exception:
            problems.append("transform/predict failed: %s"
                            % traceback.format_exc(limit=3)[-1500:])
        else:
            for k in want:
                if not same(want[k], got[k]):
                    problems.append(
                        "%s differs from the original's (dtype %s/%s, shape "
                        "%s/%s)" % (k, want[k].dtype, got[k].dtype,
                                    want[k].shape, got[k].shape))

    saving = None
    ps = spec.get("python_strip")
    if ps:
        before = dumped_len(orig)
        for path in ps["paths"]:
            get, name = ATTRS[path]
            if ps["set_none"]:
                setattr(get(orig), name, None)
            else:
                delattr(get(orig), name)
        saving = before - dumped_len(orig)
    return {"python_saving": saving, "outs": results}

for line in sys.stdin:
    try:
        answer = handle(json.loads(line))
    except Exception:
        answer = {"error": traceback.format_exc()[-3000:]}
    answers.write(json.dumps(answer) + "\n")
    answers.flush()
"""


class Worker:
    """The loading interpreter; restarted if it dies."""

    def __init__(self):
        self.proc = None

    def _start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def ask(self, spec):
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        proc = self.proc
        proc.stdin.write((json.dumps(spec) + "\n").encode())
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
        line = proc.stdout.readline() if ready else b""
        if not line:
            self.close()
            pytest.fail("the loading subprocess died or timed out on %s"
                        % [o["path"] for o in spec["outs"]])
        answer = json.loads(line)
        assert "error" not in answer, ("loading subprocess failed:\n%s"
                                       % answer["error"])
        return answer

    def close(self):
        if self.proc is not None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


_WORKER = Worker()


@pytest.fixture(scope="module", autouse=True)
def _worker():
    yield _WORKER
    _WORKER.close()


def python_check(src, outs, python_strip=None):
    """Load src and every out (dicts as in WORKER_SCRIPT) in the worker.
    Returns (python_saving, [problems per out])."""
    spec = {"kind": kind_of(src), "loader": loader_of(src), "orig": str(src),
            "heldout": str(HELDOUT), "python_strip": python_strip,
            "outs": [dict(o, path=str(o["path"])) for o in outs]}
    res = _WORKER.ask(spec)
    return res["python_saving"], res["outs"]


def assert_loads_same(src, out, absent=(), none=(), present=()):
    _, (problems,) = python_check(src, [{"path": out, "absent": list(absent),
                                         "none": list(none),
                                         "present": list(present)}])
    assert not problems, "%s:\n  %s" % (Path(out).name, "\n  ".join(problems))


def check_stripped(src, out, paths, set_none=False):
    """Format kept, size saving, loads, attributes gone / None, behaviour."""
    s_in, s_out = check_format(src, out)
    o = {"path": out, "none" if set_none else "absent": list(paths)}
    saving, (problems,) = python_check(
        src, [o], python_strip={"paths": list(paths), "set_none": set_none})
    assert not problems, "%s:\n  %s" % (Path(out).name, "\n  ".join(problems))
    got = len(s_in) - len(s_out)
    assert got >= SAVING_MIN_SHARE * saving, (
        "pickle stream shrank by %d bytes (%d -> %d); Python saves %d by "
        "%s %s" % (got, len(s_in), len(s_out), saving,
                   "setting to None" if set_none else "deleting",
                   ", ".join(paths)))
    a, b = os.path.getsize(src), os.path.getsize(out)
    assert b < a, "output file %d bytes, input %d" % (b, a)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_fixtures_present():
    for name in TFIDF_FILES + GRID_FILES + [SHARED_FILE, HELDOUT.name]:
        path = fixture(name)
        assert path.stat().st_size < FILE_LIMIT, (name, path.stat().st_size)
    for name in TFIDF_FILES:
        suffix = name.partition(".joblib.")[2]
        want = CODEC_SUFFIXES.get(suffix, "none")
        assert codec_of(fixture(name).read_bytes()) == want, name
    docs = json.loads(HELDOUT.read_text())["documents"]
    assert len(docs) == 30 and all(isinstance(d, str) for d in docs)


PRESET_CASES = TFIDF_FILES + GRID_FILES


@pytest.mark.parametrize("name", PRESET_CASES)
def test_preset_deploy(brine, tmp_path, name):
    src = fixture(name)
    before = sha256(src)
    out = tmp_path / ("stripped-" + name)
    r = strip(brine, "--preset", "deploy", src, "-o", out)
    assert_exit(r, 0)
    assert sha256(src) == before, "input file modified"
    assert out.is_file(), "no output file"
    assert listing(tmp_path) == [out.name], (
        "stray files next to the output: %s" % listing(tmp_path))
    check_stripped(src, out, PRESET_PATHS[kind_of(name)])


JSON_CASES = ["tfidf_p5.pkl", "tfidf.joblib.gz", "gridsearch.pkl"]


@pytest.mark.parametrize("name", JSON_CASES)
def test_preset_json_report(brine, tmp_path, name):
    src = fixture(name)
    out = tmp_path / ("stripped-" + name)
    r = strip(brine, "--preset", "deploy", src, "-o", out, "--format", "json")
    assert_exit(r, 0)
    try:
        rep = json.loads(r.stdout)
    except ValueError as e:
        pytest.fail("stdout is not JSON (%s): %r" % (e, r.stdout[:300]))
    missing = [k for k in ("input", "output", "inputBytes", "outputBytes",
                           "removed") if k not in rep]
    assert not missing, "keys missing from the JSON: %s" % missing
    assert os.path.realpath(rep["input"]) == os.path.realpath(src), rep["input"]
    assert os.path.realpath(rep["output"]) == os.path.realpath(out), \
        rep["output"]
    # file sizes on disk (compressed size for a compressed joblib)
    assert rep["inputBytes"] == src.stat().st_size, rep["inputBytes"]
    assert rep["outputBytes"] == out.stat().st_size, rep["outputBytes"]
    paths = sorted(e.get("path") for e in rep["removed"])
    assert paths == sorted(PRESET_PATHS[kind_of(name)]), rep["removed"]
    sizes = [e.get("bytes") for e in rep["removed"]]
    assert all(isinstance(b, int) and b > 0 for b in sizes), rep["removed"]
    # bytes are pickle-stream bytes: they add up to the stream's shrinkage
    shrink = len(stream_of(src.read_bytes())) - len(stream_of(out.read_bytes()))
    assert abs(sum(sizes) - shrink) <= max(64, 0.1 * shrink), (
        "removed bytes sum to %d, the pickle stream shrank by %d"
        % (sum(sizes), shrink))


@pytest.mark.parametrize("name", ["tfidf_p5.pkl", "tfidf.joblib"])
def test_set_none(brine, tmp_path, name):
    src = fixture(name)
    before = sha256(src)
    out = tmp_path / ("none-" + name)
    r = strip(brine, "--preset", "deploy", "--set-none", src, "-o", out)
    assert_exit(r, 0)
    assert sha256(src) == before, "input file modified"
    assert out.is_file(), "no output file"
    check_stripped(src, out, PRESET_PATHS["tfidf"], set_none=True)


@pytest.mark.parametrize("name,with_o", [("tfidf_p5.pkl", True),
                                         ("tfidf_p5.pkl", False),
                                         ("tfidf.joblib.gz", True),
                                         ("gridsearch.joblib", False)],
                         ids=["tfidf_p5.pkl-o", "tfidf_p5.pkl-no-o",
                              "tfidf.joblib.gz-o", "gridsearch.joblib-no-o"])
def test_dry_run(brine, tmp_path, name, with_o):
    # run on a copy in tmp_path so any file brine might create shows up
    src = tmp_path / name
    shutil.copyfile(fixture(name), src)
    before = sha256(src)
    out = tmp_path / ("dry-" + name)
    args = ["--preset", "deploy", "--dry-run", src]
    if with_o:
        args += ["-o", out]
    # absolute: BRINE_BIN may be relative to the caller's directory
    r = subprocess.run([os.path.abspath(brine), "strip"]
                       + [str(a) for a in args],
                       capture_output=True, timeout=TIMEOUT, cwd=tmp_path)
    assert_exit(r, 0)
    assert not out.exists(), "--dry-run wrote %s" % out
    assert listing(tmp_path) == [name], ("--dry-run left files: %s"
                                         % listing(tmp_path))
    assert sha256(src) == before, "input file modified"
    text = r.stdout.decode(errors="replace")
    for path in PRESET_PATHS[kind_of(name)]:
        assert path.rsplit(".", 1)[-1] in text, (
            "dry-run output does not mention %r:\n%s" % (path, text[:1500]))


# --remove SELECTOR... that select exactly what the preset selects must
# give the same bytes (only uncompressed outputs: a compressor may embed
# something run-dependent)
SELECTOR_CASES = [
    ("tfidf_p5.pkl", ["TfidfVectorizer.stop_words_"]),
    ("tfidf_p5.pkl",
     ["sklearn.feature_extraction.text.TfidfVectorizer.stop_words_"]),
    ("tfidf_p5.pkl", ["stop_words_"]),
    ("tfidf_p2.pkl", ["TfidfVectorizer.stop_words_"]),
    ("tfidf.joblib", ["TfidfVectorizer.stop_words_"]),
    ("gridsearch.pkl", ["GridSearchCV.cv_results_",
                        "TfidfVectorizer.stop_words_"]),
    ("gridsearch.pkl", ["cv_results_",
                        "best_estimator_.steps[0][1].stop_words_"]),
    ("gridsearch.joblib", ["sklearn.model_selection._search.GridSearchCV"
                           ".cv_results_", "TfidfVectorizer.stop_words_"]),
]


@pytest.mark.parametrize("name,selectors", SELECTOR_CASES,
                         ids=["%s-%s" % (n, "+".join(s))
                              for n, s in SELECTOR_CASES])
def test_remove_equals_preset(brine, tmp_path, name, selectors):
    src = fixture(name)
    preset = tmp_path / "preset.out"
    assert_exit(strip(brine, "--preset", "deploy", src, "-o", preset), 0)
    out = tmp_path / "remove.out"
    args = []
    for s in selectors:
        args += ["--remove", s]
    r = strip(brine, *args, src, "-o", out)
    assert_exit(r, 0)
    a, b = preset.read_bytes(), out.read_bytes()
    assert a == b, ("--remove %s: %d bytes, --preset deploy: %d bytes "
                    "(first difference at offset %s)"
                    % (" --remove ".join(selectors), len(b), len(a),
                       next((i for i, (x, y) in enumerate(zip(a, b))
                             if x != y), min(len(a), len(b)))))


def test_remove_is_selective(brine, tmp_path):
    """Each of the grid search's two training-only attributes alone."""
    src = fixture("gridsearch.pkl")
    cv, sw = PRESET_PATHS["gridsearch"]
    only_cv = tmp_path / "only_cv.pkl"
    only_sw = tmp_path / "only_sw.pkl"
    assert_exit(strip(brine, "--remove", "GridSearchCV.cv_results_", src,
                      "-o", only_cv), 0)
    assert_exit(strip(brine, "--remove", sw, src, "-o", only_sw), 0)
    for out in (only_cv, only_sw):
        check_format(src, out)
    _, problems = python_check(src, [
        {"path": only_cv, "absent": [cv], "present": [sw]},
        {"path": only_sw, "absent": [sw], "present": [cv]}])
    bad = ["%s: %s" % (o.name, p) for o, ps in zip((only_cv, only_sw),
                                                   problems) for p in ps]
    assert not bad, "\n  ".join(bad)


NOTHING_CASES = [
    ("tfidf_p5.pkl", ["--remove", "TfidfVectorizer.no_such_attribute_"]),
    ("tfidf_p5.pkl", ["--remove", "GridSearchCV.cv_results_"]),
    ("tfidf.joblib.gz", ["--remove", "no_such_attribute_"]),
    ("../numpy_model.pkl", ["--preset", "deploy"]),
]


@pytest.mark.parametrize("name,args", NOTHING_CASES,
                         ids=["%s-%s" % (Path(n).name, a[-1])
                              for n, a in NOTHING_CASES])
def test_nothing_matched(brine, tmp_path, name, args):
    src = fixture(name)
    before = sha256(src)
    out = tmp_path / "out"
    r = strip(brine, *args, src, "-o", out)
    assert_exit(r, 1)
    assert listing(tmp_path) == [], "wrote %s" % listing(tmp_path)
    assert sha256(src) == before, "input file modified"


COMPRESS_CASES = [("tfidf.joblib", "xz"), ("tfidf.joblib", "lz4"),
                  ("tfidf.joblib.gz", "none"), ("tfidf.joblib.xz", "zlib:9"),
                  ("gridsearch.joblib.gz", "bz2")]


@pytest.mark.parametrize("name,codec", COMPRESS_CASES,
                         ids=["%s-%s" % c for c in COMPRESS_CASES])
def test_compress(brine, tmp_path, name, codec):
    src = fixture(name)
    before = sha256(src)
    out = tmp_path / ("recompressed-" + name)
    r = strip(brine, "--preset", "deploy", "--compress", codec, src, "-o", out)
    assert_exit(r, 0)
    assert sha256(src) == before, "input file modified"
    data = out.read_bytes()
    want = codec.split(":")[0]
    assert codec_of(data) == want, ("--compress %s: output starts %r (%s)"
                                    % (codec, data[:8], codec_of(data)))
    s_in, s_out = stream_of(src.read_bytes()), stream_of(data)
    assert protocol_of(s_out) == protocol_of(s_in)
    assert len(s_out) < len(s_in)
    assert_loads_same(src, out, absent=PRESET_PATHS[kind_of(name)])


@pytest.mark.parametrize("selector", [["--preset", "deploy"],
                                      ["--remove", "['vec'].stop_words_"]],
                         ids=["preset", "remove-path"])
def test_shared_stopwords(brine, tmp_path, selector):
    """'also' is a memo reference to the set defined inside
    ['vec'].stop_words_: brine refuses (exit 1, nothing written), or keeps
    the shared set loadable (exit 0, 'also' intact)."""
    src = fixture(SHARED_FILE)
    before = sha256(src)
    out = tmp_path / "shared-out.pkl"
    r = strip(brine, *selector, src, "-o", out)
    assert sha256(src) == before, "input file modified"
    assert r.returncode in (0, 1), "want exit 1 (or 0); %s" % show(r)
    if r.returncode == 1:
        assert listing(tmp_path) == [], ("refused but wrote %s"
                                         % listing(tmp_path))
        return
    assert listing(tmp_path) == [out.name], listing(tmp_path)
    check_format(src, out)
    assert_loads_same(src, out)


def test_unwritable_output(brine):
    src = fixture("tfidf_p5.pkl")
    before = sha256(src)
    out = Path("/nonexistent-dir/x.pkl")
    assert not out.parent.exists()
    r = strip(brine, "--preset", "deploy", src, "-o", out)
    assert_error_line(r)
    assert not out.exists()
    assert sha256(src) == before, "input file modified"


def _truncate(tmp_path, name):
    data = fixture(name).read_bytes()
    p = tmp_path / ("cut-" + name)
    p.write_bytes(data[:len(data) // 2])
    return p


@pytest.mark.parametrize("case", ["tfidf_p5.pkl", "tfidf.joblib",
                                  "tfidf.joblib.xz", "missing"])
def test_unreadable_input(brine, tmp_path, case):
    indir = tmp_path / "in"
    indir.mkdir()
    outdir = tmp_path / "out"
    outdir.mkdir()
    if case == "missing":
        src = indir / "no-such-file.pkl"
    else:
        src = _truncate(indir, case)
    out = outdir / "x"
    r = strip(brine, "--preset", "deploy", src, "-o", out)
    assert_error_line(r)
    assert listing(outdir) == [], "wrote %s" % listing(outdir)


@pytest.mark.parametrize("name", ["tfidf_p5.pkl", "tfidf.joblib.gz",
                                  "gridsearch.joblib"])
def test_in_place(brine, tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    copy = work / name
    shutil.copyfile(fixture(name), copy)
    before = sha256(copy)
    r = strip(brine, "--preset", "deploy", "--in-place", copy)
    assert_exit(r, 0)
    assert listing(work) == [name], ("files left next to the input: %s"
                                     % listing(work))
    assert sha256(copy) != before, "--in-place left the file unchanged"
    check_stripped(fixture(name), copy, PRESET_PATHS[kind_of(name)])


USAGE_CASES = [
    ("no -o", ["--preset", "deploy", "{src}"]),
    ("no file", ["--preset", "deploy", "-o", "{out}"]),
    ("bad codec", ["--preset", "deploy", "--compress", "brotli", "{src}",
                   "-o", "{out}"]),
    ("bad format", ["--preset", "deploy", "--format", "yaml", "{src}",
                    "-o", "{out}"]),
    ("bad preset", ["--preset", "no-such-preset", "{src}", "-o", "{out}"]),
]


@pytest.mark.parametrize("args", [a for _, a in USAGE_CASES],
                         ids=[i for i, _ in USAGE_CASES])
def test_usage_error(brine, tmp_path, args):
    src = tmp_path / "tfidf_p5.pkl"
    shutil.copyfile(fixture("tfidf_p5.pkl"), src)
    before = sha256(src)
    out = tmp_path / "out.pkl"
    r = subprocess.run([os.path.abspath(brine), "strip"]
                       + [a.format(src=src, out=out) for a in args],
                       capture_output=True, timeout=TIMEOUT, cwd=tmp_path)
    assert_exit(r, 64)
    assert listing(tmp_path) == ["tfidf_p5.pkl"], listing(tmp_path)
    assert sha256(src) == before, "input file modified"


_LARGE = []


def _large_tfidf(path, compress=None):
    """A vectorizer of a few MB fitted here, whose held-out documents share its
    vocabulary: the compressed joblib then spans hundreds of deflate blocks, and
    a strip can reuse most of them. compress=None writes a protocol-4 pickle."""
    import pickle
    import joblib
    if not _LARGE:
        _LARGE.append(_fit_large_tfidf())
    if compress is None:
        with open(path, "wb") as f:
            pickle.dump(_LARGE[0], f, protocol=4)
    else:
        joblib.dump(_LARGE[0], path, compress=compress)


def _fit_large_tfidf():
    import re
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    heldout = json.loads(HELDOUT.read_text())["documents"]
    known = sorted({w for d in heldout for w in re.findall(r"(?u)\b\w\w+\b", d.lower())})
    rng = np.random.default_rng(20261122)
    pool = known + ["t%05d%s" % (i, "abcdefgh"[i % 8] * (1 + i % 5)) for i in range(150_000)]
    picks = rng.integers(0, len(pool), size=(6_000, 60))
    docs = [" ".join(pool[i] for i in row) for row in picks]
    vec = TfidfVectorizer(min_df=2).fit(docs)   # tokens seen once go to stop_words_
    assert len(vec.stop_words_) > 10_000
    return vec


@pytest.mark.parametrize("codec,suffix", [("zlib", "zlib"), ("gzip", "gz")])
def test_large_compressed_strip_reuses_blocks_and_loads(brine, tmp_path, codec, suffix):
    src = tmp_path / ("tfidf_large.joblib." + suffix)
    _large_tfidf(src, (codec, 3))
    out = tmp_path / ("stripped-" + src.name)
    r = strip(brine, "--preset", "deploy", src, "-o", out, "--format", "json")
    assert_exit(r, 0)
    rep = json.loads(r.stdout)
    assert codec_of(out.read_bytes()) == codec
    # Most of the kept stream went out as the input's own compressed blocks.
    kept = rep["outputStreamBytes"]
    assert rep.get("reusedStreamBytes", 0) > 0.8 * kept, rep
    check_stripped(src, out, ["stop_words_"])


def test_frames_after_the_cut_come_out_byte_for_byte(brine, tmp_path):
    """Frames end where the input's do: past the frame the cut ends in, the
    stripped pickle is the input byte for byte (CPython's own 64 KiB frames)."""
    import pickletools
    src = tmp_path / "tfidf_large.pkl"
    _large_tfidf(src)
    data = src.read_bytes()
    frames = [pos for op, arg, pos in pickletools.genops(data) if op.name == "FRAME"]
    key = data.index(b"\x8c\x0bstop_words_")
    vocab = data.index(b"\x8c\x0bvocabulary_")
    after = [pos for pos in frames if pos > vocab]
    assert len(frames) > 20 and len(after) > 5, (len(frames), len(after))
    out = tmp_path / "stripped-tfidf_large.pkl"
    assert_exit(strip(brine, "--preset", "deploy", src, "-o", out), 0)
    tail = data[after[0]:]
    got = out.read_bytes()
    assert got.endswith(tail), "the output differs from the input after the cut"
    # Before the cut only the length of the frame holding it changes.
    f0 = max(pos for pos in frames if pos < key)
    assert got[:f0 + 1] == data[:f0 + 1] and got[f0 + 9:key] == data[f0 + 9:key]
    check_stripped(src, out, ["stop_words_"])
