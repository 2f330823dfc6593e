"""Scan a registry of artifacts with brine on a Ray cluster (docs/scale.md).

    python docs/examples/ray_scan.py MODELS_DIR scan.jsonl [--batch 64]

Every worker needs the brine binary on PATH (pip install brine-cli). Each Ray task runs
one `brine check --format jsonl --jobs 1` over a batch of files; the lines (one JSON object
per artifact, docs/json-schema.md "JSON Lines") are gathered and written sorted by artifact.
Not run by the tests: Ray is not installed on the build machine.
"""
import argparse
import json
import os
import subprocess

import ray


@ray.remote(num_cpus=1)
def check(paths):
    # Exit 1 (findings) and 2 (unreadable) still print every line; only usage errors do not.
    done = subprocess.run(["brine", "check", "--format", "jsonl", "--jobs", "1", "-q", *paths],
                          capture_output=True, text=True)
    if done.returncode not in (0, 1, 2):
        raise RuntimeError("brine check exited %d: %s" % (done.returncode, done.stderr.strip()))
    return done.stdout.splitlines()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("out")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(args.root) for f in names)
    ray.init()
    batches = [files[i:i + args.batch] for i in range(0, len(files), args.batch)]
    lines = [line for result in ray.get([check.remote(b) for b in batches]) for line in result]
    lines.sort(key=lambda line: json.loads(line)["artifact"])
    with open(args.out, "w") as out:
        out.writelines(line + "\n" for line in lines)
    statuses = [json.loads(line)["status"] for line in lines]
    print("%d artifacts: %d ok, %d with findings, %d unreadable" % (
        len(lines), statuses.count("ok"), statuses.count("findings"), statuses.count("unreadable")))


if __name__ == "__main__":
    main()
