#!/usr/bin/env python3
"""`make bench-convert`: brine convert of the >= 1 GB PyTorch checkpoint
(Tests/bench/make_big_checkpoint.py) to safetensors, side by side with the Python path
(`torch.load` + `safetensors.torch.save_file`), in the same run on the same machine: medians of
--runs timed runs after a warm-up, wall time and peak RSS of the whole process (GNU time),
and the ratios. Writes a section of docs/benchmarks.md between the convert-bench markers.

Runs with the torch venv's python. safetensors comes from the formats venv (its abi3 wheel,
linked alone onto PYTHONPATH), as in Tests/conformance_torch/test_convert.py: the torch venv
does not pin it. Each workload's outputs are compared tensor by tensor once, untimed.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sections import write_section  # noqa: E402

START, END = "<!-- convert-bench:start -->", "<!-- convert-bench:end -->"
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TIME = "/usr/bin/time"

PY_MODEL = """
import sys, torch
from safetensors.torch import save_file
ckpt = torch.load(sys.argv[1], weights_only=True, mmap=len(sys.argv) > 3)
save_file(ckpt["model_state_dict"], sys.argv[2])
"""

PY_ALL = """
import sys, torch
from safetensors.torch import save_file
def flatten(value, prefix, out):
    if isinstance(value, torch.Tensor):
        out[prefix] = value
    elif isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            flatten(item, f"{prefix}.{index}" if prefix else str(index), out)
    return out
ckpt = torch.load(sys.argv[1], weights_only=True, mmap=len(sys.argv) > 3)
save_file(flatten(ckpt, "", {}), sys.argv[2])
"""

COMPARE = """
import sys, torch
from safetensors.torch import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
assert sorted(a) == sorted(b), (sorted(set(a) ^ set(b)))[:5]
for k in a:
    assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and torch.equal(a[k], b[k]), k
