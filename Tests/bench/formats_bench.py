#!/usr/bin/env python3
"""`brine inspect` of a >= 1 GB safetensors file and a >= 1 GB GGUF file against the Python
libraries' own header read (safetensors.safe_open, gguf.GGUFReader); writes a section of
docs/benchmarks.md (between the formats-bench markers, appended when absent).

Run with the formats venv's python (fixtures/requirements-formats.txt):

    VENV="$(BRINE_REQUIREMENTS=$PWD/fixtures/requirements-formats.txt BRINE_VENV_NAME=formats-venv bash fixtures/venv.sh)"
    "$VENV/bin/python" Tests/bench/formats_bench.py --brine .build/release/brine --runs 5 --out docs/benchmarks.md

The files are made at bench time under --dir (default /tmp/brine-formats-bench, never
committed) by the libraries' writers for the header; the data section is extended with
ftruncate (zeros, sparse on most file systems): a header read never touches it, which is
the point being measured. Each command gets one untimed warm-up run, then --runs timed runs
(wall time of the child process, median, min, max); every figure comes from this run.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sections import write_section  # noqa: E402

import numpy as np

START, END = "<!-- formats-bench:start -->", "<!-- formats-bench:end -->"
GIB = 1 << 30


def make_safetensors(path, total):
    """Attention projections of F16 4096x4096 tensors adding up to `total` bytes. safetensors'
    writers need the data in memory, so the header is written here in its format (compact
    JSON padded with spaces to 8 bytes, as safetensors pads it) and checked by safe_open."""
    hidden = 4096
    per_layer = 4 * hidden * hidden * 2
    layers = max(1, total // per_layer)
    header, offset = {}, 0
    for layer in range(layers):
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            nbytes = hidden * hidden * 2
            header[f"model.layers.{layer}.self_attn.{name}.weight"] = {"dtype": "F16", "shape": [hidden, hidden], "data_offsets": [offset, offset + nbytes]}
            offset += nbytes
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        f.truncate(8 + len(text) + offset)
    # safetensors must accept it: open it and read one tensor's shape.
    from safetensors import safe_open
    with safe_open(path, "numpy") as f:
        assert len(list(f.keys())) == layers * 4
    return layers * 4


def make_gguf(path, total):
    import gguf
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_context_length(4096)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_token_list([f"tok{i}".encode() for i in range(32000)])
    hidden = 4096
    nbytes = hidden // 32 * 34 * hidden
    count = max(1, total // nbytes)
    for layer in range(count):
        # Quantized tensors are given by their byte shape (rows of 4096 / 32 blocks of 34 bytes).
        writer.add_tensor_info(f"blk.{layer}.attn_q.weight", (hidden, hidden // 32 * 34), np.dtype(np.uint8), nbytes,
                               raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    size = os.path.getsize(path)
    aligned = size + (32 - size % 32) % 32
    with open(path, "r+b") as f:
        f.truncate(aligned + count * (nbytes + (32 - nbytes % 32) % 32))
    reader = gguf.GGUFReader(path)
    assert len(reader.tensors) == count
    return count


def time_runs(argv, runs):
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
    return walls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brine", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default="docs/benchmarks.md")
    parser.add_argument("--dir", default="/tmp/brine-formats-bench")
    parser.add_argument("--gib", type=float, default=1.05)
    options = parser.parse_args()
    os.makedirs(options.dir, exist_ok=True)
    total = int(options.gib * GIB)
    st_path, gguf_path = os.path.join(options.dir, "big.safetensors"), os.path.join(options.dir, "big.gguf")
    st_tensors = make_safetensors(st_path, total)
    gguf_tensors = make_gguf(gguf_path, total)
    py = sys.executable
    rows = []
    cases = [
        ("safetensors", st_path, st_tensors, [
            ("brine inspect --format json", [options.brine, "inspect", "--format", "json", st_path]),
            ("brine inspect --tensors --format json", [options.brine, "inspect", "--tensors", "--format", "json", st_path]),
            ("python: safe_open, every key's dtype and shape", [py, "-c",
             "import sys\nfrom safetensors import safe_open\nwith safe_open(sys.argv[1], 'numpy') as f:\n"
             "    [(f.get_slice(k).get_dtype(), f.get_slice(k).get_shape()) for k in f.keys()]", st_path]),
        ]),
        ("gguf", gguf_path, gguf_tensors, [
            ("brine inspect --format json", [options.brine, "inspect", "--format", "json", gguf_path]),
            ("brine inspect --tensors --format json", [options.brine, "inspect", "--tensors", "--format", "json", gguf_path]),
            ("python: gguf.GGUFReader, every tensor's type, shape, bytes", [py, "-c",
             "import sys, gguf\nr = gguf.GGUFReader(sys.argv[1])\n[(t.tensor_type, t.shape, t.n_bytes) for t in r.tensors]", gguf_path]),
        ]),
    ]
    for fmt, path, tensors, commands in cases:
        size = os.path.getsize(path)
        for label, argv in commands:
            walls = time_runs(argv, options.runs)
            rows.append((fmt, size, tensors, label, statistics.median(walls), min(walls), max(walls)))
    import safetensors
    import gguf
    lines = [START, "## Tensor formats: inspect a 1 GB safetensors file and a 1 GB GGUF file (header only)", "",
             f"Made by `Tests/bench/formats_bench.py` (`make bench-formats`) on {platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}, safetensors {safetensors.__version__}, "
             f"gguf {gguf.__version__ if hasattr(gguf, '__version__') else '0.19.0'}; {options.runs} timed runs after a warm-up, wall time "
             "of the whole process (the Python rows include interpreter start-up and import, which is what a user "
             "running them pays). The files are generated under /tmp at bench time: the GGUF header by "
             "gguf.GGUFWriter (32,000-token vocabulary, Q8_0 tensor infos), the safetensors header in its format by "
             "the script and validated by safe_open; the data sections are extended with ftruncate. None of the "
             "commands reads tensor data, so the times do not depend on the data's size.", "",
             "| format | file | tensors | command | median | min | max |", "|---|---|---|---|---|---|---|"]
    for fmt, size, tensors, label, med, lo, hi in rows:
        lines.append(f"| {fmt} | {size / 1e9:.2f} GB | {tensors:,} | {label} | {med * 1000:.1f} ms | {lo * 1000:.1f} ms | {hi * 1000:.1f} ms |")
    lines += ["", END]
    section = "\n".join(lines) + "\n"
    write_section(options.out, START, END, section)
    print(section)


if __name__ == "__main__":
    main()
