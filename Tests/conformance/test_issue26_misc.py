"""Issue 26, items 4, 7, 12, 13 and 14, against the real libraries in this run.

* Item 4: joblib files written through scikit-learn's vendored joblib
  (`sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper`) and by joblib < 0.10
  (`NDArrayWrapper`, arrays in side files): every command reads them; shapes, dtypes and
  bytes equal what today's joblib.load returns with `sklearn.externals.joblib` aliased to
  `joblib` (fixtures/misc/generate_sklearn020.py wrote them with scikit-learn 0.20.4 and
  joblib 0.9.4).
* Item 7: decompile --full of Python 2 pickles (written by Python 2.7, fixtures/misc/
  generate_py2.py) with non-ASCII STRING/BINSTRING/SHORT_BINSTRING runs and builds what
  pickle.loads(data, encoding='latin1') builds.
* Item 12: sbom names distributions from an installed environment's metadata
  (--python-env) and from a table whose rows match the wheels' own metadata.
* Item 13: sklearn-crfsuite's CRF (pycrfsuite classes) raises no BR602 and converts.
* Item 14: strip / convert / repack / decompile of a wheel or an sdist say what it is.
"""
import glob
import hashlib
import importlib.metadata
import io
import json
import os
import pickle
import pickletools
import subprocess
import sys
import tarfile
import textwrap
import zipfile

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "fixtures")
MISC = os.path.join(FIXTURES, "misc")
JOBLIB_DIR = os.path.join(MISC, "joblib")
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "brine", "wheels")

VENDORED = [os.path.join(JOBLIB_DIR, "sklearn020_arrays_p%d.joblib" % p) for p in range(5)]
CALIBRATED = [os.path.join(JOBLIB_DIR, n) for n in ("sklearn020_calibrated.joblib", "sklearn020_calibrated.joblib.z")]
SIDE_FILES = [os.path.join(JOBLIB_DIR, n) for n in ("joblib094_arrays.pkl", "sklearn017_arrays.pkl")]
CRF = [os.path.join(JOBLIB_DIR, n) for n in ("crfsuite_crf.pkl", "crfsuite_bundle.joblib")]
PY2 = [os.path.join(MISC, "py2", "py2_str_p%d.pkl" % p) for p in range(3)]


def run(brine, *args, check_exit=None, timeout=300):
    out = subprocess.run([brine, *args], capture_output=True, text=True, timeout=timeout)
    if check_exit is not None:
        assert out.returncode == check_exit, (args, out.returncode, out.stdout[-2000:], out.stderr[-2000:])
    return out


# Loads a joblib file with today's joblib, `sklearn.externals.joblib` aliased to joblib (what
# scikit-learn 0.21/0.22 did, and how such files are still loaded); classes of libraries this
# venv does not have (scikit-learn 0.20's sklearn.svm.classes, sklearn_crfsuite, pycrfsuite)
# become plain stand-ins holding their state, so joblib's own NumpyUnpickler reads every array.
LOADER = textwrap.dedent(r'''
    import importlib, sys, types, warnings
    warnings.simplefilter("ignore")
    import joblib, joblib.numpy_pickle
    sys.modules["sklearn.externals.joblib"] = joblib
    sys.modules["sklearn.externals.joblib.numpy_pickle"] = joblib.numpy_pickle

    class StandIn:
        def __init__(self, *args, **kwargs):
            self.args = args
        def __setstate__(self, state):
            self.__dict__["state"] = state

    class Loader(joblib.numpy_pickle.NumpyUnpickler):
        def find_class(self, module, name):
            try:
                return super().find_class(module, name)
            except (ImportError, AttributeError):
                return type(name, (StandIn,), {"__module__": module})

    def load(path):
        if path.endswith(".pkl") and "_arrays" in path:
            return joblib.load(path)        # NDArrayWrapper: side files next to it
        joblib.numpy_pickle.NumpyUnpickler, saved = Loader, joblib.numpy_pickle.NumpyUnpickler
        try:
            return joblib.load(path)
        finally:
            joblib.numpy_pickle.NumpyUnpickler = saved
''')


