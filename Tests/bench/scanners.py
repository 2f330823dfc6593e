#!/usr/bin/env python3
"""Precision and recall of pickle scanners on the fixture corpus; writes a section of
docs/benchmarks.md (between the check-scanners markers, appended when absent).

    VENV="$(Tests/bench/venv.sh)"
    "$VENV/bin/python" Tests/bench/scanners.py --brine .build/release/brine

Corpus (the same globs as the Swift precision/recall tests, so new fixture folders join):
hostile = fixtures/check/hostile/* (each runs `touch brine-canary` when unpickled);
benign = every artifact under fixtures/ except check/hostile, check/findings, the
synthetic opcode corpus fixtures/pickle and bundles/hostile (path traversal and a
decompression bomb: not pickle payloads); the Heroku app bundles/heroku-app is one entry,
the directory (it holds random bytes and text that are no artifact on their own).

A tool *flags* a file when it reports it as unsafe by its own criterion:
brine: any security finding (BR601 dangerous-global, BR602 unknown-global);
picklescan: a dangerous global (exit 1); fickling --check-safety: exit 1;
modelscan: exit 1 (issues found). A file a tool could not scan (an error exit, "no
supported files", a timeout) is counted apart: for a hostile file it is a miss.
Every tool runs in a scratch directory, so the canary shows whether anything ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "fixtures")
EXTENSIONS = {"pkl", "pickle", "joblib", "zlib", "gz", "bz2", "xz", "lzma", "lz4", "pt", "pth", "ckpt", "bin", "tar", "tgz", "zip"}
EXCLUDED = ("check/hostile/", "check/findings/", "pickle/", "bundles/hostile/")
DIRECTORIES = ("bundles/heroku-app",)
START, END = "<!-- check-scanners:start -->", "<!-- check-scanners:end -->"


def corpus():
    hostile, benign = [], list(DIRECTORIES)
    for folder, _, names in os.walk(FIXTURES):
        for name in names:
            if name.startswith(".") or name.rsplit(".", 1)[-1] not in EXTENSIONS:
                continue
            rel = os.path.relpath(os.path.join(folder, name), FIXTURES)
            if rel.startswith("check/hostile/"):
                hostile.append(rel)
            elif not rel.startswith(EXCLUDED) and not rel.startswith(tuple(d + "/" for d in DIRECTORIES)):
                benign.append(rel)
    return sorted(hostile), sorted(benign)


def run(argv, cwd, timeout):
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", ""


def brine_verdict(brine, path, cwd, timeout):
    code, out = run([brine, "check", "--format", "json", path], cwd, timeout)
    if code not in (0, 1):
        return "error", str(code)
    doc = json.loads(out[: out.rindex("}") + 1])
    security = sorted({f["code"] for f in doc["findings"] if f["code"].startswith("BR6")})
    return ("flagged" if security else "clean"), ",".join(security) or "-"


def picklescan_verdict(bindir, path, cwd, timeout):
    code, out = run([os.path.join(bindir, "picklescan"), "--path", path], cwd, timeout)
    if code == "timeout":
        return "error", "timeout"
    if "Scanned files: 0" in out or code not in (0, 1):
        return "error", f"exit {code}, nothing scanned" if "Scanned files: 0" in out else f"exit {code}"
    return ("flagged" if code == 1 else "clean"), f"exit {code}"


def fickling_verdict(bindir, path, cwd, timeout):
    code, out = run([os.path.join(bindir, "fickling"), "--check-safety", "--json-output", os.path.join(cwd, "f.json"), path],
                    cwd, timeout)
    if code == "timeout":
        return "error", "timeout"
    if code not in (0, 1):
        return "error", f"exit {code}"
    return ("flagged" if code == 1 else "clean"), f"exit {code}"


def modelscan_verdict(bindir, path, cwd, timeout):
    code, out = run([os.path.join(bindir, "modelscan"), "scan", "-p", path], cwd, timeout)
    if code == "timeout":
        return "error", "timeout"
    if code not in (0, 1):
        reason = {2: "scan failed", 3: "no supported files"}.get(code, "")
        return "error", f"exit {code} {reason}".strip()
    return ("flagged" if code == 1 else "clean"), f"exit {code}"


def version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brine", required=True)
    ap.add_argument("--out", default="docs/benchmarks.md")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per tool and file (fickling can take minutes)")
    args = ap.parse_args()
    brine = os.path.abspath(args.brine)
    bindir = os.path.dirname(sys.executable)
    hostile, benign = corpus()
    tools = [
        ("brine check", lambda p, c: brine_verdict(brine, p, c, args.timeout),
         subprocess.run([brine, "--version"], capture_output=True, text=True).stdout.strip()),
        ("picklescan", lambda p, c: picklescan_verdict(bindir, p, c, args.timeout), version("picklescan")),
        ("fickling --check-safety", lambda p, c: fickling_verdict(bindir, p, c, args.timeout), version("fickling")),
        ("modelscan", lambda p, c: modelscan_verdict(bindir, p, c, args.timeout), version("modelscan")),
    ]
    started = dt.datetime.now(dt.timezone.utc)
    rows, details, canaries = [], {}, []
    for name, verdict, _ in tools:
        counts = {"hostile_flagged": 0, "hostile_missed": 0, "hostile_error": 0,
                  "benign_flagged": 0, "benign_clean": 0, "benign_error": 0}
        for group, files in (("hostile", hostile), ("benign", benign)):
            for rel in files:
                scratch = tempfile.mkdtemp(prefix="scan-")
                result, note = verdict(os.path.join(FIXTURES, rel), scratch)
                if os.path.exists(os.path.join(scratch, "brine-canary")):
                    canaries.append(f"{name} on {rel}")
                shutil.rmtree(scratch, ignore_errors=True)
                key = {"flagged": "flagged", "clean": "missed" if group == "hostile" else "clean", "error": "error"}[result]
                counts[f"{group}_{key}"] += 1
                details.setdefault(rel, {})[name] = f"{result} ({note})"
                print(f"scanners.py: {name}: {rel}: {result} ({note})", file=sys.stderr, flush=True)
        rows.append((name, counts))
    finished = dt.datetime.now(dt.timezone.utc)

    L = [START, "", "## Scanners on the fixture corpus: precision and recall", ""]
    L.append(f"Measured {started:%Y-%m-%d %H:%M}–{finished:%H:%M} UTC by `Tests/bench/scanners.py` "
             f"(`make bench` runs it after `run.py`) on {len(hostile)} hostile and {len(benign)} benign fixture files, "
             "on the same shared 2-core machine as the timings above (other builds were running). "
             "Hostile files run `touch brine-canary` when unpickled (`fixtures/check/hostile`, including one pipeline "
             "payload through joblib with every codec, and the payload as a member of a SageMaker `model.tar.gz` and of "
             "a Lambda zip); benign files are every real-library artifact of `fixtures/` "
             "(scikit-learn, pandas, numpy, LightGBM; joblib with every codec; torch and fastai; the SageMaker tarballs, "
             "and the Heroku app directory as one entry). A tool flags a file when it calls it unsafe by its own criterion (brine: any BR6xx "
             "finding, warnings included); *not scanned* counts error exits (fickling's \"failed to parse … DO NOT TRUST "
             "this file\" on joblib files, a blanket refusal rather than a finding), \"no supported files\" (modelscan on "
             "compressed joblib) and timeouts "
             f"({args.timeout:.0f} s per file).")
    L.append("")
    L.append("| tool | version | hostile flagged (recall) | hostile not scanned | benign flagged (false positives) | benign not scanned |")
    L.append("| --- | --- | ---: | ---: | ---: | ---: |")
    for (name, counts), (_, _, ver) in zip(rows, tools):
        L.append(f"| {name} | {ver} | {counts['hostile_flagged']}/{len(hostile)} | {counts['hostile_error']} | "
                 f"{counts['benign_flagged']}/{len(benign)} | {counts['benign_error']} |")
    L.append("")
    L.append("Canary files created during the scans: " + (", ".join(canaries) if canaries else "none") + ".")
    L.append("")
    L.append("<details><summary>Per file</summary>")
    L.append("")
    L.append("| file | " + " | ".join(name for name, _, _ in tools) + " |")
    L.append("| --- |" + " --- |" * len(tools))
    for rel in hostile + benign:
        L.append(f"| `{rel}` | " + " | ".join(details[rel].get(name, "") for name, _, _ in tools) + " |")
    L.append("")
    L.append("</details>")
    L.append("")
    L.append(END)
    section = "\n".join(L) + "\n"

    out = args.out if os.path.isabs(args.out) else os.path.join(REPO, args.out)
    text = open(out).read() if os.path.exists(out) else ""
    if START in text and END in text:
        text = text[: text.index(START)] + section.rstrip("\n") + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(out, "w") as f:
        f.write(text)
    print(f"scanners.py: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
