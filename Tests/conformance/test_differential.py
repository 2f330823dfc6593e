"""Differential property tests: Brine against CPython's unpickler and joblib (issue 26).

Object graphs (oracle.Gen) are written at protocols 0-5 through pickle and joblib (every
codec), raw opcode streams that pickle never writes (oracle.StreamGen) are validated by
pickle.loads with a restricted find_class, and Brine's JSON must agree with what Python
loads: paths, types, counts, scalar values, global names, sizes summing to the stream.
`dis` must equal pickletools byte for byte, `decompile --full` must rebuild the same object,
`strip --remove` must leave exactly the input minus that key, `diff A A` shows nothing,
`check` and `sbom` accept every valid input.

Fixed seed (hypothesis derandomize) and a budget: BRINE_DIFF_EXAMPLES examples per property
(default below, about 3 minutes with the debug binary on 2 cores). `make fuzz-diff` runs
the same generators for as long as asked (oracle.py fuzz). BRINE_ORACLE_TOLERATE (see
oracle.KNOWN) looks past reported divergences; by default nothing is tolerated.
"""

import io
import json
import os
import pickle
import pickletools
import random
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import oracle  # noqa: E402

EXAMPLES = int(os.environ.get("BRINE_DIFF_EXAMPLES", "4"))
BATCH = int(os.environ.get("BRINE_DIFF_BATCH", "12"))

SETTINGS = settings(
    # no shrinking in the budgeted run: each step is a brine process; the failing input is
    # kept in .build/fuzz-diff and its regression case is the minimal one
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck))


def fail_with(divergences, what, data=None, tmp_path=None):
    if not divergences:
        return
    msg = "%s: %d divergences\n  %s" % (what, len(divergences), "\n  ".join(d[:400] for d in divergences[:20]))
    if data is not None:
        keep = Path(os.environ.get("BRINE_DIFF_KEEP", str(HERE.parents[1] / ".build" / "fuzz-diff")))
        keep.mkdir(parents=True, exist_ok=True)
        name = keep / ("divergence-%s.bin" % abs(hash(data)))
        name.write_bytes(data)
        msg += "\n  input kept as %s" % name
    pytest.fail(msg, pytrace=False)


def cases_from(rnd, n=BATCH, budget=6000):
    gen = oracle.Gen(rnd, budget=budget)
    objs = []
    for _ in range(n):
        gen.pool = []
        objs.append(gen.case())
    return objs


# --------------------------------------------------------------------------------------
# Regressions: each divergence found, as the smallest input that shows it. They fail until
# the engine is fixed (issue 26 items 1-3; /work/notes/divergences.md D1-...).

def _stack_global_from_memo():
    # issue 26 item 3, byte for byte as the issue gives it
    return (b"\x80\x04" + b"\x8c\x0bcollections" + b"q\x00" + b"0" + b"\x8c\x0bOrderedDict" +
            b"q\x01" + b"0" + b"h\x00" + b"h\x01" + b"\x93" + b")" + b"R" + b".")


def _f(number):
    """BINFLOAT `number`."""
    return b"G" + __import__("struct").pack(">d", number)


