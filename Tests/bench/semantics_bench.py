"""Issue 26: fixing the pickle machine's semantics must not cost speed. The release binary of
this tree against a baseline release binary built from the commit before the fix, side by side
in one run, with the C opcode walk (opwalk.c) as the floor, on several shapes of >= 100 MB
pickle: the bench vectorizer (tfidf_big.pkl, make bench-data), a list of (word, count) tuples
(the shape issue 26's item 1 refused), a dict of str -> int and a list of str -> tuple dict.
Medians of --runs runs after one warm-up; wall time and peak RSS (GNU time). Writes its section
of docs/benchmarks.md.

    make bench-semantics BASELINE=/path/to/baseline/brine
"""
import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sections import write_section  # noqa: E402

BENCH = os.environ.get("BRINE_BENCH_DIR", os.path.expanduser("~/.cache/brine/bench"))
START, END = "<!-- semantics-bench:start -->", "<!-- semantics-bench:end -->"


def shapes():
    """(name, path, description): generated once (deterministic content) under BENCH."""
    os.makedirs(BENCH, exist_ok=True)
    made = []

    def make(name, desc, build, protocol=4):
        path = os.path.join(BENCH, name)
        if not os.path.exists(path):
            data = pickle.dumps(build(), protocol)
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(path + ".tmp", path)
        made.append((name, path, desc))

    big = os.path.join(BENCH, "tfidf_big.pkl")
    if os.path.exists(big):
        made.append(("tfidf_big.pkl", big, "the bench vectorizer: 10.6 M stop words, 2.9 M-entry vocabulary (protocol 5)"))
    make("pairs_p4.pkl", "list of 7 M (word, count) tuples, protocol 4",
         lambda: [("w%d" % i, i) for i in range(7_000_000)])
    make("vocab_p2.pkl", "dict of 6 M str -> int, protocol 2",
         lambda: {"token%d" % i: i for i in range(6_000_000)}, protocol=2)
    make("rows_p4.pkl", "dict of 2 M str -> (str, int, float) tuples, protocol 4",
         lambda: {"k%d" % i: ("v%d" % (i % 1000), i, i / 3) for i in range(2_000_000)})
    return made


def run(cmd, env=None):
    with tempfile.NamedTemporaryFile() as t:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env)
        if p.returncode not in (0, 1):
            raise SystemExit("failed: %s: %s" % (" ".join(cmd), p.stderr.decode()[-400:]))
        wall, rss = open(t.name).read().split()[-2:]
        return float(wall), int(rss) // 1024


def median_of(cmd, runs):
    run(cmd)  # warm-up: page cache
    samples = [run(cmd) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brine", required=True)
    ap.add_argument("--baseline", required=True, help="release brine built from the commit before issue 26")
    ap.add_argument("--baseline-name", default="a7bf8e6")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default="docs/benchmarks.md")
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    opwalk = os.path.join(work, "opwalk")
    subprocess.run(["cc", "-O2", "-o", opwalk, os.path.join(os.path.dirname(os.path.abspath(__file__)), "opwalk.c")], check=True)
    rows = []
    for name, path, desc in shapes():
        size = os.path.getsize(path)
        floor, _ = median_of([opwalk, path], args.runs)
        row = {"name": name, "desc": desc, "mb": size / 1e6, "floor": floor}
        out = os.path.join(work, "out.pkl")
        commands = [("inspect", lambda b: [b, "inspect", path]), ("check", lambda b: [b, "check", path])]
        if name.startswith("tfidf"):
            commands.append(("strip", lambda b: [b, "strip", "--preset", "deploy", path, "-o", out]))
        for command, argv in commands:
            # The two binaries in turns, so a change in the machine's load touches both alike.
            samples = {"new": [], "old": []}
            refused = set()
            for label, binary in (("new", args.brine), ("old", args.baseline)):
                try:
                    run(argv(binary))
                except SystemExit as e:
                    refused.add(label)
                    print("semantics_bench: %s %s %s: %s" % (label, command, name, e), file=sys.stderr)
            for _ in range(args.runs):
                for label, binary in (("new", args.brine), ("old", args.baseline)):
                    if label not in refused:
                        samples[label].append(run(argv(binary)))
            for label in ("new", "old"):
                row[(label, command)] = None if label in refused else (
                    statistics.median(s[0] for s in samples[label]), statistics.median(s[1] for s in samples[label]))
        rows.append(row)
        print("semantics_bench: %s done" % name, file=sys.stderr)

    def cell(row, label, command):
        v = row.get((label, command))
        return "exit 2 (refused)" if v is None else "%.3f s (%d MiB)" % v

    lines = [START, "## Issue 26: semantics fixed, speed kept (brine %s vs the baseline %s)" % ("this tree", args.baseline_name), "",
             "`make bench-semantics BASELINE=…` (Tests/bench/semantics_bench.py): release binaries side by side in one run, "
             "the two binaries in turns, medians of %d runs each after a warm-up, wall time and peak RSS; the C opcode walk (Tests/bench/opwalk.c) is the floor. "
             "The baseline is the release build of %s, the commit before issue 26's fixes "
             "(`git worktree add /tmp/base %s && swift build -c release --package-path /tmp/base --product brine`). "
             "`exit 2` is the baseline refusing a valid file (issue 26 item 1)." % (args.runs, args.baseline_name, args.baseline_name), "",
             "| shape | MB | C walk | inspect (new) | inspect (baseline) | new / baseline | new / C walk | check (new) | check (baseline) | new / baseline |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        def ratio(a, b):
            return "—" if a is None or b is None else "%.2f×" % (a[0] / b[0])
        lines.append("| %s: %s | %.1f | %.3f s | %s | %s | %s | %.2f× | %s | %s | %s |" % (
            r["name"], r["desc"], r["mb"], r["floor"], cell(r, "new", "inspect"), cell(r, "old", "inspect"),
            ratio(r.get(("new", "inspect")), r.get(("old", "inspect"))), r[("new", "inspect")][0] / r["floor"],
            cell(r, "new", "check"), cell(r, "old", "check"), ratio(r.get(("new", "check")), r.get(("old", "check")))))
    for r in rows:
        if r.get(("new", "strip")):
            lines += ["", "`brine strip --preset deploy %s`: %s this tree, %s baseline (%s)." % (
                r["name"], cell(r, "new", "strip"), cell(r, "old", "strip"),
                "%.2f×" % (r[("new", "strip")][0] / r[("old", "strip")][0]) if r.get(("old", "strip")) else "—")]
    lines += [END]
    write_section(args.out, START, END, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
