"""`brine check` against what Python really does with the same files.

Each finding Brine reports on fixtures/check is paired with the real failure (or success)
of loading the artifact with the pinned libraries in another process; hostile pickles are
shown to run their payload under Python and never under Brine.
"""
import glob
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "fixtures", "check")
FINDINGS = os.path.join(CHECK, "findings")
HOSTILE = sorted(glob.glob(os.path.join(CHECK, "hostile", "*")))


def check(brine, *args, cwd=None):
    result = subprocess.run([brine, "check", "--format", "json", *args], capture_output=True, text=True, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def load_in_python(path, pythonpath=None, cwd=None):
    """Loads an artifact in a fresh interpreter, as a server would."""
    code = ("import sys, joblib, pickle\n"
            "p = sys.argv[1]\n"
            "if p.endswith(('.tar.gz', '.zip')):\n"
            "    import io, tarfile, zipfile\n"
            "    if p.endswith('.zip'):\n"
            "        z = zipfile.ZipFile(p); members = {n: z.read(n) for n in z.namelist()}\n"
            "    else:\n"
            "        t = tarfile.open(p); members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}\n"
            "    # What the app's code does with the bundle's pickle member once deployed.\n"
            "    obj = [pickle.loads(b) for n, b in sorted(members.items()) if n.endswith('.pkl')]\n"
            "else:\n"
            "    obj = joblib.load(p) if '.joblib' in p else pickle.load(open(p, 'rb'))\n"
            "print(type(obj).__name__)\n")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, env=env,
                          cwd=cwd or ROOT)


def codes(document, severity=None):
    return {f["code"] for f in document["findings"] if severity is None or f["severity"] == severity}


def test_main_module_pipeline_fails_to_load_elsewhere_and_brine_says_why(brine):
    path = os.path.join(FINDINGS, "main_pipeline.pkl")
    loaded = load_in_python(path)
    assert loaded.returncode != 0
    assert "AttributeError: Can't get attribute" in loaded.stderr
    assert "on <module '__main__'" in loaded.stderr
    status, report = check(brine, path)
    assert status == 1
    main = [f for f in report["findings"] if f["code"] == "BR101"]
    assert {f["path"] for f in main} == {"steps[0][1].tokenizer", "steps[0][1].preprocessor"}
    missing = loaded.stderr.split("Can't get attribute '")[1].split("'")[0]
    assert any(f["message"].endswith(missing + ": defined in the training script, not importable on the server")
               for f in main)


def test_module_pipeline_resolves_exactly_where_python_does(brine):
    path = os.path.join(FINDINGS, "module_pipeline.pkl")
    for app, expected in (("app_ok", None), ("app_missing", "BR102"), ("app_moved", "BR104")):
        app_dir = os.path.join(CHECK, app)
        loaded = load_in_python(path, pythonpath=app_dir)
        status, report = check(brine, path, "--app-dir", app_dir)
        if expected is None:
            assert loaded.returncode == 0, loaded.stderr
            assert status == 0 and not codes(report, "error")
        else:
            assert loaded.returncode != 0
            assert ("ModuleNotFoundError" if expected == "BR102" else "AttributeError") in loaded.stderr
            assert status == 1 and codes(report, "error") == {expected}


def test_module_pipeline_predicts_once_the_app_is_on_the_path():
    code = ("import pickle, sys; m = pickle.load(open(sys.argv[1], 'rb'));"
            "print(list(m.predict(['good plot', 'awful acting'])))")
    result = subprocess.run([sys.executable, "-c", code, os.path.join(FINDINGS, "module_pipeline.pkl")],
                            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.path.join(CHECK, "app_ok")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[1, 0]"


def test_numpy2_dataframe_fails_under_numpy1_and_brine_reads_the_pin(brine):
    import numpy
    assert numpy.__version__.startswith("1.")
    path = os.path.join(FINDINGS, "numpy2_dataframe.pkl")
    loaded = load_in_python(path)
    assert loaded.returncode != 0
    assert "No module named 'numpy._core.numeric'" in loaded.stderr
    status, report = check(brine, path, "--requirements", os.path.join(FINDINGS, "requirements-numpy1.txt"))
    assert status == 1
    assert codes(report, "error") == {"BR202"}


@pytest.mark.parametrize("name", ["cloudpickle_byvalue.pkl", "dill_byvalue.pkl"])
def test_by_value_pickles_run_the_same_function_on_the_same_python(brine, name):
    import numpy as np
    code = ("import pickle, sys, numpy as np; m = pickle.load(open(sys.argv[1], 'rb'));"
            "print(m.named_steps['log'].func(np.array([0.0, 1.0])).tolist())")
    result = subprocess.run([sys.executable, "-c", code, os.path.join(FINDINGS, name)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == (np.log1p(np.array([0.0, 1.0])) * 2.0).tolist()
    status, report = check(brine, os.path.join(FINDINGS, name))
    assert status == 0
    assert [f["path"] for f in report["findings"] if f["code"] == "BR203"] == ["steps[0][1].func"]


def test_padded_categories_make_clean_input_encode_as_zeros(brine):
    import pickle
    with open(os.path.join(FINDINGS, "encoder_padded.pkl"), "rb") as f:
        encoders = pickle.load(f)
    assert encoders["onehot"].transform([["red"]]).toarray().tolist() == [[0.0, 0.0, 0.0]]
    with pytest.raises(ValueError):
        encoders["labels"].transform(["yes"])
    _, report = check(brine, os.path.join(FINDINGS, "encoder_padded.pkl"))
    places = {f["path"] for f in report["findings"] if f["code"] == "BR401"}
    assert places == {"['onehot'].categories_[0]", "['labels'].classes_"}


@pytest.mark.parametrize("path", HOSTILE, ids=os.path.basename)
def test_hostile_pickle_runs_under_python_and_never_under_brine(brine, path, tmp_path):
    scanned = tmp_path / "brine"
    scanned.mkdir()
    status, report = check(brine, path, cwd=str(scanned))
    assert status == 1
    assert any(f["code"] == "BR601" and f["severity"] == "error" for f in report["findings"])
    assert not (scanned / "brine-canary").exists()
    # The same file really is hostile: Python runs the payload.
    loaded = tmp_path / "python"
    loaded.mkdir()
    load_in_python(path, cwd=str(loaded))
    assert (loaded / "brine-canary").exists()


def test_hostile_corpus_is_not_empty():
    assert len(HOSTILE) >= 20
    assert any(p.endswith(".tar.gz") for p in HOSTILE) and any(p.endswith(".zip") for p in HOSTILE)


@pytest.mark.parametrize("name, member", [("model_payload.tar.gz", "code/word_dict.pkl"), ("lambda_payload.zip", "model/model.pkl")])
def test_hostile_bundle_names_the_member(brine, name, member, tmp_path):
    path = os.path.join(CHECK, "hostile", name)
    status, report = check(brine, path, cwd=str(tmp_path))
    assert status == 1
    assert {f["file"] for f in report["findings"] if f["code"] == "BR601"} == {path + "!" + member}
    assert not (tmp_path / "brine-canary").exists()