REGRESSIONS = {
    # issue 26 item 1: tuples after item 1,000
    "item1_tuples_after_1000_p4": lambda: pickle.dumps([(i,) for i in range(1001)], 4),
    "item1_pairs_after_1000_p2": lambda: pickle.dumps([(i, i) for i in range(1001)], 2),
    "item1_dict_of_tuples_p5": lambda: pickle.dumps({i: (i, i, i) for i in range(1001)}, 5),
    "item1_set_of_tuples_p4": lambda: pickle.dumps({(i, "a") for i in range(1001)}, 4),
    # D6: the same at protocols 0/1 (MARK ... TUPLE): a silent wrong count
    "D6_tuples_after_1000_p1": lambda: pickle.dumps([(i, "a") for i in range(1001)], 1),
    "D6_tuples_after_1000_p0": lambda: pickle.dumps([(i, "a") for i in range(1001)], 0),
    # issue 26 item 2: memoised strings as keys
    "item2_memo_keys_p4": lambda: pickle.dumps(
        {"model_type": "rnn", "dec": {"rnn": {"weight": [1.0]}}}, 4),
    "item2_memo_keys_p2": lambda: pickle.dumps(
        {"model_type": "rnn", "dec": {"rnn": {"weight": [1.0]}}}, 2),
    "item2_memo_bytes_keys_p2": lambda: pickle.dumps({"v": b"k", "d": {b"k": 1}}, 2),
    # issue 26 item 3
    "item3_stack_global_from_memo": _stack_global_from_memo,
    "item3_global_name_reused_p4": lambda: pickle.dumps(
        ["OrderedDict", "collections", OrderedDict(a=1)], 4),
    # D1: summarised dicts count every key
    "D1_dict_elements_keys": lambda: pickle.dumps({str(i): i for i in range(65)}, 4),
    "D1_dict_elements_keys_of_object_values": lambda: pickle.dumps({i: [i] for i in range(200)}, 4),
    # D2: keys shown by their repr
    "D2_key_repr": lambda: pickle.dumps({None: 1, 1.5: 2, (1, 2): 3, b"k": 4, True: 5}, 4),
    "D2_big_int_key": lambda: pickle.dumps({2**70: 1, -2**64: 2}, 4),
    # D3: lone surrogates
    "D3_surrogate_value": lambda: pickle.dumps(["x\ud800y", {"k\udfff": 1}], 4),
    # D4: long bytes and big ints have a value
    "D4_long_values": lambda: pickle.dumps([b"y" * 61, 2**63, -2**64], 4),
    # D5: a root scalar has a value
    "D5_root_scalar": lambda: pickle.dumps(-1, 4),
    # D7: an empty tuple has count 0
    "D7_empty_tuple": lambda: pickle.dumps([(), {()}], 4),
    # D9: a tuple's MARK right above a summarised list is not an APPENDS batch
    "D9_tuple_mark_above_summarised_list_p0": lambda: pickle.dumps([0] * 65 + [(None, None)], 0),
    "D9_tuple_mark_above_summarised_set_p0": lambda: pickle.dumps(set(range(65)) | {(None, None)}, 0),
    # D11: what numpy loads for a big-endian array pickled at protocol 4
    "D11_numpy_big_endian_p4": lambda: pickle.dumps(
        __import__("numpy").frombuffer(bytes(range(8)), dtype=">i4").copy(), 4),
    # D12: a memo index stored twice holds the second value (CPython's memo is a dict)
    "D12_memo_index_overwritten": lambda: b"\x80\x04]\x94(\x8c\x03rnnq\x03\x8c\x01xq\x03h\x03e.",
    "D12_stack_global_operands_same_index": lambda: (
        b"\x80\x04\x8c\x0bcollectionsq\x00\x8c\x0bOrderedDictq\x00\x93)R."),
    # D13: a shortened value quotes as repr of the whole string does
    "D13_shortened_value_quotes": lambda: pickle.dumps(["'" + "a" * 100 + '"'], 4),
    # D14: protocols 0-2, bytes whose latin-1 text is a memoised str (the argument is a GET)
    "D14_codecs_encode_argument_from_memo_p2": lambda: pickle.dumps(["<", b"<"], 2),
    "D14_codecs_encode_argument_from_memo_p0": lambda: pickle.dumps(["<", b"<"], 0),
    # D8: a key set twice counts once (the last value wins), as CPython loads it
    "D8_duplicate_key": lambda: b"\x80\x04}(\x8c\x01aK\x01\x8c\x01aK\x02u.",
    "D8_duplicate_set_element": lambda: b"\x80\x04(K\x01K\x01\x91.",
    # D15: set elements and dict keys equal as Python numbers merge (1 == True == 1.0, 0 == -0.0)
    "D15_set_equal_numbers": lambda: (b"\x80\x04\x8f(" + _f(1.5) + _f(1.5) + _f(-0.0) + b"K\x00\x88" + _f(1.0)
                                      + b"\x90."),
    "D15_frozenset_equal_floats": lambda: b"\x80\x04(" + _f(-0.0) + _f(-0.0) + b"\x8a\x02\x01\x02\x91.",
    "D15_dict_numeric_keys": lambda: (b"\x80\x04}(K\x01X\x01\x00\x00\x00a\x88X\x01\x00\x00\x00b" + _f(1.0)
                                      + b"X\x01\x00\x00\x00c" + _f(-0.0) + b"NK\x00Nu."),
    # D16: a GET of a memoized float or bool pushes its value
    "D16_get_of_float_and_bool": lambda: b"\x80\x04](" + _f(1.5) + b"q\x00h\x00\x88q\x01h\x01e.",
    # D17: a store over an index whose earlier value is still on the stack: a GET after it
    # fetches the new value, whatever the earlier one's text
    "D17_store_over_pending_key": lambda: (
        b"\x80\x05\x8c\x0bOrderedDictq\x010}(\x8c\x03rnn\x8c\x0bcollectionsh\x01\x93)R(\x8c\x03rnnr\x02\x00\x00\x00"
        b"](\x8c\x05Thingq\x03}(h\x03\x8c\x0bcollectionsr\x02\x00\x00\x00\x8c\x03decq\x04\x8c\x05Thingueuh\x04("
        b"\x8c\x0bcollectionsh\x01\x93)R(h\x02JX\xb3\xe0\xe1utu."),
    # D18: GETs of entries the fast path stored (a list batch): their values and surrogates
    "D18_get_of_fast_path_entries": lambda: (
        b"\x80\x04](\x8c\x03\xed\xa0\x80\x94K\x07\x94" + _f(2.5) + b"\x94\x88\x94\x8c\x01a\x94e"
        b"}(h\x00Nh\x01Nh\x02Nh\x03Nu\x86."),
    # D19: a GET stored again under an index that a later store replaces keeps its text
    "D19_get_stored_again_then_overwritten": lambda: (
        b"\x80\x03\x8c\x05Thingq\x000\x8c\x01xr\x01\x00\x00\x000j\x01\x00\x00\x0020q\x00"
        b"\x8c\x03rnnrp\x11\x01\x000."),
    # D20 (third long run): the lone-surrogate text of memo index 1 in one pickle showed for
    # index 1 of the next pickle, which the fast path stored ('a'): per-memo facts now live
    # in the memo, which each pickle starts afresh
    "D20_surrogate_text_of_the_previous_pickle": lambda: (
        b"\x80\x04N\x940\x8c\x03\xed\xa0\x80\x94." + b"\x80\x04]\x94(" + b"K\x05" * 70 + b"e(\x8c\x01a\x94K\x01eh\x01\x86."),
    # The oracle's own (third long run): a GET of bytes shown first, with no value, took the
    # element another part shows (frozenset({b'\x1b', b'\xc1', 63479}) of seed 2041, batch 232)
    "oracle_reference_part_matched_last": lambda: (
        b"\x80\x04](C\x01\xc1\x94(C\x01\x1bj\x00\x00\x00\x00M\xf7\xf7\x91e."),
    # items 1 and 3 reached by plain pickle.dumps through REDUCE arguments and reused names
    "item1_complex_after_1000_p4": lambda: pickle.dumps({i: complex(i, 1) for i in range(1001)}, 4),
}


