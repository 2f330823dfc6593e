"""`brine inspect` on PyTorch and fastai files against what torch itself reports
(fixtures/torch/expected.json, written by fixtures/torch/generate_torch.py)."""
import json
import os
import subprocess

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "torch")
with open(os.path.join(FIXTURES, "expected.json")) as f:
    EXPECTED = json.load(f)
FILES = sorted(name for name in EXPECTED if not name.startswith("_"))


def run(brine, *args, check=True):
    return subprocess.run([brine, *args], capture_output=True, text=True, check=check)


def brine_json(brine, *args):
    return json.loads(run(brine, *args, "--format", "json").stdout)


@pytest.mark.parametrize("name", FILES)
def test_fixture_is_the_one_torch_described(name):
    import hashlib
    with open(os.path.join(FIXTURES, name), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == EXPECTED[name]["sha256"]


@pytest.mark.parametrize("name", FILES)
def test_tensor_list_equals_torch(brine, name):
    listing = brine_json(brine, "inspect", "--tensors", os.path.join(FIXTURES, name))
    expected = EXPECTED[name]
    assert listing["format"] == {"zip": "torch-zip", "legacy": "torch-legacy", "torchscript": "torchscript"}[expected["kind"]]
    mine = {t["path"]: t for t in listing["tensors"]}
    theirs = {t["path"]: t for t in expected["tensors"]}
    assert sorted(mine) == sorted(theirs)
    for path, want in theirs.items():
        got = mine[path]
        assert (got["dtype"], got["shape"], got["storageBytes"], got["storageOffset"], got["location"]) == \
            (want["dtype"], want["shape"], want["storageBytes"], want["storageOffset"], want["location"]), path
    # Storage identity: two tensors share a storage in brine's list exactly when they do in torch.
    def groups(tensors, key):
        by = {}
        for t in tensors:
            by.setdefault(t[key], []).append(t["path"])
        return sorted(sorted(g) for g in by.values())
    assert groups(listing["tensors"], "storageKey") == groups(expected["tensors"], "storage")


@pytest.mark.parametrize("name", FILES)
def test_totals_add_up_to_file_size(brine, name):
    report = brine_json(brine, "inspect", os.path.join(FIXTURES, name))
    size = os.path.getsize(os.path.join(FIXTURES, name))
    assert report["fileBytes"] == size
    assert report["root"]["bytes"] + report["overheadBytes"] == size
    overhead = report["torch"]["overhead"]
    assert sum(overhead.values()) == report["overheadBytes"]
    charged = sum(t["chargedBytes"] for t in report["torch"]["tensors"])
    distinct = {}
    for t in report["torch"]["tensors"]:
        distinct[t["storageKey"]] = t["storageBytes"]
    assert charged == sum(distinct.values())


def test_checkpoint_attribution_matches_torch(brine):
    report = brine_json(brine, "inspect", os.path.join(FIXTURES, "checkpoint.pt"))
    children = {c["path"]: c for c in report["root"]["children"]}
    optimizer = children["['optimizer_state_dict']"]
    expected = EXPECTED["checkpoint.pt"]["optimizerStorageBytes"]
    # The optimizer's node holds its storages plus the pickle bytes describing them.
    assert expected <= optimizer["bytes"] <= expected + 4096
    assert optimizer["trainingOnly"]["saving"] == optimizer["bytes"]
    model = {c["path"]: c for c in children["['model_state_dict']"]["children"]}
    embedding = model["['model_state_dict']['embedding.weight']"]
    assert embedding["tensor"]["chargedBytes"] == 1000 * 160 * 4
    text = run(brine, "inspect", os.path.join(FIXTURES, "checkpoint.pt")).stdout
    assert "['optimizer_state_dict']  dict of 2  [training-only" in text
    assert "66." in text.split("['optimizer_state_dict']")[0].splitlines()[-1]


def test_cuda_locations_are_reported(brine):
    listing = brine_json(brine, "inspect", "--tensors", os.path.join(FIXTURES, "checkpoint_cuda.pt"))
    assert {t["location"] for t in listing["tensors"]} == {"cuda:0"}
    # torch agrees: without map_location the file needs a GPU.
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError):
            torch.load(os.path.join(FIXTURES, "checkpoint_cuda.pt"), weights_only=True)


def test_views_and_repeated_tensors(brine):
    listing = brine_json(brine, "inspect", "--tensors", os.path.join(FIXTURES, "shared_views.pt"))
    by = {t["path"]: t for t in listing["tensors"]}
    assert by["['row_view']"]["sharesStorageWith"] == "['base']"
    assert by["['row_view']"]["chargedBytes"] == 0
    assert by["['base']"]["chargedBytes"] == 96
    assert "['same']" not in by   # a memo reference to ['base'], listed once like torch does
