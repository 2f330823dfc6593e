"""Pickle protocols 0-5 are first-class in every command.

Run with the fixture venv (see fixtures/README.md):

    VENV="$(fixtures/venv.sh)"
    BRINE_BIN=/path/to/brine "$VENV/bin/python" -m pytest \
        Tests/conformance/test_protocols.py

Fixtures (fixtures/generate.py protocol_models()): the same fitted
TfidfVectorizer (max_features, so vocabulary_ holds numpy int64 scalars:
protocols 0-2 write their raw data as `_codecs.encode(text, 'latin1')`), a
Pipeline(TfidfVectorizer, LogisticRegression) and a dict of numpy scalars,
bytes, bytearray, a set, nested lists and str, each at protocols 0..5
(fixtures/pickle/proto_*_pN.pkl), plus joblib.dump(..., protocol=2 and 3) of
the two models (fixtures/joblib/proto_*_pN.joblib).

Every stripped output is loaded here with pickle / joblib (scikit-learn
1.4.2 of the venv) next to the original, and transform / predict /
predict_proba on held-out documents must be identical.
"""

import json
import pickle
import subprocess
from pathlib import Path

import joblib
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PICKLE_DIR = ROOT / "fixtures" / "pickle"
JOBLIB_DIR = ROOT / "fixtures" / "joblib"
HELDOUT = ROOT / "fixtures" / "models" / "strip" / "heldout.json"
PROTOCOLS = range(6)
TIMEOUT = 120

# how each strip mode is asked for, and what it leaves at stop_words_
MODES = {
    "preset": (["--preset", "deploy"], "absent"),
    "remove": (["--remove", "TfidfVectorizer.stop_words_"], "absent"),
    "set-none": (["--preset", "deploy", "--set-none"], "none"),
}


def pickle_path(kind, p):
    path = PICKLE_DIR / ("proto_%s_p%d.pkl" % (kind, p))
    assert path.is_file(), "missing %s; run fixtures/generate.py" % path
    return path


def joblib_path(kind, p):
    path = JOBLIB_DIR / ("proto_%s_p%d.joblib" % (kind, p))
    assert path.is_file(), "missing %s; run fixtures/generate.py" % path
    return path


def run(brine, *args):
    return subprocess.run([brine] + [str(a) for a in args], capture_output=True, timeout=TIMEOUT)


def show(r):
    return "exit %d\nstdout: %s\nstderr: %s" % (
        r.returncode, r.stdout.decode(errors="replace")[:2000], r.stderr.decode(errors="replace")[:2000])


def protocol_of(path):
    """The PROTO opcode's argument; None when the stream has none (protocols 0-1)."""
    head = Path(path).read_bytes()[:2]
    return head[1] if head[:1] == b"\x80" else None


def docs():
    return json.loads(HELDOUT.read_text())["documents"]


def load(path):
    if path.suffix == ".joblib":
        return joblib.load(path)
    with open(path, "rb") as f:
        return pickle.load(f)


def vectorizer_of(obj):
    return obj.named_steps["tfidf"] if hasattr(obj, "named_steps") else obj


def assert_same_behaviour(original, stripped):
    a, b = vectorizer_of(original), vectorizer_of(stripped)
    assert b.vocabulary_ == a.vocabulary_
    assert {type(v) for v in b.vocabulary_.values()} == {np.int64}
    xa, xb = a.transform(docs()), b.transform(docs())
    assert xa.shape == xb.shape and xa.dtype == xb.dtype
    assert (xa != xb).nnz == 0
    if hasattr(original, "named_steps"):
        assert (original.predict(docs()) == stripped.predict(docs())).all()
        pa, pb = original.predict_proba(docs()), stripped.predict_proba(docs())
        assert pa.dtype == pb.dtype and pa.tobytes() == pb.tobytes()


