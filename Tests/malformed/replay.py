#!/usr/bin/env python3
"""Replays the malformed corpus (fixtures/malformed/generate.py) against the brine binary.

Every case, for every command it lists:
  - exits 0 or 2 (strip may also exit 1: nothing matched or removal refused);
  - on a non-zero exit writes exactly one line on stderr, `brine: ...`; on 0 nothing;
  - for limit cases, that line names the limit and the option that raises it;
  - finishes within --timeout seconds (a hang is a failure) with peak RSS under --max-rss-mb
    (measured per child with wait4's rusage);
  - strip writes nothing but its -o file in its private directory, and only on exit 0.
Afterwards the canary file, which the os.system/subprocess/eval pickles would create if
they were ever executed, must not exist in any working directory; and the same pickles
loaded by CPython's pickle in a scratch directory must create it (so the canary is live).

Usage: replay.py BRINE_BIN CORPUS_DIR [--jobs N] [--timeout S] [--max-rss-mb M] [--summary FILE] [--only TEXT]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def run_case(brine, corpus, case, command, options, scratch_root):
    path = case["file"] if os.path.isabs(case["file"]) else os.path.join(corpus, case["file"])
    workdir = tempfile.mkdtemp(prefix="case-", dir=scratch_root)
    argv = [brine, command, path] + case.get("args", [])
    output = None
    if command == "strip":
        output = os.path.join(workdir, "out")
        argv += ["--preset", "deploy", "-o", output]
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr_chunks = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(process.stderr.read()))
    reader.start()
    timed_out = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - started > options.timeout:
            timed_out = True
            process.send_signal(signal.SIGKILL)
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.005)
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    elapsed = time.monotonic() - started
    stderr = b"".join(stderr_chunks).decode("utf-8", "replace")
    rss_mb = usage.ru_maxrss / 1024
    problems = []
    code = process.returncode
    allowed = {0, 1, 2} if command == "strip" else {0, 2}
    if timed_out:
        problems.append(f"no result after {options.timeout:.0f} s (hang)")
    elif code not in allowed:
        problems.append(f"exit {code}" + (" (killed by a signal: crash)" if code < 0 else ""))
    lines = stderr.splitlines()
    if not timed_out and code != 0:
        if len(lines) != 1 or not lines[0].startswith("brine: "):
            problems.append(f"stderr is not one `brine:` line: {stderr[:400]!r}")
    if not timed_out and code == 0 and stderr:
        problems.append(f"exit 0 with stderr: {stderr[:200]!r}")
    expect = case.get("expect")
    if expect and command in ("inspect", "strip", "dis") and expect not in stderr and not (command == "dis" and case.get("args") and "--max-stack" in case["args"]):
        if command == "inspect" or code != 0:
            problems.append(f"error does not mention {expect!r}: {stderr.strip()[:300]!r}")
    if rss_mb > options.max_rss_mb:
        problems.append(f"peak RSS {rss_mb:.0f} MB over {options.max_rss_mb} MB")
    left = set(os.listdir(workdir))
    allowed_files = {"out"} if (command == "strip" and code == 0) else set()
    if left - allowed_files:
        problems.append(f"wrote {sorted(left - allowed_files)} in its directory")
    canary = os.path.join(workdir, options.canary)
    if os.path.exists(canary):
        problems.append("CANARY CREATED: something was executed")
    shutil.rmtree(workdir, ignore_errors=True)
    return {"case": case["file"], "command": command, "exit": code, "seconds": elapsed, "rss_mb": rss_mb,
            "problems": problems, "stderr": lines[0] if lines else ""}


def canary_is_live(corpus, canary):
    """Loading each canary pickle with CPython must create the canary file."""
    directory = os.path.join(corpus, "hostile")
    dead = []
    for name in sorted(os.listdir(directory)):
        if not name.startswith("canary_"):
            continue
        scratch = tempfile.mkdtemp(prefix="canary-live-")
        try:
            source = os.path.join(directory, name)
            subprocess.run([sys.executable, "-c", f"import pickle; pickle.load(open({source!r}, 'rb'))"], cwd=scratch,
                           check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not os.path.exists(os.path.join(scratch, canary)):
                dead.append(name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return not dead


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("brine")
    parser.add_argument("corpus")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--max-rss-mb", type=int, default=1024)
    parser.add_argument("--summary")
    parser.add_argument("--only", help="replay only cases whose file contains this text")
    options = parser.parse_args()
    with open(os.path.join(options.corpus, "manifest.json")) as handle:
        manifest = json.load(handle)
    options.canary = manifest["canary"]
    options.corpus = os.path.abspath(options.corpus)
    brine = os.path.abspath(options.brine)
    scratch_root = tempfile.mkdtemp(prefix="brine-malformed-")
    cases = [case for case in manifest["cases"] if not options.only or options.only in case["file"]]
    manifest["cases"] = cases
    jobs = [(case, command) for case in cases for command in case["commands"]]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        results = list(pool.map(lambda job: run_case(brine, options.corpus, job[0], job[1], options, scratch_root), jobs))
    shutil.rmtree(scratch_root, ignore_errors=True)
    failures = [result for result in results if result["problems"]]
    exits = {}
    for result in results:
        exits[result["exit"]] = exits.get(result["exit"], 0) + 1
    slowest = max(results, key=lambda result: result["seconds"])
    biggest = max(results, key=lambda result: result["rss_mb"])
    live = canary_is_live(options.corpus, options.canary)
    summary = {
        "cases": len(manifest["cases"]), "runs": len(results), "exits": {str(k): v for k, v in sorted(exits.items())},
        "wall_seconds": round(time.monotonic() - started, 1),
        "slowest": {"case": slowest["case"], "command": slowest["command"], "seconds": round(slowest["seconds"], 2)},
        "peak_rss": {"case": biggest["case"], "command": biggest["command"], "mb": round(biggest["rss_mb"], 1)},
        "canary_live_in_python": live, "failures": len(failures),
    }
    print(json.dumps(summary, indent=1, sort_keys=True))
    if options.summary:
        with open(options.summary, "w") as handle:
            json.dump({"summary": summary, "results": results}, handle, indent=1, sort_keys=True)
    for failure in failures[:40]:
        print(f"FAIL {failure['command']} {failure['case']}: {'; '.join(failure['problems'])}", file=sys.stderr)
    if not live:
        print("FAIL the canary pickle did not create the canary under CPython: the proof is void", file=sys.stderr)
    return 1 if failures or not live else 0


if __name__ == "__main__":
    sys.exit(main())
