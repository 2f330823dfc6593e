#!/usr/bin/env python3
"""`make bench-scale`: brine budget on a >= 5 GB venv (cold and warm cache) against really
packing it, and brine check over many artifacts with --jobs 1 against the default (every
core). Writes the section of docs/benchmarks.md between the scale-bench markers.

    python Tests/bench/scale_bench.py --brine .build/release/brine --venv VENV --runs 5

Every figure is measured in this run, side by side; each ratio is printed against its goal
(issue 20). Cold budget runs clear brine's cache (BRINE_BUDGET_CACHE points at a scratch
directory) but not the page cache: the venv's files are read from memory after the first
run, which is stated in the section.
"""
import argparse
import json
import os
import pickle
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sections import write_section  # noqa: E402

START, END = "<!-- scale-bench:start -->", "<!-- scale-bench:end -->"
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


CPU_TIMES = {}  # id(walls list) -> CPU seconds (user + system) of each run


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv, env=None, before=None):
    """Wall and CPU time (user + system of the child) of one run, and its stdout."""
    if before:
        before()
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit("%s exited %d" % (" ".join(argv), done.returncode))
    return wall, children_cpu() - cpu, done.stdout


def runs(argv, count, env=None, before=None, warmup=True):
    if warmup:
        timed(argv, env, before)
    walls, cpus, out = [], [], None
    for _ in range(count):
        wall, cpu, out = timed(argv, env, before)
        walls.append(wall)
        cpus.append(cpu)
    CPU_TIMES[id(walls)] = cpus
    return walls, out


def cpu_of(walls):
    return statistics.median(CPU_TIMES[id(walls)])


def paired_runs(first, second, count):
    """`count` runs of each command, alternating (a warm-up of each first), so a load that
    drifts during the measurement weighs on both sides alike."""
    timed(first)
    timed(second)
    walls = ([], [])
    cpus = ([], [])
    outs = [None, None]
    for _ in range(count):
        for side, argv in enumerate((first, second)):
            wall, cpu, outs[side] = timed(argv)
            walls[side].append(wall)
            cpus[side].append(cpu)
    for side in (0, 1):
        CPU_TIMES[id(walls[side])] = cpus[side]
    return walls[0], outs[0], walls[1], outs[1]


