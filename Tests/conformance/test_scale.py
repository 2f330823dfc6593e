"""docs/scale.md: the xargs fan-out of `brine check --format jsonl`, run as the doc writes
it, gives the lines one `brine check DIR --format jsonl` gives, and `--jobs` never changes
what check prints."""
import json
import os
import re
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def doc_block():
    text = open(os.path.join(REPO, "docs", "scale.md"), encoding="utf-8").read()
    section = text.split("## xargs", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.fixture()
def brine_on_path(brine, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(brine, bin_dir / "brine")
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ["PATH"]))
    return env


def test_xargs_example_gives_the_lines_of_one_run(brine, brine_on_path, tmp_path):
    block = doc_block()
    assert "xargs -0" in block and "-P 4" in block
    # Run from the repository (the doc names fixtures/check), writing into tmp_path.
    script = block.replace("scan.jsonl", str(tmp_path / "scan.jsonl")).replace(
        "scan-sorted.jsonl", str(tmp_path / "scan-sorted.jsonl"))
    subprocess.run(["bash", "-c", script], cwd=REPO, env=brine_on_path, check=False)
    fanned = open(tmp_path / "scan-sorted.jsonl", encoding="utf-8").read().splitlines()
    one = subprocess.run([brine, "check", "fixtures/check", "--format", "jsonl", "-q"],
                         cwd=REPO, capture_output=True, text=True)
    assert one.returncode in (0, 1), one.stderr
    single = one.stdout.splitlines()
    assert len(single) >= 20
    assert sorted(single) == single, "one run already writes lines in artifact order"
    assert fanned == single
    for line in single:
        record = json.loads(line)
        assert list(record) == sorted(record)
        assert record["status"] in ("ok", "findings", "unreadable")
        assert sum(record["counts"].values()) == len(record["findings"])
        assert all(f["file"] == record["artifact"] for f in record["findings"])


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif"])
def test_jobs_never_change_the_output(brine, fmt):
    runs = [subprocess.run([brine, "check", "fixtures", "--format", fmt, "-q", "--jobs", jobs],
                           cwd=REPO, capture_output=True) for jobs in ("1", "2", "5")]
    assert runs[0].stdout
    for run in runs[1:]:
        assert (run.returncode, run.stdout, run.stderr) == (runs[0].returncode, runs[0].stdout, runs[0].stderr)
