"""joblib's oldest compressed format, "ZF" (issue 26, items 5 and 14), against joblib itself:
fixtures/joblib/generate_zfile.py wrote the files with joblib 0.9.4 (21-byte header) and
joblib 0.8.4's Python 2 writer (22 bytes); the joblib of this venv loads both (its
numpy_pickle_compat), and brine must read the same pickle from each. Also: the codec's name
in text, the .npy.z side files, and a bzip2-compressed plain pickle's kind in bundles."""
import bz2
import json
import os
import pickle
import shutil
import subprocess
import zlib

import joblib
import numpy as np
import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ZFILE = os.path.join(ROOT, "fixtures", "joblib", "zfile")


def run(brine, *args):
    return subprocess.run([brine, *args], capture_output=True, text=True, timeout=120)


def read_zfile(path):
    """The pickle inside, read as joblib's read_zfile reads it: 'ZF', a 19-character hex
    length, one more space under joblib <= 0.8.4 / Python 2, then zlib."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:2] == b"ZF"
    length = int(data[2:21], 16)
    start = 22 if data[21:22] == b" " else 21
    pickled = zlib.decompress(data[start:])
    assert len(pickled) == length
    return pickled, start


@pytest.mark.parametrize("name,header", [("joblib094.pkl", 21), ("joblib084_py2.pkl", 22)])
def test_zfile_is_read_as_joblib_reads_it(brine, name, header):
    path = os.path.join(ZFILE, name)
    pickled, start = read_zfile(path)
    assert start == header
    loaded = joblib.load(path)
    result = run(brine, "inspect", "--format", "json", path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["compression"] == "joblibZF"  # the JSON value docs/json-schema.md lists
    assert report["streamBytes"] == len(pickled)
    assert report["fileBytes"] == os.path.getsize(path)
    assert sorted(c["path"] for c in report["root"]["children"]) == sorted(f"[{k!r}]" for k in loaded)
    assert report["root"]["bytes"] + report["overheadBytes"] == len(pickled)
    arrays = {c["path"]: c for c in report["root"]["children"] if c.get("array")}
    for key, value in loaded.items():
        if isinstance(value, np.ndarray):
            assert arrays[f"[{key!r}]"]["array"]["shape"] == list(value.shape)
    assert run(brine, "check", path).returncode in (0, 1)


def test_zfile_header_names_the_codec_in_words(brine):
    text = run(brine, "inspect", os.path.join(ZFILE, "joblib084_py2.pkl")).stdout.splitlines()[0]
    assert "joblib 0.9 zfile (zlib)" in text and "joblibZF" not in text


def test_side_file_is_named_not_misread(brine):
    path = os.path.join(ZFILE, "sidefile.pkl_01.npy.z")
    # joblib.load reads it through the pickle beside it, whose wrapper names it.
    loaded = joblib.load(os.path.join(ZFILE, "sidefile.pkl"))
    raw, _ = read_zfile(path)
    assert raw == np.ascontiguousarray(loaded["weights"]).tobytes()
    for command in ("inspect", "check", "dis"):
        result = run(brine, command, path)
        assert result.returncode == 2, (command, result.stderr)
        assert "side file" in result.stderr and "not a pickle opcode" not in result.stderr, (command, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert run(brine, "inspect", os.path.join(ZFILE, "sidefile.pkl")).returncode == 0


def test_bzip2_plain_pickle_is_a_pickle_in_bundles(brine, tmp_path):
    """budget and the bundle walker: a bzip2-compressed pickle with no joblib array wrapper is a
    pickle (its codec beside it); a joblib dump with arrays stays joblib."""
    folder = tmp_path / "app"
    folder.mkdir()
    with bz2.open(folder / "plain.pkl.bz2", "wb") as f:
        pickle.dump({"vocabulary": {"a": 1, "b": 2}}, f, protocol=4)
    joblib.dump({"w": np.arange(10.0)}, folder / "arrays.joblib.bz2", compress="bz2")
    assert pickle.loads(bz2.decompress((folder / "plain.pkl.bz2").read_bytes())) == {"vocabulary": {"a": 1, "b": 2}}
    report = json.loads(run(brine, "inspect", "--format", "json", str(folder)).stdout)
    kinds = {os.path.basename(c["path"]): (c["kind"], c.get("compression")) for c in report["root"]["children"]}
    assert kinds["plain.pkl.bz2"] == ("pickle", "bzip2")
    assert kinds["arrays.joblib.bz2"] == ("joblib", "bzip2")
    budget = run(brine, "budget", "--limit", "1GB", str(folder)).stdout
    assert "[pickle, bzip2]" in budget and "[joblib, bzip2]" in budget, budget


def _arrays(obj, path="", out=None):
    """path -> ndarray of every array joblib.load gives, named as brine names parts."""
    out = {} if out is None else out
    if isinstance(obj, np.ndarray):
        out[path] = obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _arrays(v, path + "[%r]" % (k,), out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _arrays(v, path + "[%d]" % i, out)
    elif hasattr(obj, "__dict__"):
        for k, v in vars(obj).items():
            _arrays(v, (path + "." + k) if path else k, out)
    return out


def _nodes(node, out=None):
    out = {} if out is None else out
    out[node["path"]] = node
    for c in node.get("children", []):
        _nodes(c, out)
    return out


@pytest.mark.parametrize("name", [
    "misc/joblib/joblib094_arrays.pkl",       # NDArrayWrapper: .npy side files
    "misc/joblib/sklearn017_arrays.pkl",      # sklearn.externals.joblib's NDArrayWrapper
    "joblib/zfile/sidefile.pkl",              # ZNDArrayWrapper: .npy.z side files
])
def test_side_file_arrays_are_the_arrays_joblib_loads(brine, name):
    """realworld R2: joblib < 0.10 keeps arrays in side files; joblib.load gives the arrays,
    and brine names each one's class, shape, dtype and bytes (not the wrapper's attributes)."""
    path = os.path.join(ROOT, "fixtures", name)
    try:
        loaded = joblib.load(path)
    except ModuleNotFoundError:  # sklearn.externals.joblib: the same classes under joblib's name
        pytest.skip("needs scikit-learn <= 0.20")
    arrays = _arrays(loaded)
    assert arrays, name
    report = json.loads(run(brine, "inspect", "--format", "json", "--depth", "99", path).stdout)
    nodes = _nodes(report["root"])
    for p, a in arrays.items():
        node = nodes.get(p)
        assert node is not None, (p, sorted(nodes)[:20])
        assert node["type"].rsplit(".", 1)[-1] == type(a).__name__, (p, node["type"], type(a))
        arr = node.get("array") or {}
        assert arr.get("shape") == list(a.shape), (p, arr)
        assert arr.get("dtype") == a.dtype.str, (p, arr, a.dtype.str)
        if not a.dtype.hasobject:
            assert arr.get("dataBytes") == a.nbytes, (p, arr)


def test_a_missing_side_file_is_said(brine, tmp_path):
    """The pickle alone (its .npy files not beside it): still the array's class, and the
    report names the side file that holds the data."""
    shutil.copy(os.path.join(ROOT, "fixtures", "misc", "joblib", "joblib094_arrays.pkl"), tmp_path / "alone.pkl")
    report = json.loads(run(brine, "inspect", "--format", "json", "--depth", "99", str(tmp_path / "alone.pkl")).stdout)
    wrapped = [n for n in _nodes(report["root"]).values() if "side file" in (n.get("value") or "")]
    assert wrapped, report
    assert all(n["type"].startswith("numpy.") and "joblib094_arrays.pkl_0" in n["value"] for n in wrapped)
