"""brine decompile --full is Python that rebuilds the object: for every benign fixture
(every pickle protocol 0-5, joblib in every codec, scikit-learn models), the output is run
in a subprocess of this venv, in a temporary directory, with a timeout, and what it builds
is compared with what pickle.load / joblib.load return for the same file, in the same run
(deep equality; numpy arrays with array_equal; estimators also by their predictions).

Never run for fixtures/malformed or the check fixtures with dangerous globals."""
import glob
import os
import pickle
import pickletools
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "fixtures")


def benign():
    names = sorted(glob.glob(os.path.join(FIXTURES, "pickle", "*.pkl")))
    names += sorted(p for p in glob.glob(os.path.join(FIXTURES, "joblib", "*")) if os.path.isfile(p) and not p.endswith(".py"))
    names += sorted(p for p in glob.glob(os.path.join(FIXTURES, "models", "*"))
                    if os.path.isfile(p) and not p.endswith(".json"))
    names += sorted(glob.glob(os.path.join(FIXTURES, "check", "benign", "*")))
    return [os.path.relpath(p, FIXTURES) for p in names]


# Runs in the subprocess: loads the fixture the library's way, runs the decompiled code,
# compares. Out-of-band buffers, persistent ids and extension codes get the same stand-ins
# on both sides (the fixtures' own loader does the same: fixtures/generate.py, load_all).
DRIVER = textwrap.dedent(r'''
    import io, math, pickle, pickletools, sys
    sys.path.insert(0, FIXTURES)
    import fixturelib
    import numpy

    path, code_path, kind = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(path, "rb").read()
    n_buffers = 0
    if kind == "pickle":
        n_buffers = sum(1 for op, _, _ in pickletools.genops(io.BytesIO(data)) if op.name == "NEXT_BUFFER")
    buffers = [bytearray(b"buffer-%d" % i) for i in range(n_buffers)]
    if path.endswith("buffers_oob_p5.pkl"):
        # The buffers this fixture was written with (fixtures/generate.py, "out-of-band buffers").
        ro = numpy.arange(4, dtype=numpy.float64)
        ro.flags.writeable = False
        obj = {"writable_array": numpy.arange(6, dtype=numpy.int16).reshape(2, 3), "readonly_array": ro,
               "readonly_buf": pickle.PickleBuffer(b"readonly bytes"),
               "writable_buf": pickle.PickleBuffer(bytearray(b"writable bytearray"))}
        views = []
        pickle.dumps(obj, protocol=5, buffer_callback=views.append)
        buffers = [bytes(v.raw()) for v in views]

    def persistent_load(pid):
        return ("persistent", pid)

    class Loader(pickle.Unpickler):
        def persistent_load(self, pid):
            return persistent_load(pid)

    fixturelib.register_extensions()
    if kind == "joblib":
        import joblib
        expected = joblib.load(path)
    else:
        f = io.BytesIO(data)
        loaded = []
        while f.tell() < len(data):
            loaded.append(Loader(f, encoding="latin1", buffers=iter(list(buffers))).load())
        expected = loaded[0] if len(loaded) == 1 else loaded

    namespace = {"persistent_load": persistent_load, "buffers": list(buffers), "__name__": "decompiled"}
    exec(compile(open(code_path, encoding="utf-8").read(), code_path, "exec"), namespace)
    actual = namespace["result"] if "result" in namespace else namespace["results"]

    def same(a, b, seen):
        key = (id(a), id(b))
        if key in seen:
            return True
        seen[key] = (a, b)  # kept alive so that ids are not reused
        if type(a) is not type(b):
            raise AssertionError("type %r != %r" % (type(a), type(b)))
        if isinstance(a, numpy.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
            if a.dtype.hasobject:
                return all(same(x, y, seen) for x, y in zip(a.ravel(), b.ravel()))
            assert numpy.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), "array values differ"
            return True
        if isinstance(a, float):
            assert a == b or (math.isnan(a) and math.isnan(b)), (a, b)
            return True
        if isinstance(a, (list, tuple)):
            assert len(a) == len(b), (len(a), len(b))
            return all(same(x, y, seen) for x, y in zip(a, b))
        if isinstance(a, dict):
            assert list(a.keys()) == list(b.keys()), "dict keys differ"
            for k in a:
                same(a[k], b[k], seen)
        elif isinstance(a, (set, frozenset)):
            assert a == b, "sets differ"
        elif isinstance(a, memoryview):
            assert a.tobytes() == b.tobytes() and a.readonly == b.readonly
        elif hasattr(a, "equals") and hasattr(a, "dtypes"):   # pandas
            assert a.equals(b), "pandas objects differ"
        elif type(a).__eq__ is not object.__eq__:
            try:
                equal = a == b
                if isinstance(equal, bool):
                    assert equal, "%r != %r" % (a, b)
                    return True
            except Exception:
                pass
        state_a = getattr(a, "__dict__", None)
        if state_a is not None:
            same(state_a, b.__dict__, seen)
        for slot in getattr(type(a), "__slots__", ()):
            if hasattr(a, slot):
                same(getattr(a, slot), getattr(b, slot), seen)
        return True

    same(actual, expected, {})

    # Estimators: the same predictions on the same input, computed now.
    def estimators(obj):
        out = []
        stack = [obj]
        visited = set()
        while stack:
            item = stack.pop()
            if id(item) in visited:
                continue
            visited.add(id(item))
            if hasattr(item, "predict") and hasattr(item, "fit"):
                out.append(item)
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
        return out

    for rebuilt, original in zip(estimators(actual), estimators(expected)):
        n = getattr(original, "n_features_in_", None)
        X = numpy.random.RandomState(0).rand(7, n) if n else ["a small test sentence", "another one", "words words"]
        try:
            want = original.predict(X)
        except Exception:
            continue
        got = rebuilt.predict(X)
        assert numpy.array_equal(numpy.asarray(got), numpy.asarray(want)), "predictions differ"
        print("predictions equal:", type(original).__name__)
    print("ok")
''')