def strip_and_compare(brine, src, tmp_path, mode):
    args, stop_words = MODES[mode]
    out = tmp_path / ("out" + src.suffix)
    r = run(brine, "strip", *args, src, "-o", out, "--format", "json")
    assert r.returncode == 0, show(r)
    original, stripped = load(src), load(out)
    vec = vectorizer_of(stripped)
    if stop_words == "absent":
        assert not hasattr(vec, "stop_words_")
    else:
        assert vec.stop_words_ is None
    assert vectorizer_of(original).stop_words_
    assert_same_behaviour(original, stripped)
    return out, json.loads(r.stdout)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("kind", ["tfidf", "pipeline"])
@pytest.mark.parametrize("p", PROTOCOLS)
def test_strip_keeps_behaviour_and_protocol(brine, tmp_path, p, kind, mode):
    src = pickle_path(kind, p)
    out, _ = strip_and_compare(brine, src, tmp_path, mode)
    assert protocol_of(out) == protocol_of(src) == (p if p >= 2 else None)


@pytest.mark.parametrize("kind", ["tfidf", "pipeline"])
@pytest.mark.parametrize("p", PROTOCOLS)
def test_dry_run_reports_what_the_real_run_writes(brine, tmp_path, p, kind):
    """Same exit code as the real run, nothing written, and the stream size it
    announces is the size the real run writes."""
    src = pickle_path(kind, p)
    real = run(brine, "strip", "--preset", "deploy", src, "-o", tmp_path / "real.pkl", "--format", "json")
    dry = run(brine, "strip", "--preset", "deploy", "--dry-run", src, "--format", "json")
    assert dry.returncode == real.returncode == 0, show(real) + "\n" + show(dry)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.pkl"]
    assert json.loads(dry.stdout)["outputStreamBytes"] == (tmp_path / "real.pkl").stat().st_size


def test_dry_run_refuses_an_output_a_real_run_cannot_write(brine, tmp_path):
    src = pickle_path("tfidf", 2)
    target = tmp_path / "missing-dir" / "out.pkl"
    real = run(brine, "strip", "--preset", "deploy", src, "-o", target)
    dry = run(brine, "strip", "--preset", "deploy", "--dry-run", src, "-o", target)
    assert real.returncode == dry.returncode == 2, show(real) + "\n" + show(dry)
    assert len(dry.stderr.decode().splitlines()) == 1 and dry.stderr.startswith(b"brine: ")
    assert not (tmp_path / "missing-dir").exists()


@pytest.mark.parametrize("kind", ["tfidf", "pipeline"])
@pytest.mark.parametrize("p", [2, 3])
def test_joblib_at_old_protocols_strips(brine, tmp_path, p, kind):
    src = joblib_path(kind, p)
    out, _ = strip_and_compare(brine, src, tmp_path, "preset")
    # joblib writes the pickle uncompressed here: its PROTO opcode leads the file
    assert protocol_of(out) == protocol_of(src) == p


def finding_codes(brine, path):
    r = run(brine, "check", "--format", "json", path)
    assert r.returncode in (0, 1), show(r)
    return sorted({f["code"] for f in json.loads(r.stdout)["findings"]})


# BR201: pickled with scikit-learn 1.4.2 (no pin given); BR501: a non-empty
# stop_words_ (training text in the artifact). Nothing else, at any protocol:
# no BR401 from numpy scalars' raw bytes read as padded strings.
EXPECTED_CODES = {"tfidf": ["BR201", "BR501"], "pipeline": ["BR201", "BR501"], "values": []}


@pytest.mark.parametrize("kind", sorted(EXPECTED_CODES))
@pytest.mark.parametrize("p", PROTOCOLS)
def test_check_has_no_false_findings(brine, p, kind):
    assert finding_codes(brine, pickle_path(kind, p)) == EXPECTED_CODES[kind]


@pytest.mark.parametrize("kind", ["tfidf", "pipeline"])
@pytest.mark.parametrize("p", [2, 3])
def test_check_joblib_at_old_protocols(brine, p, kind):
    assert finding_codes(brine, joblib_path(kind, p)) == EXPECTED_CODES[kind]


def inspect(brine, path):
    r = run(brine, "inspect", "--format", "json", path)
    assert r.returncode == 0, show(r)
    return json.loads(r.stdout)


