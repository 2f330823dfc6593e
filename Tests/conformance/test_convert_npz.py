"""`brine convert FILE.joblib -o OUT.npz`: every numpy array joblib wrote becomes an npz member
that `np.load(OUT, allow_pickle=False)` reads and that equals the array `joblib.load` returns
(dtype, shape, memory order and values), for every pickle protocol and compression codec."""
import json
import os
import subprocess

import joblib
import numpy as np
import pytest
from conftest import leaves_by_name

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "fixtures", "models")


def convert(brine, src, dst, *args):
    return subprocess.run([brine, "convert", str(src), "-o", str(dst), "--format", "json", *args], capture_output=True, text=True)


def arrays_by_name(value):
    """ndarrays by brine's names (conftest's leaves_by_name); object arrays are not data. A
    lone array is numpy's default member name, arr_0."""
    arrays = leaves_by_name(value, lambda v: isinstance(v, np.ndarray))
    return {name or "arr_0": array for name, array in arrays.items() if array.dtype != object}


def assert_npz_equals(out, want):
    with np.load(out, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(want)
        for name, array in want.items():
            got = npz[name]
            # The file's byte order is kept; joblib.load (>= 1.3) swaps big-endian arrays to native.
            assert got.dtype == array.dtype or (not got.dtype.isnative and got.dtype.newbyteorder() == array.dtype), name
            assert got.shape == array.shape, name
            assert got.flags.f_contiguous == array.flags.f_contiguous, name
            assert np.array_equal(got, array, equal_nan=array.dtype.kind in "fc"), name


def sample(protocol):
    rng = np.random.default_rng(protocol)
    return {
        "weights": rng.normal(size=(40, 7)),
        "fortran": np.asfortranarray(rng.integers(-9, 9, size=(5, 6), dtype=np.int32)),
        "mask": rng.random(11) > 0.5,
        "half": rng.normal(size=(3, 3)).astype(np.float16),
        "when": np.array(["2024-01-01", "2025-06-30"], dtype="datetime64[D]"),
        "words": np.array(["a", "bcd", "ef"]),
        "big_endian": np.arange(4, dtype=">i8"),
        "scalar": np.float64(2.5) * np.ones(()),
        "nested": [np.arange(6, dtype=np.uint16).reshape(2, 3), {"deep": np.linspace(0, 1, 5, dtype=np.float32)}],
        "labels": np.array(["x", 1, None], dtype=object),
        "meta": {"epoch": 3, "name": "run"},
    }


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("compress", [0, ("zlib", 3), ("xz", 3), ("lz4", 3)])
def test_joblib_arrays_load_with_numpy_and_equal_joblib_load(brine, tmp_path, protocol, compress):
    src = tmp_path / "model.joblib"
    joblib.dump(sample(protocol), src, protocol=protocol, compress=compress)
    out = tmp_path / "arrays.npz"
    result = convert(brine, src, out)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    loaded = joblib.load(src)
    assert_npz_equals(out, arrays_by_name(loaded))
    dropped = {d["path"] for d in report["dropped"]}
    assert {"['labels']", "['meta']"} <= dropped


@pytest.mark.parametrize("name", ["numpy_model.joblib", "numpy_model.joblib.gz", "numpy_model.joblib.bz2", "random_forest.joblib"])
def test_fixture_models(brine, tmp_path, name):
    src = os.path.join(MODELS, name)
    out = tmp_path / "arrays.npz"
    result = convert(brine, src, out)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    with np.load(out, allow_pickle=False) as npz:
        written = set(npz.files)
    assert written == {t["name"] for t in report["tensors"]}
    if name.startswith("numpy_model"):
        assert_npz_equals(out, arrays_by_name(joblib.load(src)))
    else:
        # A forest's trees hold structured arrays (tree_.nodes): dropped, the plain ones written.
        assert any("structured" in d["what"] for d in report["dropped"])
        forest = joblib.load(src)
        with np.load(out, allow_pickle=False) as npz:
            assert np.array_equal(npz["classes_"], forest.classes_)
            assert np.array_equal(npz["estimators_.0.tree_.values"], forest.estimators_[0].tree_.value)


def test_strict_and_single_array(brine, tmp_path):
    src = tmp_path / "model.joblib"
    joblib.dump(sample(4), src)
    refused = convert(brine, src, tmp_path / "x.npz", "--strict")
    assert refused.returncode == 1 and "--strict" in refused.stderr
    assert not (tmp_path / "x.npz").exists()
    lone = tmp_path / "lone.joblib"
    joblib.dump(np.arange(10.0), lone)
    assert convert(brine, lone, tmp_path / "lone.npz", "--strict").returncode == 0
    assert_npz_equals(tmp_path / "lone.npz", {"arr_0": np.arange(10.0)})
    keyed = convert(brine, src, tmp_path / "k.npz", "--key", "nested")
    assert keyed.returncode == 0, keyed.stderr
    assert_npz_equals(tmp_path / "k.npz", arrays_by_name(joblib.load(src)["nested"]))