@pytest.mark.parametrize("name", benign())
def test_full_output_rebuilds_the_object(brine, tmp_path, name):
    path = os.path.join(FIXTURES, name)
    code = tmp_path / "decompiled.py"
    run = subprocess.run([brine, "decompile", "--full", path, "-o", str(code)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    text = code.read_text(encoding="utf-8")
    kind = "joblib" if "joblib file" in text.splitlines()[0] else "pickle"
    driver = tmp_path / "driver.py"
    driver.write_text("FIXTURES = %r\n" % FIXTURES + DRIVER)
    result = subprocess.run([sys.executable, str(driver), path, str(code), kind], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stdout[-2000:] + result.stderr[-4000:]


def test_protocols_are_all_covered():
    protocols = set()
    for name in benign():
        if name.startswith("pickle" + os.sep):
            with open(os.path.join(FIXTURES, name), "rb") as f:
                # PROTO when there is one (2+), else the newest opcode (0 or 1), as pickletools says.
                ops = list(pickletools.genops(f))
            proto = [arg for op, arg, _ in ops if op.name == "PROTO"]
            protocols.add(proto[0] if proto else max(op.proto for op, _, _ in ops))
    assert protocols >= {0, 1, 2, 3, 4, 5}


def test_summary_marks_dangerous_calls(brine, tmp_path):
    # Rendering only: this file is never run.
    hostile = sorted(glob.glob(os.path.join(FIXTURES, "check", "hostile", "*.pkl")))
    assert hostile
    out = subprocess.run([brine, "decompile", hostile[0]], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "# BR601 dangerous-global:" in out.stdout


# Summaries: the counts of a summarised container are every item the stream holds, read
# here from the same pickle by pickletools (so the count is computed, not recorded), for
# containers long enough to span many APPENDS/SETITEMS/ADDITEMS batches and frames, in
# every protocol that batches (1-5; protocol 0 appends one item at a time).
SUMMARY_DRIVER = textwrap.dedent(r'''
    import pickle, sys
    protocol, path = int(sys.argv[1]), sys.argv[2]
    obj = {
        "vocabulary_": {"w%d" % i: i for i in range(25000)},
        "stop_words_": {"s%d" % i for i in range(30000)},
        "mixed": [None, True, 1.5, b"xy", "z" * 300, 2 ** 40, -3] * 3000,
        "shared": ["again"] * 5000,
    }
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
''')


class Names(dict):
    """Every name a shown item uses evaluates to a distinct placeholder."""
    def __missing__(self, key):
        return object()


@pytest.mark.parametrize("protocol", [1, 2, 3, 4, 5])
def test_summary_counts_every_item(brine, tmp_path, protocol):
    import re
    path = tmp_path / ("long_p%d.pkl" % protocol)
    subprocess.run([sys.executable, "-c", SUMMARY_DRIVER, str(protocol), str(path)], check=True, timeout=120)
    out = subprocess.run([brine, "decompile", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    with open(path, "rb") as f:
        obj = pickle.load(f)
    # Each container is `[shown items, ... N more kinds, size ...]`, in the state literal or,
    # memoized and used, named first: `_var3 = {...}`, then `'name': _var3`; a set before
    # protocol 4 is `_var4 = set(_var3)` of a list.
    def container_text(name):
        named = re.search(r"'%s': (_var\d+)" % name, out.stdout)
        if not named:
            return out.stdout[out.stdout.index("'%s': " % name) + len(name) + 4:]
        variable = named.group(1)
        while True:
            line = re.search(r"(?m)^%s = (.*)$" % variable, out.stdout).group(1)
            call = re.fullmatch(r"\w+\((_var\d+)\)", line)
            if not call:
                return line
            variable = call.group(1)

    for name, value in obj.items():
        text = container_text(name)
        match = re.match(r"([\[{])(.*?)(?:, )?\.\.\. ([\d,]+) more ([^.]*?), [\d.]+ [KMG]?B \.\.\.", text)
        assert match, (name, text[:300])
        opening = match.group(1)
        # Shown items may name variables (protocols 1-2 pickle bytes as `_codecs.encode(...)` calls).
        shown = eval(opening + match.group(2) + {"[": "]", "{": "}"}[opening], {"__builtins__": {}}, Names()) if match.group(2) else []
        hidden = int(match.group(3).replace(",", ""))
        assert len(shown) + hidden == len(value), (name, len(shown), hidden, len(value))
        kinds = {k.strip() for k in match.group(4).split(",")}
        if isinstance(value, dict):
            assert kinds == {"str: int"}, kinds
        elif name == "mixed":
            assert kinds <= {"None", "bool", "float", "bytes", "str", "int"} and len(kinds) == 3, kinds  # the first three
        else:
            assert kinds == {"str"}, kinds


def test_full_output_of_a_bundle_member_rebuilds_it(brine, tmp_path):
    import tarfile
    bundle = os.path.join(FIXTURES, "bundles", "sagemaker", "model.tar.gz")
    for member in ("word_dict.pkl", "checkpoint.pkl"):
        code = tmp_path / ("%s.py" % member)
        run = subprocess.run([brine, "decompile", "--full", "--member", member, bundle, "-o", str(code)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert code.read_text(encoding="utf-8").startswith("# brine decompile %s!%s: pickle" % (bundle, member))
        with tarfile.open(bundle) as tar:
            (tmp_path / member).write_bytes(tar.extractfile(member).read())
        driver = tmp_path / "driver.py"
        driver.write_text("FIXTURES = %r\n" % FIXTURES + DRIVER)
        result = subprocess.run([sys.executable, str(driver), str(tmp_path / member), str(code), "pickle"],
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stdout[-2000:] + result.stderr[-4000:]