def two_at_once_ceiling(directory, count):
    """How much faster two copies of the C opcode walk (Tests/bench/opwalk.c) finish run at
    once than one after the other, on the big bench pickle: what two cores of this machine
    give two independent scans, the ceiling for check's ratio. None without the file or cc."""
    data = os.path.join(os.environ.get("BRINE_BENCH_DIR", os.path.expanduser("~/.cache/brine/bench")), "tfidf_big.pkl")
    binary = os.path.join(directory, "opwalk")
    try:
        subprocess.run([os.environ.get("CC") or "cc", "-O2", "-o", binary, os.path.join(REPO, "Tests/bench/opwalk.c")],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    if not os.path.exists(data):
        return None
    one_after_other, at_once = [], []
    for _ in range(count):
        start = time.perf_counter()
        for _ in range(2):
            subprocess.run([binary, data], stdout=subprocess.DEVNULL, check=True)
        one_after_other.append(time.perf_counter() - start)
        start = time.perf_counter()
        both = [subprocess.Popen([binary, data], stdout=subprocess.DEVNULL) for _ in range(2)]
        for process in both:
            process.wait()
        at_once.append(time.perf_counter() - start)
    return statistics.median(one_after_other) / statistics.median(at_once)


def site_packages(venv):
    lib = os.path.join(venv, "lib")
    for name in sorted(os.listdir(lib)):
        candidate = os.path.join(lib, name, "site-packages")
        if os.path.isdir(candidate):
            return candidate
    raise SystemExit("no site-packages under %s" % venv)


def tree_bytes(root):
    total = files = 0
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                total += os.path.getsize(path)
                files += 1
    return total, files


def real_slug_bytes(app, site):
    """What Heroku measures: a gzip'd tar (GNU tar, gzip -6) of the app and the installed
    packages, piped through wc -c."""
    script = 'tar -cf - -C "$1" . -C "$(dirname "$2")" "$(basename "$2")" | gzip -6 | wc -c'
    start = time.perf_counter()
    out = subprocess.run(["bash", "-c", script, "slug", app, site], check=True, capture_output=True, text=True).stdout
    return int(out.strip()), time.perf_counter() - start


def make_small_artifacts(directory, count):
    """`count` small pickles of varied shape, protocols 0-5, a few KB each."""
    os.makedirs(directory, exist_ok=True)
    for index in range(count):
        value = {"name": "model-%d" % index, "weights": [float(i) * 0.5 for i in range(200 + index % 50)],
                 "vocabulary": {"token%d" % i: i for i in range(100 + index % 100)}, "classes": list(range(index % 7 + 2))}
        with open(os.path.join(directory, "a%04d.pkl" % index), "wb") as f:
            pickle.dump(value, f, protocol=index % 6)


def make_large_artifacts(directory, count, entries):
    """`count` pickles of a vocabulary-like dict (many short strings: opcode-heavy)."""
    os.makedirs(directory, exist_ok=True)
    for index in range(count):
        value = {"vocabulary_": {"w%d_%d" % (index, i): i for i in range(entries)}, "idf_": [1.0 + i % 13 for i in range(entries // 4)]}
        with open(os.path.join(directory, "big%02d.pkl" % index), "wb") as f:
            pickle.dump(value, f, protocol=4 + index % 2)


def verdict(value, goal, better):
    ok = value >= goal if better == "higher" else value <= goal
    return "meets" if ok else "misses"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brine", required=True)
    parser.add_argument("--venv", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=None, help="cold budget runs (default --runs); each compresses the whole venv")
    parser.add_argument("--exact-runs", type=int, default=1, help="cold runs with --exact-gzip (zlib level 6, about 4x slower); 0 skips them")
    parser.add_argument("--out", default="docs/benchmarks.md")
    parser.add_argument("--dir", default="/tmp/brine-scale-bench")
    parser.add_argument("--large-entries", type=int, default=400_000)
    options = parser.parse_args()
    brine = os.path.abspath(options.brine)
    os.makedirs(options.dir, exist_ok=True)
    cpus = len(os.sched_getaffinity(0))

    # --- budget on the venv ---------------------------------------------------------
    site = site_packages(options.venv)
    venv_bytes, venv_files = tree_bytes(site)
    app = os.path.join(options.dir, "app")
    shutil.rmtree(app, ignore_errors=True)
    os.makedirs(app + "/models")
    shutil.copy(os.path.join(REPO, "fixtures/bundles/repo/app.py"), app + "/app.py")
    shutil.copy(os.path.join(REPO, "fixtures/bundles/repo/models/vectorizer.joblib"), app + "/models/vectorizer.joblib")
    cache = os.path.join(options.dir, "budget-cache")
    env = dict(os.environ, BRINE_BUDGET_CACHE=cache)
    budget = [brine, "budget", app, "--limit", "heroku-slug", "--python-env", options.venv, "--format", "json", "-q"]
    clear = lambda: shutil.rmtree(cache, ignore_errors=True)
    cold_runs = options.cold_runs or options.runs
    print("budget cold (%d runs) ..." % cold_runs, flush=True)
    # No warm-up: a cold run is the same work every time (the page cache is warm already
    # when the venv was just installed or read).
    cold, out = runs(budget, cold_runs, env, before=clear, warmup=False)
    measured = json.loads(out)["measuredBytes"]
    exact, exact_measured = None, None
    if options.exact_runs > 0:
        print("budget cold --exact-gzip (%d runs) ..." % options.exact_runs, flush=True)
        exact, exact_out = runs(budget + ["--exact-gzip"], options.exact_runs, env, before=clear, warmup=False)
        exact_measured = json.loads(exact_out)["measuredBytes"]
    print("budget warm ...", flush=True)
    warm, warm_out = runs(budget, options.runs, env)
    assert json.loads(warm_out)["measuredBytes"] == measured, "warm figure differs from cold"
    print("tar | gzip -6 of the slug ...", flush=True)
    real, real_wall = real_slug_bytes(app, site)
    error = (measured - real) / real * 100

    # --- check over many artifacts ----------------------------------------------------
    small = os.path.join(options.dir, "small")
    large = os.path.join(options.dir, "large")
    if not os.path.isdir(small) or len(os.listdir(small)) != 1000:
        shutil.rmtree(small, ignore_errors=True)
        make_small_artifacts(small, 1000)
    if not os.path.isdir(large) or len(os.listdir(large)) != 20:
        shutil.rmtree(large, ignore_errors=True)
        make_large_artifacts(large, 20, options.large_entries)
    checks = []
    for label, directory in (("1,000 small pickles", small), ("20 large pickles", large)):
        size, files = tree_bytes(directory)
        print("check %s ..." % label, flush=True)
        # A fraction of a second each: twice the runs, taken in turns.
        one, one_out, every, every_out = paired_runs([brine, "check", directory, "-q", "--format", "json", "--jobs", "1"],
                                                     [brine, "check", directory, "-q", "--format", "json"], 2 * options.runs + 1)
        assert one_out == every_out, "--jobs changed the output"
        checks.append((label, files, size, one, every))

    print("two C opcode walks at once ...", flush=True)
    ceiling = two_at_once_ceiling(options.dir, 2 * options.runs + 1)

    # --- report -------------------------------------------------------------------------
    med = statistics.median
    goals = []
    goals.append(("budget cold, %d cores" % cpus, "%.1f s" % med(cold), "<= 30 s", verdict(med(cold), 30, "lower")))
    goals.append(("budget warm", "%.2f s" % med(warm), "<= 3 s", verdict(med(warm), 3, "lower")))
    goals.append(("budget figure vs tar \\| gzip -6", "%+.3f %%" % error, "within 0.5 %", verdict(abs(error), 0.5, "lower")))
    for label, files, size, one, every in checks:
        ratio = med(one) / med(every)
        goals.append(("check %s: throughput default / --jobs 1" % label, "%.2fx" % ratio, ">= 1.8x on 2 cores", verdict(ratio, 1.8, "higher")))
    load = os.getloadavg()
    lines = [START, "## Scale: budget on a %.1f GB venv, check over many artifacts on every core" % (venv_bytes / 1e9), "",
             "Made by `Tests/bench/scale_bench.py` (`make bench-scale`, part of `make bench`) on %s, %d CPUs "
             "(load average %.1f when it ended: the machine is shared, so the wall times include waiting for a core), "
             "Python %s; medians of %d timed runs after a warm-up run (cold budget: %d runs, no warm-up). Cold budget runs delete brine's cache "
             "(`BRINE_BUDGET_CACHE`, a scratch directory) before each run; the page cache is warm (the venv's files "
             "are read from memory), so cold means compressing everything, not reading the disk."
             % (platform.machine(), cpus, load[0], platform.python_version(), options.runs, cold_runs), "",
             "Venv: `%s` (%s, %d files under site-packages), app: `fixtures/bundles/repo` app.py and "
             "vectorizer.joblib. Reference: `tar -cf - -C APP . -C LIB site-packages | gzip -6 | wc -c` "
             "(GNU tar, gzip level 6; Heroku packs the slug as a gzip'd tar), %.0f s, once."
             % (os.path.basename(options.venv), "%.2f GB" % (venv_bytes / 1e9), venv_files, real_wall), "",
             "| budget | median wall | min | max | median CPU (user + system) |", "|---|---|---|---|---|",
             "| cold (cache cleared) | %.1f s | %.1f s | %.1f s | %.1f s |" % (med(cold), min(cold), max(cold), cpu_of(cold)),
             ] + ([
             "| cold, `--exact-gzip` (zlib level 6) | %.1f s | %.1f s | %.1f s | %.1f s |" % (med(exact), min(exact), max(exact), cpu_of(exact))]
             if exact else []) + [
             "| warm (cache filled) | %.2f s | %.2f s | %.2f s | %.2f s |" % (med(warm), min(warm), max(warm), cpu_of(warm)), "",
             "brine measured %s bytes (libdeflate sizer); tar | gzip -6 gives %s bytes (%+.3f %%)." % (f"{measured:,}", f"{real:,}", error)
             + (" With `--exact-gzip`: %s bytes (%+.3f %%)." % (f"{exact_measured:,}", (exact_measured - real) / real * 100) if exact else ""), "",
             "Check: %d runs of `--jobs 1` and %d of the default, taken in turns after a warm-up of each." % (2 * options.runs + 1, 2 * options.runs + 1), "",
             "| check | files | bytes | --jobs 1 median | default (%d jobs) median | ratio |" % cpus, "|---|---|---|---|---|---|"]
    for label, files, size, one, every in checks:
        lines.append("| %s | %d | %.1f MB | %.2f s | %.2f s | %.2fx |" % (label, files, size / 1e6, med(one), med(every), med(one) / med(every)))
    if ceiling:
        lines += ["", "The machine's own ceiling: two copies of the C opcode walk (`Tests/bench/opwalk.c`) on `tfidf_big.pkl` "
                  "finish %.2fx as fast run at once as one after the other (medians of %d, in turns)." % (ceiling, 2 * options.runs + 1)]
    lines += ["", "| goal (issue 20) | measured | goal | |", "|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s |" % goal for goal in goals]
    lines += ["", END]
    section = "\n".join(lines) + "\n"
    write_section(options.out, START, END, section)
    print(section)
    for goal in goals:
        print("%-60s %12s  goal %-20s %s" % goal)


if __name__ == "__main__":
    main()