def arrays_by_path(path):
    """{tree path: (dtype.str, shape, bytes as hex sha256)} of every numpy array joblib loads."""
    code = LOADER + textwrap.dedent(r'''
        import hashlib, json, numpy
        out = {}
        def walk(value, path, seen):
            if id(value) in seen:
                return
            seen.add(id(value))
            if isinstance(value, numpy.ndarray):
                data = b"" if value.dtype.hasobject else numpy.ascontiguousarray(value).tobytes()
                out[path] = [value.dtype.str, list(value.shape), hashlib.sha256(data).hexdigest(),
                             bool(value.flags.f_contiguous and not value.flags.c_contiguous)]
            elif isinstance(value, dict):
                for k, v in value.items():
                    walk(v, "%s[%r]" % (path, k) if path else "[%r]" % (k,), seen)
            elif isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    walk(v, "%s[%d]" % (path, i), seen)
            elif hasattr(value, "__dict__"):
                for k, v in vars(value).items():
                    walk(v, "%s.%s" % (path, k) if path else k, seen)
        walk(load(sys.argv[1]), "", set())
        print(json.dumps(out))
    ''')
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def inspect_json(brine, path):
    out = run(brine, "inspect", "--format", "json", path, check_exit=0)
    return json.loads(out.stdout)


def nodes(node):
    yield node
    for child in node.get("children", []):
        yield from nodes(child)


# ---------------------------------------------------------------- item 4

@pytest.mark.parametrize("path", VENDORED + CALIBRATED, ids=os.path.basename)
def test_vendored_joblib_arrays_match_joblib_load(brine, path):
    """Every array joblib loads is an array in Brine's report with the same dtype, shape and
    byte count, and the file is a joblib file read to its end."""
    expected = arrays_by_path(path)
    assert expected, "joblib loaded no array"
    report = inspect_json(brine, path)
    assert report["format"] == "joblib"
    found = [n for n in nodes(report["root"]) if "array" in n]
    for dtype, shape, _, _ in expected.values():
        itemsize = np.dtype(dtype).itemsize
        matches = [n for n in found if n["array"]["shape"] == shape and
                   (np.dtype(dtype).hasobject or n["array"]["dataBytes"] == itemsize * int(np.prod(shape)))]
        assert matches, (dtype, shape, [n["array"] for n in found])
    # joblib writes an object array as a nested pickle of the array itself: Brine shows the
    # wrapper (storage "objects") with that ndarray inside; every other array is raw bytes.
    raw = [n for n in found if n["array"]["storage"] == "joblib"]
    assert len(raw) == len([v for v in expected.values() if not np.dtype(v[0]).hasobject])


@pytest.mark.parametrize("path", VENDORED, ids=os.path.basename)
def test_vendored_joblib_convert_gives_joblibs_bytes(brine, path, tmp_path):
    """brine convert writes each plain array with exactly the bytes joblib.load returns."""
    expected = arrays_by_path(path)
    out = str(tmp_path / "out.npz")
    run(brine, "convert", path, "-o", out, check_exit=0)
    with np.load(out) as npz:
        converted = {name: npz[name] for name in npz.files}
    plain = {k: v for k, v in expected.items() if not np.dtype(v[0]).hasobject}
    assert len(converted) == len(plain)
    for key, (dtype, shape, digest, _) in plain.items():
        name = key.strip("[]'")
        array = converted[name]
        assert list(array.shape) == shape
        # joblib.load swaps non-native byte order to native; the values are the same.
        assert array.dtype.newbyteorder("=") == np.dtype(dtype).newbyteorder("=")
        data = np.ascontiguousarray(array.astype(np.dtype(dtype))).tobytes()
        assert hashlib.sha256(data).hexdigest() == digest, name


