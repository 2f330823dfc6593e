#!/usr/bin/env python3
"""Side-by-side benchmark of brine and its peers on a big real artifact.

Run with the bench venv's python (Tests/bench/venv.sh), after
Tests/bench/setup.sh and Tests/bench/make_big_vectorizer.py:

    VENV="$(Tests/bench/venv.sh)"
    "$VENV/bin/python" Tests/bench/run.py --brine .build/release/brine --runs 5 --out docs/benchmarks.md

For every workload below, each tool gets one untimed warm-up run (the page
cache is then warm) and --runs timed runs. A run is timed with
time.perf_counter() around the child process, with stdout going to /dev/null,
under GNU `/usr/bin/time -f %M` for the peak resident set size. The markdown
report has the median, min and max wall time, the median peak RSS, the
throughput (input MB per second of median wall time, MB = 10^6 bytes) and the
ratio tool median / brine median. Every number in it comes from the run.

To add a workload or a tool, edit BRINE_* and WORKLOADS below.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# --------------------------------------------------------------------------
# Editable configuration
# --------------------------------------------------------------------------

# brine's command lines. For each, the first candidate whose subcommand
# (argv[1]) appears in `brine --help` is used; none means "n/a".
# Placeholders: {brine} binary, {input} artifact, {tmp} scratch dir,
# {python} this python, {bin} this venv's bin directory.
BRINE_READ = [
    ["{brine}", "inspect", "{input}"],
    ["{brine}", "dis", "{input}"],   # until `brine inspect` exists
]
BRINE_CHECK = [
    ["{brine}", "check", "{input}"],
]
BRINE_DECOMPILE = [
    ["{brine}", "decompile", "{input}"],
]
# fickling's decompiler is far slower than its safety check: its runs are cut off here.
FICKLING_DECOMPILE_TIMEOUT_S = 600.0
BRINE_STRIP = [
    ["{brine}", "strip", "--preset", "deploy", "{input}", "-o", "{tmp}/brine-stripped.pkl"],
]

# What `brine strip --preset deploy` replaces: load, drop stop_words_, dump.
PYTHON_STRIP = """\
import pickle, sys
with open(sys.argv[1], "rb") as f:
    vec = pickle.load(f)
del vec.stop_words_
with open(sys.argv[2], "wb") as f:
    pickle.dump(vec, f, protocol=4)