def walk(node, parent_summarised=False):
    """(path, node, sampled) for every node; sampled: under a summarised container."""
    yield node["path"], node, parent_summarised
    for child in node.get("children", []):
        yield from walk(child, parent_summarised or "other" in node)


def node_sum_ok(node):
    """A node's bytes are its children's plus its own and folded parts: never less
    than the children's."""
    return node["bytes"] >= sum(c["bytes"] for c in node.get("children", []) if not c.get("reference"))


@pytest.mark.parametrize("kind", ["tfidf", "pipeline", "values"])
def test_inspect_is_the_same_across_protocols(brine, kind):
    reports = {p: inspect(brine, pickle_path(kind, p)) for p in PROTOCOLS}
    shapes = {}
    for p, report in reports.items():
        size = pickle_path(kind, p).stat().st_size
        assert report["root"]["bytes"] + report["overheadBytes"] == report["streamBytes"] == size
        nodes = list(walk(report["root"]))
        assert all(node_sum_ok(n) for _, n, _ in nodes)
        # what a model is made of does not depend on how it was pickled: paths,
        # types, counts, previews of values and the memory estimate of everything
        # outside sampled parts of summarised containers
        shapes[p] = {path: (n["type"], n.get("count"), n.get("value") if not n.get("reference") else None,
                            n["memory"] if not n.get("reference") else None)
                     for path, n, sampled in nodes if not sampled}
        shapes[p]["(memory)"] = report["memoryBytes"]
    for p in PROTOCOLS:
        assert shapes[p] == shapes[5], "protocol %d differs from 5: %s" % (p, sorted(
            (k, shapes[p].get(k), shapes[5].get(k)) for k in set(shapes[p]) | set(shapes[5])
            if shapes[p].get(k) != shapes[5].get(k))[:10])


@pytest.mark.parametrize("p", PROTOCOLS)
def test_values_read_as_python_loads_them(brine, p):
    """bytes are bytes (with their value), b'' is b'', a set is a set, the str
    is decoded from its protocol's spelling."""
    values = {n["path"]: n for n in inspect(brine, pickle_path("values", p))["root"]["children"]}
    loaded = load(pickle_path("values", p))
    assert values["['bytes']"]["type"] == "bytes" and values["['bytes']"]["value"] == repr(loaded["bytes"])
    assert values["['empty_bytes']"]["type"] == "bytes" and values["['empty_bytes']"]["value"] == "b''"
    assert values["['bytearray']"]["type"] == "bytearray"
    assert values["['set']"]["type"] == "set" and values["['set']"]["count"] == 3
    assert values["['str']"]["value"] == repr(loaded["str"])
    assert values["['padded']"]["value"] == repr(loaded["padded"])
    raw = values["['int64']"]["children"][0]["children"]
    assert any(c["type"] == "bytes" and c.get("value") == repr(loaded["int64"].tobytes()) for c in raw), raw


def test_diff_of_a_protocol_2_strip_names_only_the_cut(brine, tmp_path):
    src = pickle_path("tfidf", 2)
    out = tmp_path / "out.pkl"
    assert run(brine, "strip", "--preset", "deploy", src, "-o", out).returncode == 0
    r = run(brine, "diff", "--format", "json", src, out)
    assert r.returncode == 0, show(r)
    changes = json.loads(r.stdout)["changes"]
    gone = sorted(c["key"] for c in changes if c["after"] == 0)
    new = [c["key"] for c in changes if c["before"] == 0]
    assert new == [], new
    assert all(k.startswith(":: stop_words_") for k in gone), gone
    assert ":: stop_words_" in gone


def test_budget_of_a_protocol_2_file(brine):
    src = pickle_path("tfidf", 2)
    r = run(brine, "budget", "--format", "json", "--limit", "1MB", src)
    assert r.returncode == 0, show(r)
    report = json.loads(r.stdout)
    parts = {part["path"]: part for c in report["contributors"] for part in c["parts"]}
    assert parts["stop_words_"]["type"] == "set"
    assert parts["vocabulary_"]["type"] == "dict"
    codes = [f["code"] for f in report["findings"]]
    assert codes.count("training-only") == 1