ALL_FILES = VENDORED + CALIBRATED + SIDE_FILES + CRF


@pytest.mark.parametrize("path", ALL_FILES, ids=os.path.basename)
def test_every_command_reads_old_joblib_files(brine, path, tmp_path):
    for args in (["inspect"], ["check"], ["dis"], ["decompile"], ["sbom"], ["budget", "--limit", "10GB"],
                 ["diff", path], ["strip", "--preset", "deploy", "-o", str(tmp_path / "s")],
                 ["convert", "-o", str(tmp_path / "c.npz")]):
        out = run(brine, args[0], path, *args[1:])
        assert out.returncode in (0, 1), (args, out.returncode, out.stderr)
        assert "not a pickle opcode" not in out.stderr, (args, out.stderr)


@pytest.mark.parametrize("path", VENDORED, ids=os.path.basename)
def test_decompiled_vendored_joblib_rebuilds_what_joblib_loads(brine, path, tmp_path):
    code_path = tmp_path / "decompiled.py"
    code_path.write_text(run(brine, "decompile", "--full", path, check_exit=0).stdout, encoding="utf-8")
    driver = LOADER + textwrap.dedent(r'''
        import numpy
        expected = load(sys.argv[1])
        namespace = {"__name__": "decompiled"}
        exec(compile(open(sys.argv[2], encoding="utf-8").read(), sys.argv[2], "exec"), namespace)
        actual = namespace["result"]
        assert list(actual) == list(expected)
        for key in expected:
            a, b = actual[key], expected[key]
            assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape, key
            assert (a == b).all() if a.dtype.hasobject else numpy.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), key
        print("ok")
    ''')
    out = subprocess.run([sys.executable, "-c", driver, path, str(code_path)], capture_output=True, text=True,
                         timeout=300, cwd=str(tmp_path))
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize("path", CALIBRATED, ids=os.path.basename)
def test_stripped_vendored_joblib_loads_with_the_other_arrays_intact(brine, path, tmp_path):
    out = str(tmp_path / ("stripped" + os.path.splitext(path)[1]))
    run(brine, "strip", path, "--remove", "calibrated_classifiers_", "-o", out, check_exit=0)
    before = {k: v for k, v in arrays_by_path(path).items() if not k.startswith("calibrated_classifiers_")}
    after = arrays_by_path(out)
    assert before and after == before


@pytest.mark.parametrize("path", SIDE_FILES, ids=os.path.basename)
def test_side_file_wrappers_name_files_joblib_reads(brine, path):
    """joblib < 0.10: the stream is a plain pickle whose wrappers name side files; Brine calls
    it joblib and shows each wrapper's file name, the files today's joblib.load reads."""
    expected = arrays_by_path(path)
    report = inspect_json(brine, path)
    assert report["format"] == "joblib"
    text = run(brine, "inspect", "--depth", "50", path, check_exit=0).stdout
    side = sorted(os.path.basename(p) for p in glob.glob(path + "_*.npy"))
    assert side and len(side) == len([k for k, v in expected.items() if not np.dtype(v[0]).hasobject])
    for name in side:
        assert name in text, name
    # decompile says what joblib.load does with each wrapper (reads the side file).
    decompiled = run(brine, "decompile", "--full", path, check_exit=0).stdout
    assert decompiled.count("joblib.load replaces") == len(side), decompiled


