"""`brine repack --allow-lossy`: float64 arrays of joblib files stored as float32, only when
nothing lossless fits, and the real libraries load the result with the expected precision."""
import json
import os
import shutil
import subprocess

import joblib
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "fixtures", "models")

HELD_OUT = [
    "the court ruled on the appeal this morning",
    "the team won the final match in extra time",
    "new processor benchmarks show faster graphics",
    "parliament votes on the budget next week",
    "a quiet evening with a good book and tea",
]


def run(brine, *args):
    return subprocess.run([brine, *args], capture_output=True, text=True, timeout=300)


def best_lossless(brine, path):
    """The smallest size the lossless plan reaches (strip, then every codec)."""
    r = run(brine, "repack", path, "--limit", "1B", "--dry-run", "--format", "json")
    assert r.returncode == 1, r.stderr
    plan = json.loads(r.stdout)
    return min([c["bytes"] for c in plan["candidates"]] + [plan["outputBytes"]]), plan


@pytest.mark.parametrize("name", ["numpy_model.joblib", "numpy_model.joblib.zlib", "numpy_model.joblib.xz"])
def test_float64_arrays_become_float32_only_with_the_flag(brine, tmp_path, name):
    source = os.path.join(MODELS, name)
    lossless, plan = best_lossless(brine, source)
    assert any("--allow-lossy would store 1 float64 array(s) as float32" in n for n in plan["notes"])
    limit = str(lossless - 1)
    out = tmp_path / name

    refused = run(brine, "repack", source, "-o", str(out), "--limit", limit)
    assert refused.returncode == 1 and not out.exists()
    assert "--allow-lossy would store" in refused.stdout

    done = run(brine, "repack", source, "-o", str(out), "--limit", limit, "--allow-lossy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "downcast float64 -> float32" in done.stdout and os.path.getsize(out) <= lossless - 1

    before, after = joblib.load(source), joblib.load(out)
    assert after["weights"].dtype == np.float32
    np.testing.assert_array_equal(after["weights"], before["weights"].astype(np.float32))
    # Everything else as it was.
    assert after["bias"].dtype == before["bias"].dtype
    np.testing.assert_array_equal(after["bias"], before["bias"])
    assert list(after["labels"]) == list(before["labels"]) and after["meta"] == before["meta"]


def test_a_scikit_learn_pipeline_predicts_the_same_labels(brine, tmp_path):
    source = os.path.join(MODELS, "pipeline_tfidf_lr.joblib")
    lossless, _ = best_lossless(brine, source)
    out = tmp_path / "pipeline.joblib"
    done = run(brine, "repack", source, "-o", str(out), "--limit", str(lossless - 1), "--allow-lossy")
    assert done.returncode == 0, done.stdout + done.stderr
    before, after = joblib.load(source), joblib.load(out)
    assert after.steps[1][1].coef_.dtype == np.float32
    assert list(after.predict(HELD_OUT)) == list(before.predict(HELD_OUT))
    np.testing.assert_allclose(after.decision_function(HELD_OUT), before.decision_function(HELD_OUT), rtol=1e-5, atol=1e-6)
    assert not hasattr(after.steps[0][1], "stop_words_"), "the deploy strip ran first"


def test_a_dtype_also_held_outside_the_arrays_is_left_alone(brine, tmp_path):
    source = tmp_path / "shared.joblib"
    # The dtype object is pickled first as a value, then named by the array through the memo.
    joblib.dump({"dtype": np.dtype("float64"), "weights": np.linspace(0, 1, 5000)}, source)
    out = tmp_path / "out.joblib"
    r = run(brine, "repack", str(source), "-o", str(out), "--limit", "10KB", "--allow-lossy")
    assert r.returncode == 1 and not out.exists()
    assert "also used by 1 other value" in r.stdout
    assert joblib.load(source)["dtype"] == np.float64


def test_values_beyond_float32_range_refuse_the_step(brine, tmp_path):
    source = tmp_path / "huge.joblib"
    joblib.dump({"weights": np.random.default_rng(0).random(5000) * 1e300}, source)
    r = run(brine, "repack", str(source), "-o", str(tmp_path / "out.joblib"), "--limit", "10KB", "--allow-lossy")
    assert r.returncode == 1 and not (tmp_path / "out.joblib").exists()
    assert "no downcast:" in r.stdout and "beyond float32's range" in r.stdout
    assert not [p for p in os.listdir(tmp_path) if "brine" in p], "no temporary or scratch file left"
