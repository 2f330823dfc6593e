"""Accuracy: `brine inspect --format json` against Python's own measurements.

Run with the fixture venv (see fixtures/README.md):

    VENV="$(fixtures/venv.sh)"
    BRINE_BIN=/path/to/brine "$VENV/bin/python" -m pytest \
        Tests/conformance/test_inspect_accuracy.py

BRINE_BIN (path of the built brine binary) is required: every test fails
if it is unset.

Every file in fixtures/models/ (NAME.pkl, NAME.joblib and NAME.joblib.<codec>)
is inspected once; the report is compared with fixtures/models/expected.json,
which fixtures/generate.py wrote by loading each object in Python:

* `pickle_len` = len(pickle.dumps(value, protocol=4)) for .pkl files, and
  `joblib_len` = bytes joblib.dump(value, f) writes for joblib files (joblib
  stores numpy arrays as NumpyArrayWrapper records + raw, aligned data, and
  object arrays as a nested pickle, so its stream legitimately differs from
  pickle's; both figures are shown in failure messages);
  An attribute whose value was already pickled earlier in the same stream
  (`memo_ref`, e.g. RandomForestClassifier.estimator_ is .estimator) is
  only a memo reference in the file: brine must show it as `reference`
  of at most 10 bytes instead;
* `count` = len() (containers) or .size (arrays), `shape`, `dtype`;
* `tracemalloc.current` = bytes held after pickle.loads of NAME.pkl.
"""

import gzip
import json
import lzma
import os
import subprocess
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "fixtures" / "models"
EXPECTED_PATH = MODELS_DIR / "expected.json"
TIMEOUT = 120

# NAME.joblib.<suffix> -> the codec name brine reports
CODECS = {"zlib": "zlib", "gz": "gzip", "bz2": "bzip2", "xz": "xz",
          "lzma": "lzma", "lz4": "lz4"}

SIZE_REL = 0.10            # attribute bytes: within 10 % ...
SIZE_ABS_SMALL = 200       # ... or within 200 bytes when Python's figure < 1000
SMALL_LIMIT = 1000
MEMORY_REL = 0.25          # root memory within 25 % of tracemalloc

TOP_LEVEL_KEYS = ["schemaVersion", "file", "format", "compression",
                  "fileBytes", "streamBytes", "protocol", "pickles",
                  "overheadBytes", "memoryBytes", "root", "trainingOnly"]

STOP_WORDS_PATH = "steps[0][1].stop_words_"


def _files():
    out = []
    for p in sorted(MODELS_DIR.iterdir()) if MODELS_DIR.is_dir() else []:
        if p.name.endswith(".pkl") or ".joblib" in p.name:
            out.append(p)
    return out


FILES = _files()
IDS = [p.name for p in FILES]
EXPECTED = (json.loads(EXPECTED_PATH.read_text())
            if EXPECTED_PATH.is_file() else {"models": {}})
MODEL_NAMES = sorted(EXPECTED["models"])


def model_of(path):
    return Path(path).name.split(".")[0]


def codec_suffix(path):
    """None for .pkl / .joblib, else the suffix after '.joblib.'."""
    name = Path(path).name
    head, sep, tail = name.partition(".joblib.")
    return tail if sep else None


def is_joblib(path):
    return ".joblib" in Path(path).name


# ---------------------------------------------------------------------------
# brine
# ---------------------------------------------------------------------------

_REPORTS = {}


@pytest.fixture(scope="session")
def inspect(brine):
    """inspect(path) -> parsed JSON report (one brine run per file)."""
    def run(path):
        key = str(path)
        if key not in _REPORTS:
            r = subprocess.run([brine, "inspect", "--format", "json", key],
                               capture_output=True, timeout=TIMEOUT)
            assert r.returncode in (0, 1), (
                "brine inspect %s exited %d: %s" % (
                    path, r.returncode, r.stderr.decode(errors="replace")))
            try:
                _REPORTS[key] = json.loads(r.stdout)
            except ValueError as e:
                pytest.fail("brine inspect %s: stdout is not JSON (%s): %r"
                            % (path, e, r.stdout[:300]))
        return _REPORTS[key]
    return run


def walk(node):
    yield node
    for child in node.get("children") or []:
        yield from walk(child)