"""

BRINE_STRIP_JOBLIB = [
    ["{brine}", "strip", "--preset", "deploy", "{input}", "-o", "{tmp}/brine-stripped.joblib.z"],
]

# The same for the zlib-compressed joblib file: joblib.load, del, joblib.dump with the same codec.
PYTHON_STRIP_JOBLIB = """\
import joblib, sys
vec = joblib.load(sys.argv[1])
del vec.stop_words_
joblib.dump(vec, sys.argv[2], compress=("zlib", 3))
"""

# The PyTorch workloads run these with the torch venv's python ({torch_python}).
TORCH_LIST = """\
import sys, torch
ckpt = torch.load(sys.argv[1], weights_only=True, mmap=len(sys.argv) > 2)
def walk(value, path):
    if isinstance(value, torch.Tensor):
        print(path, value.dtype, tuple(value.shape), value.untyped_storage().nbytes())
    elif isinstance(value, dict):
        for key, item in value.items():
            walk(item, "%s[%r]" % (path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            walk(item, "%s[%d]" % (path, index))
walk(ckpt, "")
"""

TORCH_STRIP = """\
import sys, torch
ckpt = torch.load(sys.argv[1], weights_only=True, mmap=len(sys.argv) > 3)
del ckpt["optimizer_state_dict"]
torch.save(ckpt, sys.argv[2])
"""

# A tool: "name", and either "brine": [candidates] (the baseline for ratios)
# or "cmd": argv. Optional "output": a file the command writes (its size is
# reported), "note": text for the table.
WORKLOADS = [
    {
        "name": "Read the big pickle",
        "about": "Open the whole artifact and walk every opcode: brine's reader against the "
                 "disassembler of the standard library and the pickle scanners.",
        "input": "tfidf_big.pkl",
        "tools": [
            {"name": "brine", "brine": BRINE_READ},
            {"name": "C opcode walk (floor)", "cmd": ["{opwalk}", "{input}"], "floor": True},
            {"name": "python -m pickletools", "cmd": ["{python}", "-m", "pickletools", "{input}"]},
            {"name": "picklescan", "cmd": ["{bin}/picklescan", "--path", "{input}"]},
            {"name": "fickling --check-safety",
             "cmd": ["{bin}/fickling", "--check-safety", "--json-output", "{tmp}/fickling.json", "{input}"]},
            {"name": "modelscan", "cmd": ["{bin}/modelscan", "scan", "-p", "{input}"]},
        ],
    },
    {
        "name": "Read the zlib-compressed joblib file",
        "about": "The same estimator written by joblib.dump(compress=('zlib', 3)). A tool that "
                 "does not decompress it may fail or scan nothing; the exit code says which.",
        "input": "tfidf_big.joblib.z",
        "tools": [
            {"name": "brine", "brine": BRINE_READ},
            {"name": "picklescan", "cmd": ["{bin}/picklescan", "--path", "{input}"]},
            {"name": "fickling --check-safety",
             "cmd": ["{bin}/fickling", "--check-safety", "--json-output", "{tmp}/fickling.json", "{input}"]},
            {"name": "modelscan", "cmd": ["{bin}/modelscan", "scan", "-p", "{input}"]},
        ],
    },
    {
        "name": "Read the big pickle, protocol 5",
        "about": "The same estimator pickled with protocol 5, where numpy arrays travel as in-band "
                 "BYTEARRAY8 buffers (what `pickle.dump(obj, f, protocol=5)` writes).",
        "input": "tfidf_big_p5.pkl",
        "tools": [
            {"name": "brine", "brine": BRINE_READ},
            {"name": "C opcode walk (floor)", "cmd": ["{opwalk}", "{input}"], "floor": True},
            {"name": "picklescan", "cmd": ["{bin}/picklescan", "--path", "{input}"]},
            {"name": "fickling --check-safety",
             "cmd": ["{bin}/fickling", "--check-safety", "--json-output", "{tmp}/fickling.json", "{input}"]},
        ],
    },
    {
        "name": "Check the big pickle",
        "about": "Scan for code that runs on load and for load failures: `brine check` (every global with its "
                 "place in the tree, all rule families) against the pickle scanners' scans of the same file.",
        "input": "tfidf_big.pkl",
        "tools": [
            {"name": "brine check", "brine": BRINE_CHECK},
            {"name": "C opcode walk (floor)", "cmd": ["{opwalk}", "{input}"], "floor": True},
            {"name": "picklescan", "cmd": ["{bin}/picklescan", "--path", "{input}"]},
            {"name": "modelscan", "cmd": ["{bin}/modelscan", "scan", "-p", "{input}"]},
        ],
    },
    {
        "name": "Strip stop_words_ for deployment",
        "about": "Write a copy of the vectorizer without `stop_words_`. The Python path has to "
                 "unpickle (execute) the artifact and pickle it again.",
        "input": "tfidf_big.pkl",
        "tools": [
            {"name": "brine strip --preset deploy", "brine": BRINE_STRIP,
             "output": "{tmp}/brine-stripped.pkl"},
            {"name": "Python: pickle.load, del stop_words_, pickle.dump",
             "cmd": ["{python}", "-c", PYTHON_STRIP, "{input}", "{tmp}/python-stripped.pkl"],
             "output": "{tmp}/python-stripped.pkl"},
        ],
    },
    {
        "name": "Strip stop_words_ from the zlib-compressed joblib file",
        "about": "The same, on the joblib file written with compress=('zlib', 3); both keep the codec. "
                 "Inflating the 145 MB input is a floor neither side can go under.",
        "input": "tfidf_big.joblib.z",
        "tools": [
            {"name": "brine strip --preset deploy", "brine": BRINE_STRIP_JOBLIB,
             "output": "{tmp}/brine-stripped.joblib.z"},
            {"name": "Python: joblib.load, del stop_words_, joblib.dump(compress=zlib)",
             "cmd": ["{python}", "-c", PYTHON_STRIP_JOBLIB, "{input}", "{tmp}/python-stripped.joblib.z"],
             "output": "{tmp}/python-stripped.joblib.z"},
        ],
    },
    {
        "name": "Decompile the big pickle",
        "about": "Render what unpickling the artifact does as Python, without running it: `brine decompile` "
                 "(long containers summarised) against fickling's decompiler (`fickling FILE` prints the "
                 "whole program). fickling's runs are killed after "
                 f"{FICKLING_DECOMPILE_TIMEOUT_S:.0f} s.",
        "input": "tfidf_big.pkl",
        "tools": [
            {"name": "brine decompile", "brine": BRINE_DECOMPILE},
            {"name": "fickling (decompile)", "cmd": ["{bin}/fickling", "{input}"],
             "timeout": FICKLING_DECOMPILE_TIMEOUT_S},
        ],
    },
    {
        "name": "PyTorch: read a 1.1 GB training checkpoint",
        "about": "A torch.save checkpoint (model_state_dict + Adam optimizer_state_dict, made by "
                 "Tests/bench/make_big_checkpoint.py): list every tensor with its size. brine reads the zip's "
                 "central directory and data.pkl only; torch.load reads (or maps) every storage.",
        "input": "torch_checkpoint.pt",
        "needs_torch": True,
        "tools": [
            {"name": "brine inspect", "brine": [["{brine}", "inspect", "{input}"]]},
            {"name": "brine inspect --tensors", "brine": [["{brine}", "inspect", "--tensors", "{input}"]]},
            {"name": "Python: torch.load(weights_only=True), list tensors",
             "cmd": ["{torch_python}", "-c", TORCH_LIST, "{input}"]},
            {"name": "Python: torch.load(weights_only=True, mmap=True), list tensors",
             "cmd": ["{torch_python}", "-c", TORCH_LIST, "{input}", "mmap"]},
        ],
    },
    {
        "name": "PyTorch: strip the optimizer state from the checkpoint",
        "about": "Write the checkpoint without optimizer_state_dict. brine rewrites data.pkl and copies the kept "
                 "storage records; the Python path loads the checkpoint, deletes the key and saves again.",
        "input": "torch_checkpoint.pt",
        "needs_torch": True,
        "tools": [
            {"name": "brine strip --preset torch-inference",
             "brine": [["{brine}", "strip", "--preset", "torch-inference", "{input}", "-o", "{tmp}/brine-torch.pt"]],
             "output": "{tmp}/brine-torch.pt"},
            {"name": "Python: torch.load, del, torch.save",
             "cmd": ["{torch_python}", "-c", TORCH_STRIP, "{input}", "{tmp}/python-torch.pt"],
             "output": "{tmp}/python-torch.pt"},
            {"name": "Python: torch.load(mmap=True), del, torch.save",
             "cmd": ["{torch_python}", "-c", TORCH_STRIP, "{input}", "{tmp}/python-torch-mmap.pt", "mmap"],
             "output": "{tmp}/python-torch-mmap.pt"},
        ],
    },
]

# What issue 20 asks of brine, checked against the same run's medians. "mbps": the tool's
# MB/s at least `min`; "ratio": tool median / `other`'s median at most `max` (`other` is a
# tool name in the same workload, "floor" the C opcode walk); "speedup": `other`'s median /
# the tool's at least `min`; "rss": the tool's peak RSS / `other`'s at most `max`.
GOALS = [
    {"workload": "Read the big pickle", "tool": "brine", "kind": "mbps", "min": 1500.0,
     "what": "`brine inspect` throughput"},
    {"workload": "Read the big pickle", "tool": "brine", "kind": "ratio", "other": "floor", "max": 2.0,
     "what": "`brine inspect` time / C opcode walk time"},
    {"workload": "Check the big pickle", "tool": "brine check", "kind": "mbps", "min": 1500.0,
     "what": "`brine check` throughput"},
    {"workload": "Check the big pickle", "tool": "brine check", "kind": "ratio", "other": "floor", "max": 2.0,
     "what": "`brine check` time / C opcode walk time"},
    {"workload": "Strip stop_words_ for deployment", "tool": "brine strip --preset deploy", "kind": "speedup",
     "other": "Python: pickle.load, del stop_words_, pickle.dump", "min": 30.0,
     "what": "`brine strip --preset deploy` speed-up over the Python path"},
    {"workload": "Strip stop_words_ for deployment", "tool": "brine strip --preset deploy", "kind": "rss",
     "other": "Python: pickle.load, del stop_words_, pickle.dump", "max": 1 / 20,
     "what": "`brine strip --preset deploy` peak RSS / the Python path's"},
]

# The floor of the read workloads: a C program walking the opcodes (Tests/bench/opwalk.c),
# compiled in the run with the system compiler.
OPWALK_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "opwalk.c")

# A tool whose warm-up run takes longer than this gets that run as its only
# measurement; a run longer than --timeout is killed.
LONG_RUN_S = 150.0  # a tool slower than this gets its warm-up as its only measurement
# Pause before each tool's warm-up: the peers before it may have just released several GB,
# which the kernel reclaims for a while after they exit, slowing whatever runs next.
SETTLE_S = float(os.environ.get("BRINE_BENCH_SETTLE", "5.0"))

# --------------------------------------------------------------------------

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TIME = "/usr/bin/time"


def torch_python() -> str:
    """The python of the pinned torch venv (created if missing), as `make venv-torch` makes it."""
    env = dict(os.environ, BRINE_REQUIREMENTS=os.path.join(REPO, "fixtures", "requirements-torch.txt"),
               BRINE_VENV_NAME="torch-venv")
    venv = subprocess.run(["bash", os.path.join(REPO, "fixtures", "venv.sh")], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()
    return os.path.join(venv, "bin", "python")


def log(msg: str) -> None:
    print(f"run.py: {msg}", file=sys.stderr, flush=True)


class Tail:
    """Drain a pipe in a thread, keeping the first and last few KB."""

    def __init__(self, stream, keep: int = 4096):
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.keep = keep
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream) -> None:
        while True:
            chunk = stream.read1(1 << 20)
            if not chunk:
                break
            self.total += len(chunk)
            if len(self.head) < self.keep:
                self.head += chunk[: self.keep - len(self.head)]
            self.tail = (self.tail + chunk)[-self.keep:]

    def text(self) -> str:
        self.thread.join()
        if self.total <= self.keep:
            return bytes(self.head).decode("utf-8", "replace")
        return (bytes(self.head).decode("utf-8", "replace") + "\n[...]\n"
                + bytes(self.tail).decode("utf-8", "replace"))


def run_once(argv, cwd, timeout, mem_limit, capture=False):
    """One run under GNU time. Returns a dict: wall, rss_kb, exit, stdout/stderr excerpts."""
    with tempfile.NamedTemporaryFile(prefix="time-", dir=cwd, delete=False) as tf:
        time_file = tf.name
    with tempfile.TemporaryFile(dir=cwd) as err:
        def limits():
            if mem_limit:
                resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))
        full = [TIME, "-f", "%M", "-o", time_file, *argv]
        t0 = time.perf_counter()
        p = subprocess.Popen(full, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                             stderr=err, preexec_fn=limits, start_new_session=True)
        out = Tail(p.stdout) if capture else None
        # A blocking wait, with the timeout enforced by a timer: Popen.wait(timeout=...) polls
        # with sleeps growing to 50 ms, which added up to 50 ms to every sub-second run.
        expired = threading.Event()

        def kill():
            expired.set()
            os.killpg(p.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        # wait4: the child's CPU time to the microsecond (GNU time's %U and %S have 10 ms steps);
        # it includes GNU time's own, about a millisecond.
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        code = p.returncode = os.waitstatus_to_exitcode(status)
        timer.cancel()
        timed_out = expired.is_set()
        err.seek(0)
        stderr = err.read()
    with open(time_file, errors="replace") as f:
        time_lines = [l.strip() for l in f if l.strip()]
    os.unlink(time_file)
    rss_kb = int(time_lines[-1]) if time_lines and time_lines[-1].isdigit() else None
    cpu = usage.ru_utime + usage.ru_stime
    signal_msg = next((l for l in time_lines if l.startswith("Command terminated by signal")), None)
    stderr_text = stderr.decode("utf-8", "replace")
    return {
        "wall": wall,
        "rss_kb": rss_kb,
        "cpu": cpu,
        "exit": "timeout" if timed_out else (signal_msg.replace("Command terminated by ", "") if signal_msg else code),
        "stdout": out.text() if out else None,
        "stdout_bytes": out.total if out else None,
        "stderr": stderr_text if len(stderr_text) <= 8192 else stderr_text[:4096] + "\n[...]\n" + stderr_text[-4096:],
    }


def brine_subcommands(brine: str | None) -> set[str]:
    if not brine:
        return set()
    r = subprocess.run([brine, "--help"], capture_output=True, text=True)
    text = r.stdout + r.stderr
    section = text.split("SUBCOMMANDS:", 1)[1] if "SUBCOMMANDS:" in text else ""
    return set(re.findall(r"(?m)^  (\w[\w-]*)", section))


def first_line(cmd: list[str]) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    out = (r.stdout or r.stderr).strip().splitlines()
    return out[0] if out else "?"


def fmt_cmd(argv: list[str], subst: dict[str, str]) -> str:
    """The command as a shell line, with the long paths shortened back to names."""
    shown = []
    for i, a in enumerate(argv):
        if i == 0 and a == subst["python"]:
            a = "python"
        elif i == 0 and a == subst.get("torch_python"):
            a = "python(torch venv)"
        elif i == 0 and subst["brine"] and a == subst["brine"]:
            a = "brine"
        elif i == 0 and subst.get("opwalk") and a == subst["opwalk"]:
            a = "opwalk"
        elif i == 0 and a.startswith(subst["bin"] + os.sep):
            a = a[len(subst["bin"]) + 1:]
        elif subst["input"] and a == subst["input"]:
            a = os.path.basename(a)
        elif a.startswith(subst["tmp"] + os.sep):
            a = "$TMP/" + a[len(subst["tmp"]) + 1:]
        shown.append(a)
    if len(shown) > 2 and shown[1] == "-c":
        shown[2] = "<snippet below>"
    return " ".join(a if a.startswith("$TMP/") or a == "<snippet below>" else shlex.quote(a) for a in shown)


def expand(argv: list[str], subst: dict[str, str]) -> list[str]:
    snippets = (PYTHON_STRIP, PYTHON_STRIP_JOBLIB, TORCH_LIST, TORCH_STRIP)
    return [a.format(**subst) if "{" in a and a not in snippets else a for a in argv]


def build_opwalk(tmp: str) -> tuple[str | None, str]:
    """Compiles the C opcode walk with `cc -O2` ($CC if set); returns its path (None when the
    compiler is missing or fails) and the compiler's version line."""
    cc = os.environ.get("CC") or "cc"
    binary = os.path.join(tmp, "opwalk")
    try:
        subprocess.run([cc, "-O2", "-o", binary, OPWALK_SOURCE], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        log(f"cannot build the C opcode walk with {cc}: {getattr(error, 'stderr', '') or error}")
        return None, "n/a"
    return binary, f"{first_line([cc, '--version'])} (`{cc} -O2`)"


def evaluate_goals(results) -> list[dict]:
    """Each goal of GOALS whose workload ran: the measured figure, the target, met or not."""
    rows = []
    for goal in GOALS:
        w = next((w for w in results if w["name"] == goal["workload"]), None)
        if w is None:
            continue
        def summary(name):
            t = next((t for t in w["tools"] if (t.get("floor") if name == "floor" else t["name"] == name)), None)
            return t.get("summary") if t else None
        s, o = summary(goal["tool"]), summary(goal.get("other", goal["tool"]))
        row = {"what": goal["what"], "workload": goal["workload"], "measured": None, "met": None}
        kind = goal["kind"]
        if kind in ("ratio", "speedup"):
            row["target"] = f"<= {goal['max']:g}x" if kind == "ratio" else f">= {goal['min']:g}x"
        if kind == "mbps":
            row["target"] = f">= {goal['min'] / 1000:g} GB/s"
            if s and s["mbps"]:
                row["measured"] = f"{s['mbps'] / 1000:.2f} GB/s ({s['median']:.3f} s)"
                row["met"] = s["mbps"] >= goal["min"]
        elif kind in ("ratio", "speedup") and s and o:
            # ratio: the tool's time over the other's, at most `max`; speedup: the other's over the tool's, at least `min`.
            top, bottom = (s, o) if kind == "ratio" else (o, s)
            value = top["median"] / bottom["median"]
            row["measured"] = f"{value:.2f}x ({top['median']:.3f} s / {bottom['median']:.3f} s)"
            if top["cpu"] and bottom["cpu"]:
                row["measured"] += f"; CPU time {top['cpu'] / bottom['cpu']:.2f}x ({top['cpu']:.3f} s / {bottom['cpu']:.3f} s)"
            row["met"] = value <= goal["max"] if kind == "ratio" else value >= goal["min"]
        elif kind == "rss":
            row["target"] = f"<= 1/{1 / goal['max']:g}"
            if s and o and s["rss_mib"] and o["rss_mib"]:
                value = s["rss_mib"] / o["rss_mib"]
                row["measured"] = f"1/{1 / value:.1f} ({s['rss_mib']:.0f} MiB / {o['rss_mib']:.0f} MiB)"
                row["met"] = value <= goal["max"]
        rows.append(row)
    return rows


def remove_output(path):
    """Deletes the previous run's output before the next starts, untimed and for every
    tool alike: writing over a 100 MB file makes the kernel free its pages inside the
    timed run (`rename` over it, or `open(..., "wb")` truncating it), ~45 ms here, a
    cost of the harness reusing one path rather than of the tool."""
    if path and os.path.exists(path):
        os.unlink(path)


def measure_tool(name, argv, subst, args, mem_limit, out_path=None, timeout=None):
    timeout = min(args.timeout, timeout or args.timeout)
    time.sleep(SETTLE_S)
    remove_output(out_path)
    log(f"  {name}: warm-up: {' '.join(argv)[:160]}")
    warm = run_once(argv, subst["tmp"], timeout, mem_limit, capture=True)
    log(f"  {name}: warm-up {warm['wall']:.2f} s, exit {warm['exit']}, peak RSS {warm['rss_kb']} KB")
    result = {"warmup": warm, "runs": [], "note": ""}
    if warm["exit"] == "timeout":
        result["note"] = f"killed after {timeout:.0f} s; no timed run"
        return result
    if warm["wall"] > LONG_RUN_S:
        result["runs"] = [dict(warm, stdout=None)]
        result["note"] = (f"1 run only: the warm-up took {warm['wall'] / 60:.1f} min (> {LONG_RUN_S / 60:g} min), "
                          "so it is the measurement (stdout was a pipe, not /dev/null)")
        return result
    for i in range(args.runs):
        remove_output(out_path)
        r = run_once(argv, subst["tmp"], timeout, mem_limit)
        log(f"  {name}: run {i + 1}/{args.runs}: {r['wall']:.2f} s, exit {r['exit']}, peak RSS {r['rss_kb']} KB")
        result["runs"].append(r)
        if r["exit"] == "timeout":
            result["note"] = f"run {i + 1} killed after {timeout:.0f} s"
            break
    return result


def summarize(result, input_bytes):
    runs = [r for r in result["runs"] if r["exit"] != "timeout"]
    if not runs:
        return None
    walls = [r["wall"] for r in runs]
    rss = [r["rss_kb"] for r in runs if r["rss_kb"] is not None]
    cpu = [r["cpu"] for r in runs if r.get("cpu") is not None]
    med = statistics.median(walls)
    exits = sorted({str(r["exit"]) for r in result["runs"]})
    return {
        "n": len(runs),
        "median": med,
        "min": min(walls),
        "max": max(walls),
        "rss_mib": statistics.median(rss) / 1024 if rss else None,
        "cpu": statistics.median(cpu) if cpu else None,
        "mbps": input_bytes / 1e6 / med if med > 0 else None,
        "exit": ", ".join(exits),
    }


def machine_facts() -> dict[str, str]:
    facts = {}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"(?m)^model name\s*:\s*(.*)$", f.read())
        facts["CPU"] = m.group(1).strip() if m else "?"
    except OSError:
        facts["CPU"] = "?"
    facts["CPUs (nproc)"] = str(len(os.sched_getaffinity(0)))
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+) kB", f.read()).group(1))
        facts["RAM"] = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        facts["RAM"] = "?"
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'(?m)^PRETTY_NAME="?([^"\n]*)', f.read())
        facts["OS"] = m.group(1) if m else "?"
    except OSError:
        facts["OS"] = "?"
    facts["Kernel"] = platform.release()
    return facts