def test_check_of_vendored_joblib_file_is_about_versions_not_security(brine, tmp_path):
    """scikit-learn 0.20's file: no dangerous or unknown global (sklearn.externals.joblib is
    scikit-learn's own module); with scikit-learn 1.4.2 pinned, the version skew is reported."""
    path = CALIBRATED[0]
    out = run(brine, "check", "--format", "json", path)
    findings = json.loads(out.stdout)["findings"]
    assert not [f for f in findings if f["code"].startswith("BR6")], findings
    import sklearn
    pins = tmp_path / "requirements.txt"
    pins.write_text("scikit-learn==%s\njoblib==%s\nnumpy==%s\n" % (sklearn.__version__, importlib.metadata.version("joblib"),
                                                                   np.__version__))
    out = run(brine, "check", "--format", "json", "--requirements", str(pins), path)
    findings = json.loads(out.stdout)["findings"]
    # The version the file records: scikit-learn's own InconsistentVersionWarning names it on load.
    code = LOADER + textwrap.dedent(r'''
        import json
        from sklearn.exceptions import InconsistentVersionWarning
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            load(sys.argv[1])
        print(json.dumps(sorted({w.message.original_sklearn_version for w in caught
                                 if isinstance(w.message, InconsistentVersionWarning)})))
    ''')
    versions = json.loads(subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=300,
                                         check=True).stdout)
    assert len(versions) == 1, versions
    recorded = versions[0]
    assert [f for f in findings if f["code"] == "BR201" and recorded in f["message"]], findings


# ---------------------------------------------------------------- item 7

@pytest.mark.parametrize("path", PY2, ids=os.path.basename)
def test_decompiled_python2_str_is_what_latin1_loading_builds(brine, path, tmp_path):
    data = open(path, "rb").read()
    ops = {op.name for op, _, _ in pickletools.genops(data)} if not path.endswith("p0.pkl") else {"STRING"}
    assert ops & {"STRING", "BINSTRING", "SHORT_BINSTRING"}
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(data)   # the default encoding='ASCII' refuses these str
    code_path = tmp_path / "decompiled.py"
    code_path.write_text(run(brine, "decompile", "--full", path, check_exit=0).stdout, encoding="utf-8")
    driver = textwrap.dedent(r'''
        import pickle, sys
        expected = pickle.loads(open(sys.argv[1], "rb").read(), encoding="latin1")
        namespace = {"__name__": "decompiled"}
        exec(compile(open(sys.argv[2], encoding="utf-8").read(), sys.argv[2], "exec"), namespace)
        actual = namespace["result"]
        def same(a, b):
            assert type(a) is type(b), (a, b)
            if isinstance(a, dict):
                assert list(a) == list(b)
                for k in a:
                    same(a[k], b[k])
            elif isinstance(a, (list, tuple)):
                assert len(a) == len(b)
                for x, y in zip(a, b):
                    same(x, y)
            else:
                assert a == b, (a, b)
        same(actual, expected)
        print("ok")
    ''')
    out = subprocess.run([sys.executable, "-c", driver, path, str(code_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize("path", PY2, ids=os.path.basename)
def test_inspect_reads_python2_str_as_latin1_too(brine, path):
    """inspect's tree paths spell the keys as latin-1 loading does ('clé' in UTF-8 is 'clÃ©')."""
    expected = pickle.loads(open(path, "rb").read(), encoding="latin1")
    report = inspect_json(brine, path)
    paths = {n.get("path") for n in nodes(report["root"])}
    for key in expected:
        assert "[%r]" % key in paths, (key, sorted(p for p in paths if p))


# ---------------------------------------------------------------- item 12

WHEELS = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "distribution_wheels.json")))["wheels"]


def normalize(name):
    return name.lower().replace("_", "-").replace(".", "-")