def nodes_by_path(report):
    """path -> first node with that path (pre-order)."""
    out = {}
    for n in walk(report["root"]):
        out.setdefault(n["path"], n)
    return out


def expected_attrs(model):
    return EXPECTED["models"][model]["attributes"]


def python_len(entry, path):
    """Python's byte figure for the stream kind of `path`."""
    return entry["joblib_len"] if is_joblib(path) else entry["pickle_len"]


def memo_ref(entry, path):
    """Python found this value already pickled earlier in the same stream:
    the file holds only a memo reference (BINGET / LONG_BINGET) to it."""
    return entry.get("memo_ref_joblib" if is_joblib(path) else "memo_ref",
                     False)


MEMO_REF_MAX = 10          # BINGET 2, LONG_BINGET 5 bytes


def attribute_ok(entry, node, path, rel_only=False):
    if node is None:
        return False
    if memo_ref(entry, path):
        return bool(node.get("reference")) and node["bytes"] <= MEMO_REF_MAX
    return size_ok(node["bytes"], python_len(entry, path), rel_only)


def size_ok(brine_bytes, python_bytes, rel_only=False):
    if not rel_only and python_bytes < SMALL_LIMIT:
        return abs(brine_bytes - python_bytes) <= SIZE_ABS_SMALL
    return abs(brine_bytes - python_bytes) <= SIZE_REL * python_bytes


def describe(entry, node, path):
    b = node["bytes"] if node else None
    ref = python_len(entry, path)
    rel = ("%+.1f%%" % (100.0 * (b - ref) / ref)) if (b is not None and ref) \
        else "n/a"
    if memo_ref(entry, path):
        return ("%-40s brine %s bytes, reference=%s; python: a memo reference "
                "(<= %d bytes, reference=true)"
                % (repr(entry["path"]), b if b is not None else "MISSING",
                   node.get("reference") if node else None, MEMO_REF_MAX))
    return ("%-40s brine %s vs python %d (%s; pickle_len %d, joblib_len %d)%s"
            % (repr(entry["path"]), b if b is not None else "MISSING", ref,
               rel, entry["pickle_len"], entry["joblib_len"],
               " [reference]" if node and node.get("reference") else ""))


# ---------------------------------------------------------------------------
# Corpus sanity
# ---------------------------------------------------------------------------

def test_fixtures_present():
    assert FILES, "no fixtures in %s; run fixtures/generate.py" % MODELS_DIR
    assert MODEL_NAMES, "%s missing or empty" % EXPECTED_PATH
    names = {p.name for p in FILES}
    for model in MODEL_NAMES:
        want = {model + ".pkl", model + ".joblib"}
        want |= {"%s.joblib.%s" % (model, s) for s in CODECS}
        assert want <= names, "missing: %s" % sorted(want - names)


# ---------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_schema_top_level_keys(inspect, path):
    report = inspect(path)
    missing = [k for k in TOP_LEVEL_KEYS if k not in report]
    assert not missing, "top-level keys missing from the JSON: %s" % missing


# ---------------------------------------------------------------------------
# a. totals
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_totals(inspect, path):
    r = inspect(path)
    problems = []
    root_plus = r["root"]["bytes"] + r["overheadBytes"]
    if root_plus != r["streamBytes"]:
        problems.append("root.bytes %d + overheadBytes %d = %d != streamBytes %d"
                        % (r["root"]["bytes"], r["overheadBytes"], root_plus,
                           r["streamBytes"]))
    size = os.path.getsize(path)
    want_format = "joblib" if is_joblib(path) else "pickle"
    if r["format"] != want_format:
        problems.append("format %r, expected %r" % (r["format"], want_format))
    suffix = codec_suffix(path)
    if suffix is None:
        if r["streamBytes"] != size:
            problems.append("streamBytes %d != file size %d"
                            % (r["streamBytes"], size))
        if r["fileBytes"] != size:
            problems.append("fileBytes %d != file size %d"
                            % (r["fileBytes"], size))
        if r.get("compression") is not None:
            problems.append("compression %r for an uncompressed file"
                            % r["compression"])
    else:
        sibling = path.with_name(model_of(path) + ".joblib")
        raw = os.path.getsize(sibling)
        if r["streamBytes"] != raw:
            problems.append("streamBytes %d != size of %s (%d)"
                            % (r["streamBytes"], sibling.name, raw))
        if r["fileBytes"] != size:
            problems.append("fileBytes %d != compressed file size %d"
                            % (r["fileBytes"], size))
        if r.get("compression") != CODECS[suffix]:
            problems.append("compression %r, expected %r"
                            % (r.get("compression"), CODECS[suffix]))
    assert not problems, "; ".join(problems)


