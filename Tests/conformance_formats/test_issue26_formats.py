"""Issue 26's tensor-format items against the real libraries, in the same run: ONNX tensors
outside graph.initializer (onnx), lone TensorProto files (onnx), compressed npz members and a
Python 2 object array (numpy), vocabulary-only GGUF files (gguf), and what convert and sbom
say of tensor formats."""
import json
import os
import subprocess
import zipfile

import numpy as np
import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FORMATS = os.path.join(ROOT, "fixtures", "formats")


def run(brine, *args):
    return subprocess.run([brine, *args], capture_output=True, text=True, timeout=120)


def brine_json(brine, *args):
    result = run(brine, *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------- ONNX: every tensor (item 10)

def onnx_tensors(model):
    """Every TensorProto of a ModelProto, walked with the onnx library: graph initializers,
    sparse initializers, node attributes (TENSOR, TENSORS, SPARSE_TENSOR(S)) and subgraphs,
    training-info graphs, functions. Names as docs/json-schema.md gives them."""
    from onnx import AttributeProto
    found = []

    def sparse(s, name):
        found.append((s.values, name))
        found.append((s.indices, name + " (indices)"))

    def graph(g):
        for t in g.initializer:
            found.append((t, t.name))
        for s in g.sparse_initializer:
            sparse(s, s.values.name)
        for n in g.node:
            node(n)

    def node(n):
        owner = n.name or (n.output[0] if n.output and n.output[0] else n.op_type)
        constant = n.output[0] if n.op_type == "Constant" and n.domain in ("", "ai.onnx") and n.output else None
        for a in n.attribute:
            attribute(a, owner, constant)

    def attribute(a, owner, constant):
        base = f"{owner}.{a.name}"
        single = (constant or base) if a.name in ("value", "sparse_value") else base
        if a.type == AttributeProto.TENSOR:
            found.append((a.t, a.t.name or single))
        for i, t in enumerate(a.tensors):
            found.append((t, t.name or f"{base}[{i}]"))
        if a.type == AttributeProto.SPARSE_TENSOR:
            sparse(a.sparse_tensor, a.sparse_tensor.values.name or single)
        for i, s in enumerate(a.sparse_tensors):
            sparse(s, s.values.name or f"{base}[{i}]")
        if a.type == AttributeProto.GRAPH:
            graph(a.g)
        for g in a.graphs:
            graph(g)

    graph(model.graph)
    for info in model.training_info:
        graph(info.initialization)
        graph(info.algorithm)
    for f in model.functions:
        for n in f.node:
            node(n)
        for a in f.attribute_proto:
            attribute(a, f.name, None)
    return found


def typed_payload(tensor):
    """Bytes of a tensor's typed data fields as protobuf writes them (packed payloads)."""
    from onnx import TensorProto
    copy = TensorProto()
    for field in ("float_data", "int32_data", "string_data", "int64_data", "double_data", "uint64_data"):
        getattr(copy, field).extend(getattr(tensor, field))
    data = copy.SerializeToString()
    total, offset = 0, 0
    while offset < len(data):
        offset += 1  # tag (fields 4-11 fit in one byte)
        length, shift = 0, 0
        while True:
            byte = data[offset]
            offset += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        total += length
        offset += length
    return total


ONNX_FILES = ["onnx/constants.onnx", "onnx/constants_external/model.onnx", "onnx/mlp.onnx", "onnx/external/model.onnx"]


@pytest.mark.parametrize("name", ONNX_FILES)
def test_onnx_every_tensor_equals_the_onnx_library(brine, name):
    import onnx
    path = os.path.join(FORMATS, name)
    model = onnx.load(path, load_external_data=False)
    truth = onnx_tensors(model)
    with open(path, "rb") as f:
        data = f.read()
    listing = brine_json(brine, "inspect", "--tensors", path)["tensors"]
    assert sorted(t["name"] for t in listing) == sorted(n for _, n in truth)
    mine = {t["name"]: t for t in listing}
    assert len(mine) == len(listing)
    for tensor, tensor_name in truth:
        got = mine[tensor_name]
        assert got["shape"] == list(tensor.dims), tensor_name
        assert got["dtype"] == onnx.TensorProto.DataType.Name(tensor.data_type), tensor_name
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            entries = {e.key: e.value for e in tensor.external_data}
            assert got["location"] == entries["location"]
            assert (got["offset"], got["bytes"]) == (int(entries.get("offset", 0)), int(entries["length"])), tensor_name
            with open(os.path.join(os.path.dirname(path), entries["location"]), "rb") as f:
                f.seek(got["offset"])
                assert len(f.read(got["bytes"])) == got["bytes"]
        elif tensor.HasField("raw_data"):
            assert got["bytes"] == len(tensor.raw_data), tensor_name
            assert data[got["offset"]:got["offset"] + got["bytes"]] == tensor.raw_data, tensor_name
        else:
            assert got["bytes"] == typed_payload(tensor), tensor_name
    report = brine_json(brine, "inspect", path)
    assert report["root"]["bytes"] == len(data)


def test_onnx_constants_are_counted_in_the_header(brine):
    import onnx
    path = os.path.join(FORMATS, "onnx", "constants.onnx")
    truth = onnx_tensors(onnx.load(path))
    text = run(brine, "inspect", path).stdout.splitlines()[0]
    assert f"{len(truth)} tensors" in text
    assert not text.startswith(f"{path}: onnx, 1.2 KB, 0 tensors")


def test_onnx_tensor_pb_is_read_as_a_tensor(brine):
    from onnx import TensorProto, numpy_helper
    path = os.path.join(FORMATS, "onnx", "test_data_set_0", "input_0.pb")
    with open(path, "rb") as f:
        data = f.read()
    tensor = TensorProto()
    tensor.ParseFromString(data)
    array = numpy_helper.to_array(tensor)
    report = brine_json(brine, "inspect", path)
    assert report["format"] == "onnx-tensor"
    (got,) = report["layout"]["tensors"]
    assert (got["name"], got["shape"], got["bytes"]) == (tensor.name, list(array.shape), array.nbytes)
    assert data[got["offset"]:got["offset"] + got["bytes"]] == tensor.raw_data
    # Commands that read pickles only say what it is.
    for command in ("dis", "strip", "decompile"):
        args = [command, path] + (["--preset", "deploy", "--dry-run"] if command == "strip" else [])
        result = run(brine, *args)
        assert result.returncode == 2, (command, result.stderr)
        assert "TensorProto" in result.stderr and "not a pickle opcode" not in result.stderr, (command, result.stderr)


# ---------------------------------------------------------------- npz: array bytes and stored bytes (item 9)

@pytest.mark.parametrize("name", ["compressed.npz", "stored.npz", "object_member.npz"])
def test_npz_reports_numpy_nbytes_and_stored_bytes_apart(brine, name):
    path = os.path.join(FORMATS, "numpy", name)
    listing = {t["name"]: t for t in brine_json(brine, "inspect", "--tensors", path)["tensors"]}
    with zipfile.ZipFile(path) as archive:
        infos = {i.filename[:-4]: i for i in archive.infolist()}
    with np.load(path, allow_pickle=True) as data:
        for key in data.files:
            array, info, got = data[key], infos[key], listing[key]
            if not array.dtype.hasobject:
                assert got["bytes"] == array.nbytes, key
            if info.compress_type == zipfile.ZIP_DEFLATED:
                assert got["storedBytes"] == info.compress_size, key
            else:
                assert "storedBytes" not in got, key
    report = brine_json(brine, "inspect", path)
    assert sum(c["bytes"] for c in report["root"]["children"]) == os.path.getsize(path)


def test_compressed_npz_text_says_both(brine):
    path = os.path.join(FORMATS, "numpy", "compressed.npz")
    with np.load(path) as data:
        nbytes = sum(data[k].nbytes for k in data.files)
    header = run(brine, "inspect", path).stdout.splitlines()[0]
    assert f"{nbytes} B of data, stored as" in header, header
    table = run(brine, "inspect", "--tensors", path).stdout
    assert "compressed)" in table


# ---------------------------------------------------------------- npy written under Python 2 (item 8)

def test_python2_object_npy_is_checked_as_numpy_reads_it(brine):
    path = os.path.join(FORMATS, "numpy", "object_py2.npy")
    array = np.load(path, allow_pickle=True, encoding="latin1")
    assert array.tolist()[0] == "alpha"
    with open(path, "rb") as f:
        assert f.read()[-2:] == b".\n"  # the newline after the pickle's STOP
    for command in ("check", "inspect", "budget"):
        args = [command, path] + (["--limit", "1GB"] if command == "budget" else [])
        result = run(brine, *args)
        assert result.returncode in (0, 1), (command, result.stderr)
        assert "not a pickle opcode" not in result.stderr
    findings = json.loads(run(brine, "check", "--format", "json", path).stdout)["findings"]
    assert "BR806" in {f["code"] for f in findings}


# ---------------------------------------------------------------- GGUF vocabulary-only files (item 11)

def test_gguf_vocabulary_only_file_opens_as_in_gguf(brine):
    import gguf
    path = os.path.join(FORMATS, "gguf", "vocab-only.gguf")
    reader = gguf.GGUFReader(path)
    assert len(reader.tensors) == 0
    report = brine_json(brine, "inspect", path)
    assert report["layout"]["tensors"] == []
    assert report["layout"]["facts"]["vocabulary"] == str(len(reader.fields["tokenizer.ggml.tokens"].data))
    assert report["root"]["bytes"] == os.path.getsize(path)
    assert run(brine, "check", path).returncode == 0


# ---------------------------------------------------------------- messages (item 14)

@pytest.mark.parametrize("name", ["onnx/mlp.onnx", "safetensors/tiny.safetensors", "numpy/stored.npz", "numpy/float32_2d.npy"])
@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_convert_says_a_tensor_format_is_one_already(brine, tmp_path, name, suffix):
    result = run(brine, "convert", os.path.join(FORMATS, name), "-o", str(tmp_path / ("out" + suffix)))
    assert result.returncode == 2, result.stderr
    assert "already a tensor format" in result.stderr
    assert "numpy arrays convert to" not in result.stderr
    assert not (tmp_path / ("out" + suffix)).exists()


@pytest.mark.parametrize("name", ["numpy/object.npy", "numpy/object_member.npz"])
def test_sbom_reads_npy_as_it_reads_npz(brine, name):
    result = run(brine, "sbom", os.path.join(FORMATS, name))
    assert result.returncode == 0, result.stderr
    components = json.loads(result.stdout).get("components", [])
    assert any(c.get("name") == "numpy" for c in components), components