def deb_version(name: str) -> str:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "?"


def pkg_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def md_cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def render(args, facts, versions, inputs, meta, results, brine_path, brine_note, started, finished) -> str:
    L = []
    # The title names the scikit-learn artifact, not the (larger) PyTorch checkpoint.
    sklearn_sizes = [size for name, size in inputs.items() if name.startswith("tfidf_big")]
    L.append(f"# Benchmarks: brine and its peers on a {max(sklearn_sizes or inputs.values()) / 1e6:.0f} MB "
             "scikit-learn artifact (and a PyTorch checkpoint)")
    L.append("")
    L.append(f"Measured {started:%Y-%m-%d %H:%M} to {finished:%H:%M} UTC by `Tests/bench/run.py`. "
             "Every number on this page comes from that run; none is edited by hand.")
    L.append("")
    L.append("Reproduce with `make bench` (from a clone; it installs what is missing, builds the "
             "release binary, generates the artifact under `~/.cache/brine/bench` and rewrites this page). "
             "This page was produced by:")
    L.append("")
    L.append("```sh")
    L.append(" ".join(shlex.quote(a) for a in ["python", "Tests/bench/run.py", *args.argv_shown]))
    L.append("```")
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append("| | |")
    L.append("| --- | --- |")
    for k, v in facts.items():
        L.append(f"| {k} | {md_cell(v)} |")
    L.append("")
    L.append("## Tools")
    L.append("")
    L.append("| tool | version |")
    L.append("| --- | --- |")
    for k, v in versions.items():
        L.append(f"| {k} | {md_cell(v)} |")
    L.append("")
    if brine_note:
        L.append(f"Note: {brine_note}")
        L.append("")
    L.append("## Inputs")
    L.append("")
    L.append("| file | bytes | MB |")
    L.append("| --- | ---: | ---: |")
    for name, size in inputs.items():
        L.append(f"| `{name}` | {size} | {size / 1e6:.1f} |")
    L.append("")
    if meta:
        r = meta.get("recipe", {})
        L.append(f"One fitted `{r.get('estimator', '?')}` (scikit-learn {r.get('scikit-learn', '?')}, "
                 f"Python {r.get('python', '?')}), written by `Tests/bench/make_big_vectorizer.py` with `pickle.dump` ("
                 + ", ".join(f"`{n}`: protocol {p}" for n, p in r.get("pickle_protocols", {}).items())
                 + "), `joblib.dump` (`tfidf_big.joblib`) and `joblib.dump(compress=('zlib', 3))` "
                 "(`tfidf_big.joblib.z`). "
                 f"`stop_words_` holds {meta.get('len_stop_words_', '?')} n-grams, `vocabulary_` "
                 f"{meta.get('len_vocabulary_', '?')}. It was fit on {meta.get('corpus_documents', '?')} documents, "
                 f"{meta.get('corpus_words', '?')} words of English text from Debian packages:")
        L.append("")
        L.append("| source | Debian package | version | documents | words |")
        L.append("| --- | --- | --- | ---: | ---: |")
        for name, c in meta.get("corpus", {}).items():
            L.append(f"| {name} | {c.get('package', '?')} | {c.get('version', '?')} | {c['documents']} | {c['words']} |")
        L.append("")
    L.append("## Method")
    L.append("")
    L.append(f"Each tool: a {SETTLE_S:g} s pause (the memory a multi-GB peer released is reclaimed meanwhile), "
             f"1 untimed warm-up run, then {args.runs} timed runs (fewer where the table says so). "
             "A tool that writes a file starts every run with its previous output deleted (untimed). "
             "Wall time is `time.perf_counter()` around the child process, whose stdout goes to `/dev/null`; "
             "peak RSS is GNU time's `%M` (maximum resident set size). Table: median, min and max wall "
             "time in seconds; median peak RSS in MiB; throughput in MB (10^6 bytes) of input per second of "
             "median wall time; **× brine** is the tool's median divided by brine's (2.0 = twice as slow "
             "as brine; n/a when brine itself failed on the input, exit code 2 or worse). A non-zero exit "
             "code is recorded, not treated as an error: scanners exit non-zero on findings or on input "
             "they cannot parse. A tool that gave up early (see its exit code and its output under the "
             "table) shows a high MB/s and a small ratio: that is how fast it gave up, not how fast it read.")
    if args.mem_limit_gb:
        L.append(f"Each run is limited to {args.mem_limit_gb:.1f} GB of address space (RLIMIT_AS) and "
                 f"{args.timeout:.0f} s.")
    L.append("")
    goals = evaluate_goals(results)
    if goals:
        L.append("")
        L.append("## Goals")
        L.append("")
        L.append("What issue 20 asks of brine, from the medians of this run (the tables below). The floor is "
                 "`Tests/bench/opwalk.c`, compiled in the run with the system C compiler at -O2: it maps the file "
                 "and walks every opcode, checking and skipping each argument (pickletools.genops without "
                 "decoding anything).")
        L.append("")
        L.append("Wall time decides; the median CPU time (user + system of the child, from `wait4`) is shown as well, "
                 "since on a shared machine it moves less with the load than the wall time does. The load average "
                 f"when the run started: {args.load_at_start}.")
        L.append("")
        L.append("| goal | workload | target | measured | met |")
        L.append("| --- | --- | --- | --- | --- |")
        for g in goals:
            met = "n/a" if g["met"] is None else ("yes" if g["met"] else "**no**")
            L.append(f"| {md_cell(g['what'])} | {md_cell(g['workload'])} | {md_cell(g['target'])} | "
                     f"{md_cell(g['measured'] or 'n/a')} | {met} |")
    L.append("")
    for w in results:
        L.append(f"## {w['name']}")
        L.append("")
        L.append(f"{w['about']} Input: `{w['input']}` ({w['input_bytes'] / 1e6:.1f} MB).")
        L.append("")
        has_out = any(t.get("output_bytes") is not None for t in w["tools"])
        head = "| tool | command | runs | exit | median s | min s | max s | peak RSS MiB | MB/s | × brine |"
        sep = "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        if has_out:
            head += " output MB |"
            sep += " ---: |"
        L.append(head)
        L.append(sep)
        base = next((t["summary"] for t in w["tools"] if t.get("is_brine") and t.get("summary")), None)
        base_failed = base is not None and not set(base["exit"].split(", ")) <= {"0", "1"}
        notes = []
        for t in w["tools"]:
            s = t.get("summary")
            cmd = f"`{md_cell(t['cmd_shown'])}`" if t.get("cmd_shown") else ""
            if s is None:
                row = f"| {md_cell(t['name'])} | {cmd} | 0 | {md_cell(t.get('na', 'n/a'))} | n/a | n/a | n/a | n/a | n/a | n/a |"
                if has_out:
                    row += " n/a |"
            else:
                if base is None:
                    ratio = "n/a"
                elif base_failed:
                    ratio = f"n/a (brine exit {base['exit']})"
                else:
                    r = s["median"] / base["median"]
                    ratio = f"{r:.2f}" if r >= 0.1 else f"{r:.3f}"
                runs = f"{s['n']}" + (" *" if t.get("note") else "")
                rss = f"{s['rss_mib']:.0f}" if s["rss_mib"] is not None else "?"
                mbps = f"{s['mbps']:.1f}" if s["mbps"] is not None else "?"
                row = (f"| {md_cell(t['name'])} | {cmd} | {runs} | {md_cell(s['exit'])} | {s['median']:.2f} | "
                       f"{s['min']:.2f} | {s['max']:.2f} | {rss} | {mbps} | {ratio} |")
                if has_out:
                    ob = t.get("output_bytes")
                    row += f" {ob / 1e6:.1f} |" if ob is not None else " n/a |"
            L.append(row)
            if t.get("note"):
                notes.append(f"* {t['name']}: {t['note']}")
        L.append("")
        if notes:
            L.extend(notes)
            L.append("")
        details = []
        for t in w["tools"]:
            warm = t.get("warmup")
            if not warm:
                continue
            parts = []
            out = (warm.get("stdout") or "").strip("\n")
            if out:
                lines = out.splitlines()
                if len(lines) > 8:
                    lines = lines[:4] + [f"[... {warm['stdout_bytes']} bytes in all ...]"] + lines[-3:]
                parts.append("stdout:\n" + "\n".join(l[:200] for l in lines))
            err = (warm.get("stderr") or "").strip("\n")
            if err:
                lines = err.splitlines()
                if len(lines) > 8:
                    lines = lines[:3] + ["[...]"] + lines[-4:]
                parts.append("stderr:\n" + "\n".join(l[:200] for l in lines))
            if parts:
                details.append(f"{t['name']} (exit {warm['exit']}):\n" + "\n".join(parts))
        snippets = []
        for t in w["tools"]:
            argv = t.get("argv", [])
            if argv[1:2] == ["-c"] and argv[2] not in snippets:
                snippets.append(argv[2])
        for snippet in snippets:
            L.append("The Python snippet:")
            L.append("")
            L.append("```python")
            L.append(snippet.rstrip())
            L.append("```")
            L.append("")
        if details:
            L.append("<details><summary>What each tool printed (warm-up run, abridged)</summary>")
            L.append("")
            L.append("```text")
            L.append("\n\n".join(details))
            L.append("```")
            L.append("")
            L.append("</details>")
            L.append("")
    return "\n".join(L).rstrip() + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description="brine side-by-side benchmark; see the module docstring.")
    ap.add_argument("--brine", help="path to the brine binary (release build for published figures)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool (default 5)")
    ap.add_argument("--out", default="docs/benchmarks.md", help="markdown report, relative to the repository root")
    ap.add_argument("--bench-dir", default=os.environ.get("BRINE_BENCH_DIR")
                    or os.path.join(os.path.expanduser("~"), ".cache", "brine", "bench"))
    ap.add_argument("--only", action="append", default=[], help="run only workloads whose name contains this (repeatable)")
    ap.add_argument("--tool", action="append", default=[],
                    help="run only tools whose name contains this (repeatable), e.g. the goals alone: "
                         "--tool brine --tool floor --tool 'Python: pickle'")
    ap.add_argument("--timeout", type=float, default=3600.0, help="kill a run after this many seconds (default 3600)")
    ap.add_argument("--mem-limit-gb", type=float, default=None,
                    help="address-space limit per run (default: 75%% of RAM; 0 for none)")
    ap.add_argument("--json", help="also write the raw measurements here")
    args = ap.parse_args()
    args.argv_shown = sys.argv[1:]

    if not os.path.exists(TIME):
        log(f"{TIME} is missing: apt-get install time (Tests/bench/setup.sh does)")
        return 1
    if args.mem_limit_gb is None:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+) kB", f.read()).group(1))
        args.mem_limit_gb = round(kb * 1024 * 0.75 / 1e9, 1)
    mem_limit = int(args.mem_limit_gb * 1e9) if args.mem_limit_gb else 0

    brine = os.path.abspath(args.brine) if args.brine else None
    brine_note = ""
    if brine and not os.access(brine, os.X_OK):
        brine_note = f"the brine binary {args.brine} is missing, so brine's rows are n/a."
        log(brine_note)
        brine = None
    elif not brine:
        brine_note = "no brine binary was given (--brine), so brine's rows are n/a."
    subcommands = brine_subcommands(brine)
    if brine and "debug" in brine.split(os.sep):
        brine_note = (f"brine is a debug build ({args.brine}); published figures should use "
                      ".build/release/brine.")

    tmp = os.path.join(args.bench_dir, "tmp")
    os.makedirs(tmp, exist_ok=True)
    subst = {"brine": brine or "", "python": sys.executable, "bin": os.path.dirname(sys.executable),
             "tmp": tmp, "input": ""}

    subst["opwalk"], cc_version = build_opwalk(tmp)

    meta = None
    meta_path = os.path.join(args.bench_dir, "tfidf_big.meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)

    workloads = [w for w in WORKLOADS if not args.only or any(o.lower() in w["name"].lower() for o in args.only)]
    if any(w.get("needs_torch") for w in workloads):
        subst["torch_python"] = torch_python()
    inputs = {}
    for w in workloads:
        path = os.path.join(args.bench_dir, w["input"])
        if not os.path.exists(path):
            log(f"missing {path}: run Tests/bench/make_big_vectorizer.py (PyTorch: Tests/bench/make_big_checkpoint.py) first")
            return 1
        inputs[w["input"]] = os.path.getsize(path)

    versions = {
        "brine": (first_line([brine, "--version"]) + f" ({args.brine})") if brine else "n/a",
        "Python (pickletools, pickle)": platform.python_version(),
        "picklescan": pkg_version("picklescan"),
        "fickling": pkg_version("fickling"),
        "modelscan": pkg_version("modelscan"),
        "scikit-learn": pkg_version("scikit-learn"),
        "joblib": pkg_version("joblib"),
        "numpy": pkg_version("numpy"),
        "GNU time": "Debian time " + deb_version("time"),
        "C compiler (opcode-walk floor)": cc_version,
    }
    if "torch_python" in subst:
        versions["torch (PyTorch workloads)"] = first_line(
            [subst["torch_python"], "-c", "import torch; print(torch.__version__)"])
    facts = machine_facts()
    started = dt.datetime.now(dt.timezone.utc)
    args.load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())

    results = []
    for w in workloads:
        input_path = os.path.join(args.bench_dir, w["input"])
        subst["input"] = input_path
        input_bytes = inputs[w["input"]]
        log(f"workload: {w['name']} ({w['input']})")
        wr = {"name": w["name"], "about": w["about"], "input": w["input"], "input_bytes": input_bytes, "tools": []}
        for tool in w["tools"]:
            if args.tool and not any(t.lower() in tool["name"].lower() for t in args.tool):
                continue
            tr = {"name": tool["name"], "is_brine": "brine" in tool, "floor": tool.get("floor", False)}
            if "brine" in tool:
                argv_t = next((c for c in tool["brine"] if c[1] in subcommands), None)
                if not brine:
                    tr["na"] = "n/a (no brine binary)"
                elif argv_t is None:
                    tr["na"] = f"n/a (not yet implemented: no `brine {tool['brine'][0][1]}`)"
                if "na" in tr:
                    shown = dict(subst, brine=subst["brine"] or "brine")
                    tr["cmd_shown"] = fmt_cmd(expand(tool["brine"][0], shown), shown)
            else:
                argv_t = tool["cmd"]
                if "{opwalk}" in argv_t and not subst["opwalk"]:
                    tr["na"] = "n/a (the C opcode walk did not compile)"
                    tr["cmd_shown"] = "opwalk " + w["input"]
            if "na" in tr:
                log(f"  {tool['name']}: {tr['na']}")
                wr["tools"].append(tr)
                continue
            argv = expand(argv_t, subst)
            tr["argv"] = argv
            tr["cmd_shown"] = fmt_cmd(argv, subst)
            out_path = tool.get("output", "").format(**subst) if tool.get("output") else None
            m = measure_tool(tool["name"], argv, subst, args, mem_limit, out_path, tool.get("timeout"))
            tr.update(warmup=m["warmup"], note=m["note"], runs=m["runs"])
            tr["summary"] = summarize(m, input_bytes)
            if tr["summary"] is None:
                tr["na"] = "timeout"
            if out_path:
                tr["output_bytes"] = os.path.getsize(out_path) if os.path.exists(out_path) else None
                if os.path.exists(out_path):
                    os.unlink(out_path)
            wr["tools"].append(tr)
        results.append(wr)

    finished = dt.datetime.now(dt.timezone.utc)
    text = render(args, facts, versions, inputs, meta, results, brine, brine_note, started, finished)
    out = args.out if os.path.isabs(args.out) else os.path.join(REPO, args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    log(f"wrote {out}")
    for g in evaluate_goals(results):
        met = "n/a" if g["met"] is None else ("met" if g["met"] else "NOT MET")
        log(f"goal: {g['what'].replace('`', '')}: {g['measured'] or 'n/a'}, target {g['target']}: {met}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions, "machine": facts, "inputs": inputs, "results": results},
                      f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