# ---------------------------------------------------------------------------
# b. attribution never double counts
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_no_double_counting(inspect, path):
    bad = []
    for n in walk(inspect(path)["root"]):
        kids = sum(c["bytes"] for c in n.get("children") or [])
        other = (n.get("other") or {}).get("bytes", 0)
        if n["bytes"] < kids + other:
            bad.append("%r (%s): bytes %d < children %d + other %d"
                       % (n["path"], n["type"], n["bytes"], kids, other))
    assert not bad, "%d nodes:\n  %s" % (len(bad), "\n  ".join(bad[:30]))


# ---------------------------------------------------------------------------
# c. attribute bytes vs Python
# ---------------------------------------------------------------------------

def largest_attribute_paths(report, model):
    """The 'largest attribute' as brine sees it and as Python sees it."""
    attrs = {e["path"]: e for e in expected_attrs(model)
             if not e.get("memo_ref")}
    root = report["root"]
    if set(attrs) == {""}:                       # DataFrame: the whole object
        return [""]
    if EXPECTED["models"][model]["type"] == "sklearn.pipeline.Pipeline":
        steps = [p for p in attrs if p.startswith("steps[")
                 and p.endswith("][1]")]
        by_path = nodes_by_path(report)
        present = [p for p in steps if p in by_path]
        assert present, "no step estimator node (%s) in brine's tree" % steps
        est_b = max(present, key=lambda p: by_path[p]["bytes"])
        kids = by_path[est_b].get("children") or []
        assert kids, "estimator %r has no children" % est_b
        brine_choice = max(kids, key=lambda c: c["bytes"])["path"]
        est_py = max(steps, key=lambda p: attrs[p]["pickle_len"])
        py_choice = max((p for p in attrs if p.startswith(est_py + ".")),
                        key=lambda p: attrs[p]["pickle_len"])
    else:
        kids = root.get("children") or []
        assert kids, "root has no children"
        brine_choice = max(kids, key=lambda c: c["bytes"])["path"]
        py_choice = max((p for p in attrs if p), key=lambda p:
                        attrs[p]["pickle_len"])
    return sorted({brine_choice, py_choice})


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_largest_attribute_bytes(inspect, path):
    model = model_of(path)
    report = inspect(path)
    attrs = {e["path"]: e for e in expected_attrs(model)}
    by_path = nodes_by_path(report)
    bad = []
    for p in largest_attribute_paths(report, model):
        if p not in attrs:
            bad.append("%r: brine's largest attribute is not an attribute "
                       "Python recorded" % p)
            continue
        node = by_path.get(p)
        if not attribute_ok(attrs[p], node, path, rel_only=True):
            bad.append(describe(attrs[p], node, path))
    assert not bad, ("largest attribute not within 10 %%:\n  %s"
                     % "\n  ".join(bad))


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_attribute_bytes(inspect, path):
    model = model_of(path)
    by_path = nodes_by_path(inspect(path))
    bad = []
    for e in expected_attrs(model):
        node = by_path.get(e["path"])
        if not attribute_ok(e, node, path):
            bad.append(describe(e, node, path))
    assert not bad, ("%d attributes off by more than 10 %% (>= %d bytes) or "
                     "%d bytes (smaller):\n  %s"
                     % (len(bad), SMALL_LIMIT, SIZE_ABS_SMALL,
                        "\n  ".join(bad)))


# ---------------------------------------------------------------------------
# d. counts, shapes, dtypes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_counts(inspect, path):
    by_path = nodes_by_path(inspect(path))
    bad = []
    for e in expected_attrs(model_of(path)):
        if "count" not in e or memo_ref(e, path):
            continue        # a memo reference is not expanded again
        node = by_path.get(e["path"])
        if node is None:
            bad.append("%r: missing (python count %d)" % (e["path"], e["count"]))
            continue
        if node.get("count") != e["count"]:
            bad.append("%r (%s): count brine %s vs python %d"
                       % (e["path"], e["type"], node.get("count"), e["count"]))
        if "shape" in e:
            arr = node.get("array") or {}
            if arr.get("shape") != e["shape"]:
                bad.append("%r: shape brine %s vs python %s"
                           % (e["path"], arr.get("shape"), e["shape"]))
            if arr.get("dtype") != e["dtype"]:
                bad.append("%r: dtype brine %r vs python %r"
                           % (e["path"], arr.get("dtype"), e["dtype"]))
    assert not bad, "\n  ".join(["count/shape/dtype mismatches:"] + bad)