# A regression tests its own divergence: another one its input also shows is left to that
# one's own case (the dicts of objects below also show D1).
ALSO_SHOWS = {
    "item1_dict_of_tuples_p5": {"dict-elements"},
    "item1_complex_after_1000_p4": {"dict-elements"},
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_regression(brine, tmp_path, name):
    data = REGRESSIONS[name]()
    path = tmp_path / (name + ".pkl")
    path.write_bytes(data)
    # numpy's arrays need numpy's globals: the graphs' own loader (a real numpy load)
    loader = oracle.loads_all if name.startswith("D11_") else oracle.safe_loads_all
    div = oracle.check_file(brine, path, data, loader=loader, tolerate=ALSO_SHOWS.get(name, set()))
    fail_with(div, name)


# --------------------------------------------------------------------------------------
# Object graphs through pickle, protocols 0-5, many pickles per file


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_pickle_graphs_agree(brine, tmp_path_factory, rnd):
    objs = cases_from(rnd)
    tmp = tmp_path_factory.mktemp("graphs")
    for proto in oracle.PROTOCOLS:
        path, data = oracle.write_pickle_batch(objs, proto, tmp, "p%d.pkl" % proto)
        div = oracle.check_file(brine, path, data)
        fail_with(div, "protocol %d, %d pickles" % (proto, len(objs)), data)


# --------------------------------------------------------------------------------------
# joblib, every codec


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_joblib_graphs_agree(brine, tmp_path_factory, rnd):
    import joblib
    objs = cases_from(rnd, n=6, budget=4000)
    tmp = tmp_path_factory.mktemp("joblib")
    codecs = list(oracle.JOBLIB_CODECS)
    for i, codec in enumerate(codecs):
        proto = rnd.choice(list(range(2, pickle.HIGHEST_PROTOCOL + 1)))
        path = tmp / ("j%d.joblib" % i)
        try:
            oracle.joblib_dump(objs, path, codec, proto)
        except (RecursionError, pickle.PicklingError, TypeError, ValueError):
            continue
        data = path.read_bytes()
        stream = oracle.decompressed(data, codec)
        div = oracle.check_file(brine, path, data, codec=oracle.JOBLIB_CODECS[codec],
                                loader=lambda _: [joblib.load(path)], stream=stream)
        fail_with(div, "joblib codec %s protocol %d" % (codec, proto), data)


# --------------------------------------------------------------------------------------
# Opcode-level streams CPython accepts but pickle never writes


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_raw_streams_agree(brine, tmp_path_factory, rnd):
    streams = []
    for _ in range(BATCH * 3):
        s = oracle.StreamGen(rnd).stream()
        try:
            oracle.safe_loads_all(s)
        except Exception:
            continue  # CPython refuses it: not a valid input
        streams.append(s)
    if not streams:
        return
    data = b"".join(streams)
    path = tmp_path_factory.mktemp("streams") / "s.pkl"
    path.write_bytes(data)
    div = oracle.check_file(brine, path, data, loader=oracle.safe_loads_all)
    fail_with(div, "%d raw streams" % len(streams), data)


# --------------------------------------------------------------------------------------
# Every other command that reads pickles


def run_py(code, *args, timeout=oracle.TIMEOUT):
    env = dict(os.environ, PYTHONPATH=str(HERE), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          env=env, timeout=timeout)


REBUILD = r"""
import pickle, sys
sys.setrecursionlimit(20000)
sys.path.insert(0, %r)
import oracle
ns = {"__name__": "__decompiled__"}
exec(compile(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1], "exec"), ns)
sys.stdout.write(repr(oracle.canon(ns["result"])))
""" % str(HERE)


def one_pickle_files(rnd, tmp, n):
    """Single-pickle files (dis compares with pickletools, which shows one pickle)."""
    objs = cases_from(rnd, n=n, budget=3000)
    out = []
    for i, o in enumerate(objs):
        proto = rnd.choice(list(oracle.PROTOCOLS))
        try:
            data = pickle.dumps(o, proto)
        except (RecursionError, pickle.PicklingError, TypeError, ValueError):
            continue
        path = tmp / ("c%d_p%d.pkl" % (i, proto))
        path.write_bytes(data)
        out.append((path, data, proto))
    return out


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_commands_accept_and_agree(brine, tmp_path_factory, rnd):
    tmp = tmp_path_factory.mktemp("commands")
    problems = []
    for path, data, proto in one_pickle_files(rnd, tmp, 4):
        obj = pickle.loads(data)
        what = "%s (protocol %d)" % (path.name, proto)
        # dis == pickletools
        r = oracle.run(brine, "dis", path)
        expected = io.StringIO()
        pickletools.dis(io.BytesIO(data), out=expected)
        if r.returncode != 0:
            problems.append("%s: dis exit %d: %s" % (what, r.returncode, r.stderr.decode(errors="replace").strip()))
        elif r.stdout.decode("utf-8", errors="replace") != expected.getvalue():
            problems.append("%s: dis differs from pickletools" % what)
        # check: accepted, stable
        r1 = oracle.run(brine, "check", "--format", "json", path)
        r2 = oracle.run(brine, "check", "--format", "json", path)
        if r1.returncode not in (0, 1):
            problems.append("%s: check exit %d: %s" % (what, r1.returncode, r1.stderr.decode(errors="replace").strip()))
        elif r1.stdout != r2.stdout:
            problems.append("%s: check findings differ between two runs" % what)
        # sbom: accepted
        r = oracle.run(brine, "sbom", path)
        if r.returncode not in (0, 1):
            problems.append("%s: sbom exit %d: %s" % (what, r.returncode, r.stderr.decode(errors="replace").strip()))
        # diff A A: no change
        r = oracle.run(brine, "diff", "--format", "json", path, path)
        if r.returncode != 0:
            problems.append("%s: diff A A exit %d: %s" % (what, r.returncode, r.stderr.decode(errors="replace").strip()))
        # decompile --full rebuilds the object
        r = oracle.run(brine, "decompile", "--full", path)
        if r.returncode not in (0, 1):
            problems.append("%s: decompile exit %d: %s" % (what, r.returncode, r.stderr.decode(errors="replace").strip()))
        else:
            src = tmp / (path.name + ".py")
            src.write_bytes(r.stdout)
            rb = run_py(REBUILD, src)
            if rb.returncode != 0:
                problems.append("%s: decompiled Python fails: %s" % (what, rb.stderr.decode(errors="replace").strip()[-300:]))
            elif rb.stdout.decode("utf-8") != repr(oracle.canon(obj)):
                problems.append("%s: decompile --full rebuilds a different object" % what)
        # strip --remove of a top-level key: the rest loads unchanged
        if type(obj) is dict and obj and all(type(k) is str for k in obj):
            key = rnd.choice(list(obj))
            sel = "[%r]" % key
            out = tmp / (path.name + ".stripped")
            r = oracle.run(brine, "strip", "--dry-run", "--remove", sel, path)
            if r.returncode not in (0, 1):
                problems.append("%s: strip --dry-run --remove %s exit %d: %s" % (
                    what, sel, r.returncode, r.stderr.decode(errors="replace").strip()))
            r = oracle.run(brine, "strip", "--remove", sel, path, "-o", out)
            if r.returncode != 0:
                problems.append("%s: strip --remove %s exit %d: %s" % (
                    what, sel, r.returncode, r.stderr.decode(errors="replace").strip()))
            else:
                want = dict(obj)
                del want[key]
                got = pickle.loads(out.read_bytes())
                if repr(oracle.canon(got)) != repr(oracle.canon(want)):
                    problems.append("%s: strip --remove %s leaves a different object" % (what, sel))
    fail_with(problems, "commands")


# --------------------------------------------------------------------------------------
# One semantics: the fast paths against the full machine


def fast_path_switch(brine):
    """The environment variable that turns the fast paths off, if this binary has one."""
    blob = Path(brine).read_bytes()
    return "BRINE_NO_FAST_PATH" if b"BRINE_NO_FAST_PATH" in blob else None


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_fast_path_matches_full_machine(brine, tmp_path_factory, rnd):
    switch = fast_path_switch(brine)
    if switch is None:
        pytest.skip("this brine has no BRINE_NO_FAST_PATH switch (asked for in issue 26)")
    objs = cases_from(rnd)
    tmp = tmp_path_factory.mktemp("fastpath")
    for proto in oracle.PROTOCOLS:
        path, data = oracle.write_pickle_batch(objs, proto, tmp, "p%d.pkl" % proto)
        fast = oracle.run(brine, "inspect", "--format", "json", path)
        slow = oracle.run(brine, "inspect", "--format", "json", path, env=dict(os.environ, **{switch: "1"}))
        assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout), (
            "protocol %d: the fast path and the full machine disagree" % proto)


def test_frozenset_paths_compare_without_element_order():
    """The oracle's own rule: a frozenset key's elements in any order name the same part, and
    anything else about the path still counts."""
    a = "[268][frozenset({True, 65535, b'\\x9e?\\xe1'})]"
    b = "[268][frozenset({b'\\x9e?\\xe1', 65535, True})]"
    assert oracle.canonical_path(a) == oracle.canonical_path(b)
    assert oracle.canonical_path(a) != oracle.canonical_path("[268][frozenset({True, 65534, b'\\x9e?\\xe1'})]")
    nested = "[frozenset({'a,})', frozenset({3, 1})})].x"
    assert oracle.canonical_path(nested) == oracle.canonical_path("[frozenset({frozenset({1, 3}), 'a,})'})].x")