def cached_wheel(row):
    """The pinned wheel, downloaded by pip once into ~/.cache/brine/wheels, checked by sha256."""
    path = os.path.join(CACHE, row["file"])
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux2014_x86_64",
                        "--implementation", "cp", "-d", CACHE, row["requirement"]], check=True, timeout=600)
    with open(path, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == row["sha256"], path
    return path


def wheel_metadata(path):
    """(METADATA's Name, Version, top-level modules per top_level.txt or else RECORD, which file)."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        meta = z.read(info + "/METADATA").decode()
        fields = dict(line.split(": ", 1) for line in meta.splitlines() if ": " in line and not line.startswith(" "))
        if info + "/top_level.txt" in names:
            tops = set(z.read(info + "/top_level.txt").decode().split())
            evidence = "top_level.txt"
        else:
            tops = {n.split("/")[0] for n in names if "/" in n and not n.split("/")[0].endswith((".dist-info", ".data"))}
            evidence = "RECORD"
    return fields["Name"], fields["Version"], tops, evidence


def global_pickle(tmp_path, module, name="Thing"):
    """A protocol 0 pickle that is one GLOBAL: loading it imports `module`."""
    path = tmp_path / ("%s.pkl" % module.replace(".", "_"))
    path.write_bytes(b"c" + module.encode() + b"\n" + name.encode() + b"\n.")
    return str(path)


def libraries(brine, *args):
    bom = json.loads(run(brine, "sbom", *args, check_exit=0).stdout)
    return {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}
            for c in bom["components"] if c["type"] == "library"}


@pytest.mark.parametrize("row", WHEELS, ids=lambda r: r["import"])
def test_table_rows_are_what_the_wheels_install(brine, row, tmp_path):
    """The distribution sbom names for an import is the one whose wheel installs it (its
    METADATA Name; the import in its top_level.txt, else its RECORD), and the row cites it."""
    name, version, tops, evidence = wheel_metadata(cached_wheel(row))
    assert row["import"] in tops, (row, tops)
    found = libraries(brine, global_pickle(tmp_path, row["import"] + ".sub"))
    assert len(found) == 1, found
    listed, properties = next(iter(found.items()))
    assert normalize(listed) == normalize(name)
    source = properties["brine:distribution-source"]
    assert source.startswith("Brine's table: ") and version in source and evidence in source, source
    assert "brine:distribution" not in properties   # not a guess


INSTALLED = ["sklearn", "numpy", "scipy", "joblib", "pandas", "dateutil", "pytz", "attr", "yaml", "cloudpickle", "dill",
             "lightgbm"]


@pytest.mark.parametrize("top", INSTALLED)
def test_table_rows_match_this_environment(brine, top, tmp_path):
    """Rows for what this venv installs agree with importlib.metadata.packages_distributions()."""
    expected = {normalize(d) for d in importlib.metadata.packages_distributions()[top]}
    found = libraries(brine, global_pickle(tmp_path, top + ".sub"))
    assert {normalize(n) for n in found} <= expected and len(found) == 1, (found, expected)


def test_unknown_import_is_a_guess_and_says_so(brine, tmp_path):
    found = libraries(brine, global_pickle(tmp_path, "nosuchthing_xyz.mod"))
    assert list(found) == ["nosuchthing-xyz"]
    properties = found["nosuchthing-xyz"]
    assert properties["brine:distribution-source"].startswith("guess: ")
    assert "brine:distribution" in properties


def test_python_env_names_distributions_from_installed_metadata(brine, tmp_path):
    """--python-env DIR: the names come from DIR's dist-info (a site-packages made by unpacking
    the pinned wheels, as pip installs them), read here with importlib.metadata."""
    site = tmp_path / "site-packages"
    for row in WHEELS:
        if row["import"] in ("pycrfsuite", "sklearn_crfsuite"):
            with zipfile.ZipFile(cached_wheel(row)) as z:
                z.extractall(site)
    dists = {normalize(d.metadata["Name"]): d for d in importlib.metadata.distributions(path=[str(site)])}
    assert set(dists) == {"python-crfsuite", "sklearn-crfsuite"}
    assert "pycrfsuite" in dists["python-crfsuite"].read_text("top_level.txt").split()
    found = libraries(brine, "--python-env", str(site), CRF[0])
    assert "python-crfsuite" in found and "pycrfsuite" not in found, found
    crfsuite = found["python-crfsuite"]
    assert crfsuite["brine:distribution-source"].startswith("installed: python_crfsuite-")
    assert crfsuite["brine:installed-version"] == dists["python-crfsuite"].version
    assert found["sklearn-crfsuite"]["brine:installed-version"] == dists["sklearn-crfsuite"].version
    # numpy is not in DIR: the table names it.
    assert found["numpy"]["brine:distribution-source"].startswith("Brine's table: ") if "numpy" in found else True


def test_python_env_of_this_venv_agrees_with_packages_distributions(brine):
    path = os.path.join(FIXTURES, "models", "pipeline_tfidf_lr.pkl")
    found = libraries(brine, "--python-env", sys.prefix, path)
    mapping = importlib.metadata.packages_distributions()
    for name, properties in found.items():
        tops = {m.split(".")[0] for m in properties["brine:imports"].split(", ")}
        for top in tops:
            assert name in mapping[top], (name, top, mapping[top])
        assert properties["brine:installed-version"] == importlib.metadata.version(name)
        assert properties["brine:distribution-source"].startswith("installed: ")


# ---------------------------------------------------------------- item 13

def pickled_globals(path):
    found = set()
    data = open(path, "rb").read()
    stack = []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            stack.append(arg)
        if op.name in ("GLOBAL", "INST"):
            found.add(arg.replace(" ", "."))
        if op.name == "STACK_GLOBAL":
            found.add(stack[-2] + "." + stack[-1])
        if op.name == "STOP":
            break
    return found


def test_crfsuite_model_has_no_unknown_global(brine):
    """sklearn-crfsuite's CRF holds a pycrfsuite TrainLogParser: a known library's own pickle."""
    path = CRF[0]
    assert "pycrfsuite._logparser.TrainLogParser" in pickled_globals(path)
    out = run(brine, "check", "--format", "json", path)
    findings = json.loads(out.stdout)["findings"]
    assert not [f for f in findings if f["code"] in ("BR601", "BR602")], findings
    assert out.returncode == 0, out.stdout


def test_crfsuite_declared_covers_what_its_model_imports(brine, tmp_path):
    """requirements naming sklearn-crfsuite cover pycrfsuite: its wheel requires python-crfsuite
    (METADATA Requires-Dist), whose wheel installs pycrfsuite (top_level.txt)."""
    rows = {r["import"]: r for r in WHEELS}
    with zipfile.ZipFile(cached_wheel(rows["sklearn_crfsuite"])) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requires = {normalize(line.split(":", 1)[1].split(";")[0].strip().split()[0].split(">")[0].split("=")[0].split("<")[0])
                for line in meta.splitlines() if line.startswith("Requires-Dist:")}
    assert "python-crfsuite" in requires, requires
    assert "pycrfsuite" in wheel_metadata(cached_wheel(rows["pycrfsuite"]))[2]
    pins = tmp_path / "requirements.txt"
    pins.write_text("sklearn-crfsuite\n")
    out = run(brine, "check", "--format", "json", "--requirements", str(pins), CRF[0])
    findings = json.loads(out.stdout)["findings"]
    assert not [f for f in findings if f["code"] in ("BR102", "BR103", "BR602")], findings


def test_crfsuite_model_is_not_refused_by_convert(brine, tmp_path):
    out = run(brine, "convert", CRF[0], "-o", str(tmp_path / "crf.npz"))
    assert "refusing" not in out.stderr, out.stderr
    out = run(brine, "convert", CRF[1], "-o", str(tmp_path / "bundle.npz"), check_exit=0)
    expected = arrays_by_path(CRF[1])
    with np.load(str(tmp_path / "bundle.npz")) as npz:
        assert npz.files == ["embeddings"]
        dtype, shape, digest, _ = expected["['embeddings']"]
        assert npz["embeddings"].dtype.str == dtype and list(npz["embeddings"].shape) == shape
        assert hashlib.sha256(npz["embeddings"].tobytes()).hexdigest() == digest


def test_convert_still_refuses_dangerous_and_unknown_globals(brine, tmp_path):
    """docs/convert.md: BR601 and BR602 input is refused (exit 1) without --allow-unsafe-input."""
    hostile = os.path.join(FIXTURES, "check", "hostile", "pipeline_payload.joblib")
    out = run(brine, "convert", hostile, "-o", str(tmp_path / "h.npz"), check_exit=1)
    assert "refusing to convert" in out.stderr and "BR601" in out.stderr
    unknown = global_pickle(tmp_path, "nosuchthing_xyz.mod")
    out = run(brine, "convert", unknown, "-o", str(tmp_path / "u.npz"), check_exit=1)
    assert "refusing to convert" in out.stderr and "BR602" in out.stderr


# ---------------------------------------------------------------- item 14

@pytest.fixture(scope="module")
def wheel_and_sdist(tmp_path_factory):
    """A real wheel (the pinned sklearn-crfsuite 0.5.0) and an sdist-shaped tar.gz of its files."""
    row = next(r for r in WHEELS if r["import"] == "sklearn_crfsuite")
    wheel = cached_wheel(row)
    directory = tmp_path_factory.mktemp("bundles")
    sdist = str(directory / "sklearn-crfsuite-0.5.0.tar.gz")
    with zipfile.ZipFile(wheel) as z, tarfile.open(sdist, "w:gz") as t:
        names = [n for n in z.namelist() if not n.endswith("/")]
        for n in names:
            data = z.read(n)
            # An sdist's root: name-version/, its metadata in PKG-INFO there.
            target = "sklearn-crfsuite-0.5.0/" + ("PKG-INFO" if n.endswith(".dist-info/METADATA") else n)
            info = tarfile.TarInfo(target)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(wheel) as z:
        wheel_files = len([n for n in z.namelist() if not n.endswith("/")])
    return {"wheel": (wheel, "zip", wheel_files, "a Python wheel"), "sdist": (sdist, "gzip-compressed tar", wheel_files, "a Python sdist")}


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
@pytest.mark.parametrize("command", ["strip", "convert"])
def test_single_artifact_commands_say_a_bundle_is_one(brine, wheel_and_sdist, kind, command, tmp_path):
    path, codec, files, what = wheel_and_sdist[kind]
    args = {"strip": ["--preset", "deploy", "-o", str(tmp_path / "o.pkl")], "convert": ["-o", str(tmp_path / "o.npz")]}
    out = run(brine, command, path, *args[command], check_exit=2)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("brine: %s: offset 0: a %s bundle of %d files (%s" % (path, codec, files, what)), line
    assert "brine %s reads one pickle, joblib or PyTorch file" % command in line
    assert "not a pickle opcode" not in line and "malformed pickle" not in line
    assert not os.listdir(tmp_path)


def test_repack_of_a_wheel_says_what_it_is(brine, wheel_and_sdist, tmp_path):
    path, codec, files, what = wheel_and_sdist["wheel"]
    out = run(brine, "repack", path, "--limit", "1GB", "-o", str(tmp_path / "o.whl"), check_exit=2)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "a zip bundle of %d files (a Python wheel" % files in lines[0], lines
    assert "brine repack reads one pickle, joblib or PyTorch file, or a tarball" in lines[0]


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_bundle_commands_say_there_is_nothing_to_read(brine, wheel_and_sdist, kind):
    path, codec, files, what = wheel_and_sdist[kind]
    out = run(brine, "decompile", path, check_exit=0)
    assert "no pickle, joblib or PyTorch file in this bundle" in out.stdout
    out = run(brine, "dis", path, check_exit=0)
    # A successful run says so on stdout (exit 0): the malformed corpus
    # keeps stderr for failures only.
    assert "with no pickle, joblib or PyTorch file in it" in out.stdout and what in out.stdout, out.stdout
    assert out.stderr == "", out.stderr