# ---------------------------------------------------------------------------
# e. memory vs tracemalloc
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_memory(inspect, path):
    r = inspect(path)
    tm = EXPECTED["models"][model_of(path)]["tracemalloc"]
    ref = tm["current"]
    got = r["memoryBytes"]
    assert abs(got - ref) <= MEMORY_REL * ref, (
        "memoryBytes %d (root.memory %d) vs tracemalloc %d of %s: %+.1f%% "
        "(limit 25%%)" % (got, r["root"]["memory"], ref, tm["file"],
                          100.0 * (got - ref) / ref))


# ---------------------------------------------------------------------------
# f. training-only stop_words_
# ---------------------------------------------------------------------------

PIPELINE_FILES = [p for p in FILES if model_of(p) == "pipeline_tfidf_lr"]


@pytest.mark.parametrize("path", PIPELINE_FILES,
                         ids=[p.name for p in PIPELINE_FILES])
def test_stop_words_training_only(inspect, path):
    r = inspect(path)
    node = nodes_by_path(r).get(STOP_WORDS_PATH)
    assert node is not None, "no node %r" % STOP_WORDS_PATH
    finding = node.get("trainingOnly")
    assert finding and finding.get("path") == STOP_WORDS_PATH, (
        "%r carries trainingOnly=%r" % (STOP_WORDS_PATH, finding))
    listed = [f for f in r["trainingOnly"] if f["path"] == STOP_WORDS_PATH]
    assert len(listed) == 1, ("top-level trainingOnly lists %r %d times: %r"
                              % (STOP_WORDS_PATH, len(listed),
                                 r["trainingOnly"]))
    assert listed[0]["saving"] == node["bytes"], (
        "saving %d != node bytes %d" % (listed[0]["saving"], node["bytes"]))


# ---------------------------------------------------------------------------
# g. corrupt compressed files
# ---------------------------------------------------------------------------

def flip_middle(data):
    b = bytearray(data)
    b[len(b) // 2] ^= 0xFF
    return bytes(b)


def truncate_half(data):
    return data[:len(data) // 2]


def _gzip_ok(data):
    gzip.decompress(data)


def _zlib_ok(data):
    d = zlib.decompressobj()
    d.decompress(data)
    assert d.eof, "zlib stream incomplete"
    d.flush()


def _xz_ok(data):
    lzma.decompress(data, format=lzma.FORMAT_XZ)


CORRUPTIONS = [("gz", "flip", flip_middle, _gzip_ok),
               ("zlib", "flip", flip_middle, _zlib_ok),
               ("xz", "truncate", truncate_half, _xz_ok)]
CORRUPT_CASES = [(m, c) for m in MODEL_NAMES for c in CORRUPTIONS]
CORRUPT_IDS = ["%s.joblib.%s-%s" % (m, c[0], c[1]) for m, c in CORRUPT_CASES]


@pytest.mark.parametrize("model,case", CORRUPT_CASES, ids=CORRUPT_IDS)
def test_corrupt_compressed(brine, tmp_path, model, case):
    suffix, _, damage, python_check = case
    src = MODELS_DIR / ("%s.joblib.%s" % (model, suffix))
    data = damage(src.read_bytes())
    # the damage must be real: Python's own decompressor rejects it
    with pytest.raises(Exception):
        python_check(data)
    dst = tmp_path / src.name
    dst.write_bytes(data)
    r = subprocess.run([brine, "inspect", "--format", "json", str(dst)],
                       capture_output=True, timeout=TIMEOUT)
    err = r.stderr.decode(errors="replace")
    lines = err.splitlines()
    assert r.returncode == 2 and len(lines) == 1 and \
        lines[0].startswith("brine: "), (
            "exit %d (want 2), stderr %d lines (want 1 starting 'brine: '): "
            "%r; stdout %d bytes" % (r.returncode, len(lines), err[:500],
                                     len(r.stdout)))