print(len(a))
"""


def formats_safetensors(tmp):
    env = dict(os.environ, BRINE_REQUIREMENTS=os.path.join(REPO, "fixtures", "requirements-formats.txt"), BRINE_VENV_NAME="formats-venv")
    venv = subprocess.run(["bash", os.path.join(REPO, "fixtures", "venv.sh")], env=env, check=True, capture_output=True, text=True).stdout.strip()
    lib = os.path.join(venv, "lib")
    package = os.path.join(lib, os.listdir(lib)[0], "site-packages", "safetensors")
    link = os.path.join(tmp, "safetensors-only")
    os.makedirs(link, exist_ok=True)
    if not os.path.islink(os.path.join(link, "safetensors")):
        os.symlink(package, os.path.join(link, "safetensors"))
    return link


def run_once(argv, env):
    with tempfile.NamedTemporaryFile(prefix="time-", delete=False) as tf:
        time_file = tf.name
    start = time.perf_counter()
    code = subprocess.run([TIME, "-f", "%M", "-o", time_file, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    with open(time_file) as f:
        rss_kb = int([line for line in f if line.strip()][-1])
    os.unlink(time_file)
    if code.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {code.stderr.decode(errors='replace')[-2000:]}")
    return wall, rss_kb


def measure(argv, output, runs, env):
    if os.path.exists(output):
        os.unlink(output)
    run_once(argv, env)                                   # warm-up: page cache, imports
    walls, rss = [], []
    for _ in range(runs):
        os.unlink(output)
        wall, kb = run_once(argv, env)
        walls.append(wall)
        rss.append(kb)
    return statistics.median(walls), min(walls), max(walls), statistics.median(rss) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brine", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default="docs/benchmarks.md")
    parser.add_argument("--input", default=os.path.join(os.environ.get("BRINE_BENCH_DIR") or os.path.expanduser("~/.cache/brine/bench"),
                                                        "torch_checkpoint.pt"))
    options = parser.parse_args()
    import torch
    tmp = os.path.join(os.path.dirname(options.input), "tmp")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=formats_safetensors(tmp))
    sys.path.insert(0, env["PYTHONPATH"])
    import safetensors
    py, src = sys.executable, options.input
    size = os.path.getsize(src)
    workloads = [
        ("model_state_dict only", [
            ("brine convert --key model_state_dict", [options.brine, "convert", src, "-o", "{out}", "--key", "model_state_dict"]),
            ("python: torch.load(weights_only=True) + save_file", [py, "-c", PY_MODEL, src, "{out}"]),
            ("python: torch.load(weights_only=True, mmap=True) + save_file", [py, "-c", PY_MODEL, src, "{out}", "mmap"]),
        ]),
        ("every tensor (model and Adam state)", [
            ("brine convert", [options.brine, "convert", src, "-o", "{out}"]),
            ("python: torch.load(weights_only=True) + save_file", [py, "-c", PY_ALL, src, "{out}"]),
            ("python: torch.load(weights_only=True, mmap=True) + save_file", [py, "-c", PY_ALL, src, "{out}", "mmap"]),
        ]),
    ]
    rows = []
    for workload, tools in workloads:
        outputs = []
        for index, (label, argv) in enumerate(tools):
            out = os.path.join(tmp, f"convert-{len(rows)}.safetensors")
            argv = [out if part == "{out}" else part for part in argv]
            print(f"{workload}: {label}", file=sys.stderr)
            med, lo, hi, rss = measure(argv, out, options.runs, env)
            rows.append((workload, label, med, lo, hi, rss, index == 0))
            outputs.append(out)
        count = subprocess.run([py, "-c", COMPARE, outputs[0], outputs[1]], env=env, check=True, capture_output=True, text=True).stdout.strip()
        rows[-len(tools)] += (count,)
        for out in outputs:
            os.unlink(out)

    lines = [START, "## PyTorch: convert the checkpoint to safetensors", "",
             f"Made by `Tests/bench/convert_bench.py` (`make bench-convert`, part of `make bench`) on {platform.machine()}, "
             f"{os.cpu_count()} CPUs, torch {torch.__version__}, safetensors {safetensors.__version__}; input "
             f"`{os.path.basename(src)}` ({size / 1e9:.2f} GB, Tests/bench/make_big_checkpoint.py). {options.runs} timed runs "
             "after a warm-up (the input is in the page cache), wall time and peak RSS of the whole process (GNU time), "
             "medians. brine streams each tensor from its storage record into the output (and hashes the input for "
             "`__metadata__` on a second thread); the Python path loads the checkpoint (unpickling it) and writes every "
             "tensor with `safetensors.torch.save_file`. Both outputs were compared tensor by tensor (`torch.equal`, "
             "same dtype and shape) after the runs. Ratios are the Python row over brine's (time) and brine's over "
             "the Python row's (RSS).", "",
             "| workload | command | median | min | max | peak RSS | time ratio | RSS ratio |", "|---|---|---|---|---|---|---|---|"]
    brine_row = None
    for row in rows:
        workload, label, med, lo, hi, rss, is_brine = row[:7]
        if is_brine:
            brine_row = row
            ratio_t = ratio_m = "1"
        else:
            ratio = med / brine_row[2]
            ratio_t = f"brine {ratio:.1f}x faster" if ratio >= 1 else f"brine {1 / ratio:.1f}x slower"
            ratio_m = f"brine {brine_row[5] / rss:.2f}x"
        name = workload + (f" ({row[7]} tensors, compared equal)" if len(row) > 7 else "")
        lines.append(f"| {name} | {label} | {med:.2f} s | {lo:.2f} s | {hi:.2f} s | {rss:,.0f} MiB | {ratio_t} | {ratio_m} |")
    lines += ["", END]
    section = "\n".join(lines) + "\n"
    write_section(os.path.join(REPO, options.out) if not os.path.isabs(options.out) else options.out, START, END, section)
    print(section)


if __name__ == "__main__":
    main()
