"""PyTorch legacy files saved under Python 2 (issue 26, item 6): storage keys, dict keys and
sys_info keys pickled as SHORT_BINSTRING, state dicts as Python 2's OrderedDict([[k, v], ...]).
fixtures/torch/generate_py2_legacy.py writes them; torch.load(weights_only=True) reads them,
and every brine command must read them too, with torch's tensor names, shapes and bytes."""
import io
import json
import os
import pickletools
import subprocess

import pytest
import torch

from test_convert import st  # noqa: F401 (safetensors from the formats venv, as test_convert.py loads it)

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "..", "..", "fixtures", "torch", "py2_legacy")
FILES = ["state_dict_py2.pt", "checkpoint_py2.pt"]


def run(brine, *args):
    return subprocess.run([brine, *args], capture_output=True, text=True, timeout=120)


def torch_tensors(obj, prefix=""):
    """Every tensor under `obj` by brine's path syntax: ['key'] for dict keys."""
    out = {}
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            out.update(torch_tensors(value, f"{prefix}[{key!r}]"))
    return out


@pytest.mark.parametrize("name", FILES)
def test_file_is_python2_shaped_and_torch_loads_it(name):
    path = os.path.join(FOLDER, name)
    with open(path, "rb") as f:
        data = f.read()
    stream = io.BytesIO(data)
    opcodes = set()
    for _ in range(5):  # magic, protocol, sys_info, the object, the storage keys
        for opcode, _, _ in pickletools.genops(stream):
            opcodes.add(opcode.name)
            if opcode.name == "STOP":
                break
    assert "SHORT_BINSTRING" in opcodes
    assert not opcodes & {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STACK_GLOBAL", "FRAME"}
    assert torch_tensors(torch.load(path, weights_only=True))


@pytest.mark.parametrize("name", FILES)
def test_tensors_equal_torch(brine, name):
    path = os.path.join(FOLDER, name)
    loaded = torch_tensors(torch.load(path, weights_only=True))
    result = run(brine, "inspect", "--tensors", "--format", "json", path)
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["format"] == "torch-legacy"
    mine = {t["path"]: t for t in listing["tensors"]}
    assert sorted(mine) == sorted(loaded)
    for path_, tensor in loaded.items():
        got = mine[path_]
        assert got["shape"] == list(tensor.shape), path_
        assert got["dtype"] == str(tensor.dtype).removeprefix("torch."), path_
        assert got["storageBytes"] == tensor.untyped_storage().nbytes(), path_
        assert got["storageOffset"] == tensor.storage_offset(), path_
    report = json.loads(run(brine, "inspect", "--format", "json", path).stdout)
    assert report["root"]["bytes"] + report["overheadBytes"] == os.path.getsize(path)


@pytest.mark.parametrize("name", FILES)
def test_every_command_reads_it(brine, tmp_path, st, name):
    path = os.path.join(FOLDER, name)
    for args in (["check", path], ["dis", path], ["decompile", path], ["sbom", path], ["budget", "--limit", "1GB", path],
                 ["diff", path, path]):
        result = run(brine, *args)
        assert result.returncode in (0, 1), (args, result.stderr)
        assert "not a PyTorch file" not in result.stderr, (args, result.stderr)
    # convert: the safetensors file holds torch's tensors, bit for bit.
    output = tmp_path / "out.safetensors"
    result = run(brine, "convert", path, "-o", str(output))
    assert result.returncode == 0, result.stderr
    converted = st.load_file(str(output))
    loaded = torch_tensors(torch.load(path, weights_only=True))
    assert len(converted) == len(loaded)
    by_values = {k.replace("['", "").replace("']", ".").rstrip("."): v for k, v in loaded.items()}
    for key, tensor in converted.items():
        assert torch.equal(tensor, by_values[key]), key


def test_strip_writes_what_torch_loads(brine, tmp_path):
    path = os.path.join(FOLDER, "checkpoint_py2.pt")
    output = tmp_path / "stripped.pt"
    result = run(brine, "strip", "--remove", "['notes']", "--to-zip", path, "-o", str(output))
    assert result.returncode == 0, result.stderr
    before, after = torch.load(path, weights_only=True), torch.load(str(output), weights_only=True)
    assert "notes" in before and "notes" not in after
    assert set(after["state_dict"]) == set(before["state_dict"])
    for key, tensor in before["state_dict"].items():
        assert torch.equal(after["state_dict"][key], tensor), key
