"""Round-trip truth for the non-pickle readers: what `brine inspect` reports (names, dtypes,
shapes, offsets, sizes) equals what the real library reads from the same file, in the same
run; hostile headers give one line and exit 2; check, budget and diff see the same layout."""
import glob
import json
import os
import struct
import subprocess

import numpy as np
import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FORMATS = os.path.join(ROOT, "fixtures", "formats")


def run(brine, *args):
    return subprocess.run([brine, *args], capture_output=True, text=True, timeout=120)


def inspect_json(brine, path, *extra):
    result = run(brine, "inspect", "--format", "json", *extra, path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def fixtures(pattern):
    found = sorted(glob.glob(os.path.join(FORMATS, pattern), recursive=True))
    assert found, pattern
    return found


ALL_FILES = [p for p in fixtures("**/*") if os.path.isfile(p) and not p.endswith((".json", ".py", ".bin", ".data"))]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: os.path.relpath(p, FORMATS))
def test_tree_adds_up_to_the_file(brine, path):
    report = inspect_json(brine, path)
    size = os.path.getsize(path)
    assert report["fileBytes"] == size
    assert report["root"]["bytes"] == size
    assert sum(child["bytes"] for child in report["root"]["children"]) == size
    layout = report["layout"]
    # A deflated npz member occupies its compressed bytes (storedBytes); `bytes` is numpy's nbytes.
    covered = sum(t.get("storedBytes", t["bytes"]) for t in layout["tensors"] if t.get("location") is None) + sum(r["bytes"] for r in layout["regions"])
    assert covered == size


# ---------------------------------------------------------------- safetensors

SAFETENSORS_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
                        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


def safetensors_truth(path):
    """Names, dtypes and shapes from safetensors itself; offsets from the header it wrote."""
    from safetensors import safe_open
    with safe_open(path, "numpy") as f:
        metadata = f.metadata() or {}
        tensors = {name: (f.get_slice(name).get_dtype(), list(f.get_slice(name).get_shape())) for name in f.keys()}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    offsets = {name: (8 + length + entry["data_offsets"][0], entry["data_offsets"][1] - entry["data_offsets"][0])
               for name, entry in header.items() if name != "__metadata__"}
    return metadata, tensors, offsets


@pytest.mark.parametrize("path", fixtures("**/*.safetensors"), ids=lambda p: os.path.relpath(p, FORMATS))
def test_safetensors_round_trip(brine, path):
    metadata, truth, offsets = safetensors_truth(path)
    listing = inspect_json(brine, path, "--tensors")
    assert listing["format"] == "safetensors"
    seen = {t["name"]: t for t in listing["tensors"]}
    assert set(seen) == set(truth)
    for name, (dtype, shape) in truth.items():
        assert seen[name]["dtype"].upper() == dtype.upper().replace("FLOAT8_E4M3FN", "F8_E4M3"), name
        assert seen[name]["shape"] == shape, name
        assert (seen[name]["offset"], seen[name]["bytes"]) == offsets[name], name
        if dtype.upper() in SAFETENSORS_ITEMSIZE:
            assert seen[name]["bytes"] == int(np.prod(shape, dtype=np.int64)) * SAFETENSORS_ITEMSIZE[dtype.upper()]
    assert inspect_json(brine, path)["layout"]["metadata"] == metadata


def test_safetensors_numpy_sizes(brine):
    from safetensors.numpy import load_file
    path = os.path.join(FORMATS, "safetensors", "tiny.safetensors")
    arrays = load_file(path)
    listing = {t["name"]: t for t in inspect_json(brine, path, "--tensors")["tensors"]}
    for name, array in arrays.items():
        assert listing[name]["bytes"] == array.nbytes
        assert listing[name]["shape"] == list(array.shape)


def test_inspect_groups_by_dotted_prefix(brine):
    path = os.path.join(FORMATS, "safetensors", "tiny.safetensors")
    from safetensors.numpy import load_file
    arrays = load_file(path)
    report = inspect_json(brine, path)

    def find(node, wanted):
        if node["path"] == wanted:
            return node
        for child in node["children"]:
            hit = find(child, wanted)
            if hit:
                return hit
    layers = find(report["root"], "model.layers")
    assert layers["type"] == "group"
    assert layers["bytes"] == sum(a.nbytes for n, a in arrays.items() if n.startswith("model.layers."))


# ---------------------------------------------------------------- npy / npz

@pytest.mark.parametrize("path", fixtures("numpy/*.npy"), ids=os.path.basename)
def test_npy_round_trip(brine, path):
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        # numpy's own header reader (private since numpy 2: numpy.lib._format_impl).
        from numpy.lib import _format_impl
        header = _format_impl._read_array_header(f, version, max_header_size=1 << 20)
        data_offset = f.tell()
    shape, fortran, dtype = header
    listing = inspect_json(brine, path, "--tensors")
    (tensor,) = listing["tensors"]
    assert tensor["shape"] == list(shape)
    assert tensor["offset"] == data_offset
    report = inspect_json(brine, path)
    assert report["layout"]["metadata"]["fortran_order"] == str(fortran)
    if dtype.hasobject:
        with pytest.raises(ValueError):
            np.load(path, allow_pickle=False)
        assert tensor["bytes"] == os.path.getsize(path) - data_offset
        return
    array = np.load(path, allow_pickle=False, max_header_size=1 << 20)
    assert tensor["bytes"] == array.nbytes
    if dtype.names is None:
        assert tensor["dtype"] == array.dtype.str


@pytest.mark.parametrize("path", fixtures("numpy/*.npz"), ids=os.path.basename)
def test_npz_round_trip(brine, path):
    import zipfile
    listing = {t["name"]: t for t in inspect_json(brine, path, "--tensors")["tensors"]}
    with zipfile.ZipFile(path) as archive:
        infos = {i.filename[:-4]: i for i in archive.infolist()}
    with np.load(path, allow_pickle=True) as data:
        assert set(listing) == set(data.files)
        for name in data.files:
            array = data[name]
            assert listing[name]["shape"] == list(array.shape), name
            info = infos[name]
            if not array.dtype.hasobject:
                assert listing[name]["bytes"] == array.nbytes, name
            if info.compress_type == zipfile.ZIP_DEFLATED:
                assert listing[name]["storedBytes"] == info.compress_size, name


def test_object_array_is_a_pickle_finding(brine):
    path = os.path.join(FORMATS, "numpy", "object_member.npz")
    with pytest.raises(ValueError):
        np.load(path, allow_pickle=False)["mixed"]
    result = run(brine, "check", "--format", "json", path)
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    codes = {f["code"] for f in findings}
    assert "BR806" in codes
    # The pickle engine ran on the member's data: the os.path.join it pickles is named.
    assert any("posixpath.join" in f["message"] for f in findings)


# ---------------------------------------------------------------- GGUF

@pytest.mark.parametrize("path", fixtures("gguf/*.gguf"), ids=os.path.basename)
def test_gguf_round_trip(brine, path):
    import gguf
    reader = gguf.GGUFReader(path)
    listing = {t["name"]: t for t in inspect_json(brine, path, "--tensors")["tensors"]}
    assert set(listing) == {t.name for t in reader.tensors}
    for t in reader.tensors:
        mine = listing[t.name]
        assert mine["dtype"] == t.tensor_type.name
        assert mine["shape"] == [int(x) for x in t.shape]
        assert mine["offset"] == t.data_offset
        assert mine["bytes"] == t.n_bytes
    facts = inspect_json(brine, path)["layout"]["facts"]
    field = reader.fields
    arch = bytes(field["general.architecture"].parts[-1]).decode()
    assert facts["architecture"] == arch
    # A vocabulary-only file has no context length or file type.
    if f"{arch}.context_length" in field:
        assert facts["context length"] == str(int(field[f"{arch}.context_length"].parts[-1][0]))
    else:
        assert "context length" not in facts
    assert facts["vocabulary"] == str(len(field["tokenizer.ggml.tokens"].data))
    if "general.file_type" in field:
        assert facts["quantization"] == gguf.LlamaFileType(int(field["general.file_type"].parts[-1][0])).name


# ---------------------------------------------------------------- Hugging Face folders

def test_shard_index_findings_match_the_shards(brine):
    from safetensors import safe_open
    folder = os.path.join(FORMATS, "hf", "bad-index")
    with open(os.path.join(folder, "model.safetensors.index.json")) as f:
        weight_map = json.load(f)["weight_map"]
    holders = {}
    for shard in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        with safe_open(shard, "numpy") as f:
            for name in f.keys():
                holders.setdefault(name, []).append(os.path.basename(shard))
    missing = {w for w, s in weight_map.items() if os.path.basename(s) not in holders.get(w, [])}
    duplicated = {w for w, files in holders.items() if len(files) > 1}
    result = run(brine, "check", "--format", "json", folder)
    assert result.returncode == 1, result.stderr
    findings = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "BR804"]
    assert {f["path"] for f in findings} == missing | duplicated
    clean = run(brine, "check", os.path.join(FORMATS, "hf", "tiny-llama"))
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_duplicate_weights_in_check_and_budget(brine):
    folder = os.path.join(FORMATS, "hf", "duplicate-weights")
    check = run(brine, "check", "--format", "json", folder)
    assert any(f["code"] == "BR805" and f["file"].endswith("pytorch_model.bin") for f in json.loads(check.stdout)["findings"])
    budget = run(brine, "budget", "--format", "json", "--limit", "1GB", folder)
    assert budget.returncode == 0, budget.stderr
    assert any(f["code"] == "duplicate-weights" for f in json.loads(budget.stdout)["findings"])


def test_hf_folder_in_a_tarball(brine, tmp_path):
    import tarfile
    tarball = tmp_path / "model.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(os.path.join(FORMATS, "hf", "bad-index"), arcname="bad-index")
    result = run(brine, "check", "--format", "json", str(tarball))
    assert result.returncode == 1, result.stderr
    assert any(f["code"] == "BR804" for f in json.loads(result.stdout)["findings"])


# ---------------------------------------------------------------- diff

def test_diff_shows_per_tensor_growth(brine, tmp_path):
    from safetensors.numpy import save_file
    old, new = tmp_path / "old.safetensors", tmp_path / "new.safetensors"
    a = {"model.layers.0.w": np.zeros((4, 4), np.float32), "model.norm": np.ones(4, np.float32)}
    b = dict(a, **{"model.layers.0.w": np.zeros((40, 4), np.float32)})
    save_file(a, str(old))
    save_file(b, str(new))
    result = run(brine, "diff", "--format", "json", "--depth", "6", str(old), str(new))
    assert result.returncode == 0, result.stderr
    changes = {c["key"]: c for c in json.loads(result.stdout)["changes"]}
    grown = changes[":: model.layers.0.w"]
    assert grown["delta"] == b["model.layers.0.w"].nbytes - a["model.layers.0.w"].nbytes


# ---------------------------------------------------------------- hostile headers

def one_line_error(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1, result.stderr
    assert "offset" in lines[0], lines[0]
    return lines[0]


def safetensors_bytes(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


HOSTILE = {
    "truncated_header.safetensors": lambda: safetensors_bytes({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8))[:20],
    "huge_length.safetensors": lambda: struct.pack("<Q", 1 << 55) + b'{"a":1}' + bytes(16),
    "not_json.safetensors": lambda: struct.pack("<Q", 6) + b'{"a":]' + bytes(4),
    "gguf_count_overflow.gguf": lambda: b"GGUF" + struct.pack("<IQQ", 3, 1, (1 << 64) - 1),
    "gguf_string_past_eof.gguf": lambda: b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 40) + b"general",
    "npy_truncated.npy": lambda: b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3,",
    "npy_eval.npy": lambda: b"\x93NUMPY\x01\x00\x30\x00{'descr': __import__('os').system('x'), }     \n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_headers_are_one_line_exit_2(brine, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(HOSTILE[name]())
    for command in ("inspect", "check"):
        one_line_error(run(brine, command, str(path)))


def test_the_real_libraries_refuse_them_too(tmp_path):
    from safetensors import safe_open
    for name in ("truncated_header.safetensors", "huge_length.safetensors", "not_json.safetensors"):
        path = tmp_path / name
        path.write_bytes(HOSTILE[name]())
        with pytest.raises(Exception):
            with safe_open(str(path), "numpy") as f:
                list(f.keys())


def test_overlapping_offsets(brine, tmp_path):
    from safetensors import safe_open
    path = tmp_path / "overlap.safetensors"
    path.write_bytes(safetensors_bytes({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)))
    with pytest.raises(Exception):
        with safe_open(str(path), "numpy") as f:
            f.get_tensor("b")
    line = one_line_error(run(brine, "inspect", str(path)))
    assert "overlaps" in line
    check = run(brine, "check", "--format", "json", str(path))
    assert check.returncode == 1
    assert any(f["code"] == "BR801" and "overlaps" in f["message"] for f in json.loads(check.stdout)["findings"])


def alignment_findings(brine, path):
    result = run(brine, "check", "--format", "json", str(path))
    assert result.returncode in (0, 1), result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["code"] == "BR813"]


@pytest.mark.parametrize("path", fixtures("**/*.safetensors"), ids=lambda p: os.path.relpath(p, FORMATS))
def test_safetensors_writer_output_is_aligned(brine, path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
    assert (8 + length) % 8 == 0  # what safetensors' writer guarantees, checked on its own output
    assert alignment_findings(brine, path) == []


def test_safetensors_mixed_dtypes_from_the_writer_are_aligned(brine, tmp_path):
    from safetensors.numpy import save_file
    path = tmp_path / "mixed.safetensors"
    save_file({"a": np.arange(3, dtype=np.uint8), "b": np.ones(3, np.float16), "c": np.ones(5, np.float64),
               "d": np.ones(7, np.int32)}, str(path))
    assert alignment_findings(brine, path) == []


def test_unaligned_data_loads_in_safetensors_and_is_a_finding(brine, tmp_path):
    """safetensors' reader accepts both misalignments (so the finding is a warning, not BR801);
    Brine names the data section start and the misaligned tensor, not the byte-sized one."""
    from safetensors.numpy import load_file
    small = np.arange(3, dtype=np.uint8)
    wide = np.arange(4, dtype=np.float32)
    header = {"small": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]},
              "wide": {"dtype": "F32", "shape": [4], "data_offsets": [3, 19]}}
    text = json.dumps(header).encode()
    text += b" " * ((-len(text)) % 8)  # the data section itself starts on 8 bytes
    shifted = tmp_path / "shifted.safetensors"
    shifted.write_bytes(struct.pack("<Q", len(text)) + text + small.tobytes() + wide.tobytes())
    loaded = load_file(str(shifted))
    assert np.array_equal(loaded["small"], small) and np.array_equal(loaded["wide"], wide)
    (finding,) = alignment_findings(brine, shifted)
    assert finding["path"] == "wide" and finding["severity"] == "warning"
    assert finding["offset"] == 8 + len(text) + 3

    unpadded = json.dumps({"wide": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    unpadded += b" " * (((-len(unpadded)) % 8) or 8) + b" " * 3  # 3 bytes past a multiple of 8
    assert (8 + len(unpadded)) % 8 == 3
    start = tmp_path / "start.safetensors"
    start.write_bytes(struct.pack("<Q", len(unpadded)) + unpadded + wide.tobytes())
    assert np.array_equal(load_file(str(start))["wide"], wide)
    findings = alignment_findings(brine, start)
    assert len(findings) == 1 and findings[0]["offset"] == 0 and str(8 + len(unpadded)) in findings[0]["message"]
    assert run(brine, "check", str(start)).returncode == 0  # a warning does not fail check by default


# ---------------------------------------------------------------- ONNX

def dtype_name(number):
    from onnx import TensorProto
    return TensorProto.DataType.Name(number)


@pytest.mark.parametrize("path", fixtures("onnx/**/*.onnx"), ids=lambda p: os.path.relpath(p, FORMATS))
def test_onnx_round_trip(brine, path):
    import onnx
    model = onnx.load(path, load_external_data=False)
    listing = {t["name"]: t for t in inspect_json(brine, path, "--tensors")["tensors"]}
    # Initializers among every tensor of the model (Constant nodes' too: test_issue26_formats.py).
    assert {t.name for t in model.graph.initializer} <= set(listing)
    for tensor in model.graph.initializer:
        mine = listing[tensor.name]
        assert mine["dtype"] == dtype_name(tensor.data_type)
        assert mine["shape"] == list(tensor.dims)
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            external = {e.key: e.value for e in tensor.external_data}
            assert mine["location"] == external["location"]
            assert mine["offset"] == int(external.get("offset", 0))
            if "length" in external:
                assert mine["bytes"] == int(external["length"])
        else:
            assert mine["bytes"] == len(tensor.raw_data)
    facts = inspect_json(brine, path)["layout"]["facts"]
    assert facts["opsets"] == ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
    assert facts["ir version"] == str(model.ir_version)


@pytest.mark.parametrize("path", fixtures("onnx/**/*.onnx"), ids=lambda p: os.path.relpath(p, FORMATS))
def test_onnx_initializers_sit_where_onnx_reads_them(brine, path):
    """Each in-file initializer's offset and size are those of the raw_data onnx decodes."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    listing = {t["name"]: t for t in inspect_json(brine, path, "--tensors")["tensors"]}
    with open(path, "rb") as f:
        data = f.read()
    spans = []
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            continue
        mine = listing[tensor.name]
        assert data[mine["offset"]:mine["offset"] + mine["bytes"]] == tensor.raw_data
        spans.append((mine["offset"], mine["offset"] + mine["bytes"]))
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def onnx_typed_model(tmp_path):
    import onnx
    from onnx import TensorProto, helper
    floats = [0.5, -1.25, 3.0, 8.0, 1e-3, -7.5]
    longs = [1, -2, 300000, 2**40]
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 3], floats)  # raw=False: packed float_data
    n = helper.make_tensor("n", TensorProto.INT64, [4], longs)      # packed varint int64_data
    r = helper.make_tensor("r", TensorProto.FLOAT, [2], np.array([1, 2], np.float32).tobytes(), raw=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "typed", [x], [y], [w, n, r])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    path = tmp_path / "typed.onnx"
    onnx.save(model, str(path))
    return path, floats, longs


def test_onnx_typed_initializers_are_placed_at_their_fields(brine, tmp_path):
    import onnx
    path, floats, longs = onnx_typed_model(tmp_path)
    model = onnx.load(str(path))
    assert list(model.graph.initializer[0].float_data) == pytest.approx(floats)
    listing = {t["name"]: t for t in inspect_json(brine, str(path), "--tensors")["tensors"]}
    data = path.read_bytes()
    w = listing["w"]
    assert w["bytes"] == 4 * len(floats)
    assert np.frombuffer(data[w["offset"]:w["offset"] + w["bytes"]], "<f4").tolist() == pytest.approx(floats)
    n = listing["n"]
    # int64_data is packed as varints: decode the bytes Brine points at.
    values, shift, value = [], 0, 0
    for byte in data[n["offset"]:n["offset"] + n["bytes"]]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append(value - (1 << 64) if value >> 63 else value)
            value, shift = 0, 0
    assert values == longs
    assert data[listing["r"]["offset"]:listing["r"]["offset"] + 8] == np.array([1, 2], np.float32).tobytes()


def test_onnx_truncated_inside_an_initializer_is_one_line(brine, tmp_path):
    path, _, _ = onnx_typed_model(tmp_path)
    listing = {t["name"]: t for t in inspect_json(brine, str(path), "--tensors")["tensors"]}
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(path.read_bytes()[:listing["w"]["offset"] + 3])
    import onnx
    with pytest.raises(Exception):
        onnx.load(str(cut))
    one_line_error(run(brine, "inspect", str(cut)))


def test_onnx_external_data_loads_and_matches(brine):
    import onnx
    from onnx import numpy_helper
    path = os.path.join(FORMATS, "onnx", "external", "model.onnx")
    model = onnx.load(path)  # reads model.onnx.data
    listing = {t["name"]: t for t in inspect_json(brine, path, "--tensors")["tensors"]}
    for tensor in model.graph.initializer:
        assert listing[tensor.name]["bytes"] == numpy_helper.to_array(tensor).nbytes
    assert run(brine, "check", path).returncode == 0


def test_onnx_path_traversal_and_custom_domain(brine):
    import onnx
    path = os.path.join(FORMATS, "onnx", "traversal.onnx")
    model = onnx.load(path, load_external_data=False)
    (tensor,) = model.graph.initializer
    location = {e.key: e.value for e in tensor.external_data}["location"]
    assert ".." in location
    result = run(brine, "check", "--format", "json", path)
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    assert any(f["code"] == "BR807" and location in f["message"] for f in findings)
    custom = {o.domain for o in model.opset_import} - {"", "ai.onnx"}
    assert {f["path"] for f in findings if f["code"] == "BR808"} == custom


# ---------------------------------------------------------------- Keras

@pytest.mark.parametrize("path", fixtures("keras/*.keras"), ids=os.path.basename)
def test_keras_members_and_version(brine, path):
    import zipfile
    report = inspect_json(brine, path)
    regions = {r["name"].split(":")[0]: r["bytes"] for r in report["layout"]["regions"]}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            assert regions[info.filename] == info.compress_size
        metadata = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
    assert report["layout"]["facts"]["keras version"] == metadata["keras_version"]
    lambdas = [layer["config"]["name"] for layer in config["config"]["layers"] if layer["class_name"] == "Lambda"]
    custom = [layer["config"]["name"] for layer in config["config"]["layers"] if not layer["module"].startswith("keras")]
    result = run(brine, "check", "--format", "json", path)
    flagged = {f["path"] for f in json.loads(result.stdout)["findings"] if f["code"] == "BR809"}
    assert flagged == set(lambdas + custom)
    assert result.returncode == (1 if flagged else 0)


def test_legacy_h5_is_named_and_sized(brine):
    import h5py
    path = os.path.join(FORMATS, "keras", "legacy.h5")
    with h5py.File(path) as h5:
        assert "model_weights" in h5
    report = inspect_json(brine, path)
    assert report["format"] == "hdf5"
    assert report["fileBytes"] == os.path.getsize(path)
    result = run(brine, "check", "--format", "json", path)
    assert result.returncode == 0
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["BR810"]


def test_every_format_inside_a_tarball(brine, tmp_path):
    """The bundle walker reads every format inside archives, by content."""
    import tarfile
    tarball = tmp_path / "models.tar"
    with tarfile.open(tarball, "w") as tar:
        for name in ("safetensors/tiny.safetensors", "numpy/object_member.npz", "numpy/float32_2d.npy", "gguf/tiny-llama.gguf",
                     "onnx/traversal.onnx", "keras/lambda.keras", "keras/legacy.h5"):
            tar.add(os.path.join(FORMATS, name), arcname=os.path.basename(name))
    report = inspect_json(brine, str(tarball))
    formats = {os.path.basename(m["path"].split("!")[-1]): m.get("format") for m in report["root"]["children"]}
    assert formats == {"tiny.safetensors": "safetensors", "object_member.npz": "npz", "float32_2d.npy": "npy",
                       "tiny-llama.gguf": "gguf", "traversal.onnx": "onnx", "lambda.keras": "keras", "legacy.h5": "hdf5"}
    check = run(brine, "check", "--format", "json", str(tarball))
    codes = {f["code"] for f in json.loads(check.stdout)["findings"]}
    assert {"BR806", "BR807", "BR808", "BR809", "BR810"} <= codes


def test_hf_folder_summary(brine, tmp_path):
    import tarfile
    folder = os.path.join(FORMATS, "hf", "tiny-llama")
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    shards = sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "*.safetensors")))
    tarball = tmp_path / "model.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(folder, arcname="tiny-llama")
    for path in (folder, str(tarball)):
        (model,) = inspect_json(brine, path)["huggingFace"]
        assert model["architectures"] == config["architectures"]
        assert model["torchDtype"] == config["torch_dtype"]
        assert model["shards"] == shards
        assert model["weightBytes"] == sum(os.path.getsize(os.path.join(folder, s)) for s in shards)
        assert "tokenizer.json" in model["tokenizerFiles"]


# ---------------------------------------------------------------- diff and budget inside bundles

def tensor_files(folder, rows):
    """One artifact per format, each holding a tensor `w` of `rows` × 4 float32, written by
    the format's own library; returns each file's truth {name: (tensor key, bytes of w)}."""
    import gguf
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import save_file
    folder.mkdir()
    w = np.arange(rows * 4, dtype=np.float32).reshape(rows, 4)
    save_file({"model.layers.0.w": w, "model.norm": np.ones(4, np.float32)}, str(folder / "model.safetensors"))
    np.savez(folder / "stored.npz", w=w, b=np.ones(3))
    np.savez_compressed(folder / "deflated.npz", w=w, b=np.ones(3))
    writer = gguf.GGUFWriter(str(folder / "model.gguf"), "llama")
    writer.add_tensor("blk.0.w", w)
    writer.add_tensor("output_norm.weight", np.ones(4, np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    graph = helper.make_graph([helper.make_node("Identity", ["layers.0.w"], ["y"])], "g", [],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(w.shape))],
                              [numpy_helper.from_array(w, "layers.0.w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(folder / "model.onnx"))
    return w


def truth_sizes(folder):
    """Per-file size of the grown tensor, as each library reads it from the file."""
    import gguf
    import onnx
    import zipfile
    from safetensors import safe_open
    sizes = {}
    with safe_open(str(folder / "model.safetensors"), "numpy") as f:
        sizes[("model.safetensors", "model.layers.0.w")] = f.get_tensor("model.layers.0.w").nbytes
    # A stored member's array is its data after the npy header; a deflated one's, its compressed bytes.
    with np.load(folder / "stored.npz") as data:
        sizes[("stored.npz", "w")] = data["w"].nbytes
    with zipfile.ZipFile(folder / "deflated.npz") as archive:
        sizes[("deflated.npz", "w")] = archive.getinfo("w.npy").compress_size
    (tensor,) = [t for t in gguf.GGUFReader(str(folder / "model.gguf")).tensors if t.name == "blk.0.w"]
    sizes[("model.gguf", "blk.0.w")] = int(tensor.n_bytes)
    sizes[("model.onnx", "layers.0.w")] = len(onnx.load(str(folder / "model.onnx")).graph.initializer[0].raw_data)
    return sizes


def pack(folder, kind):
    import tarfile
    import zipfile
    path = folder.parent / (folder.name + (".tar.gz" if kind == "tar" else ".zip"))
    if kind == "tar":
        with tarfile.open(path, "w:gz") as tar:
            tar.add(folder, arcname="models")
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.write(file, "models/" + file.name)
    return path


def attribute_change(changes, member, tensor):
    """The diff line of `tensor` in `member`, whatever prefix the bundle gives it."""
    found = [c for c in changes.values() if c["key"].endswith(" :: " + tensor) and member in c["key"]]
    assert len(found) == 1, (member, tensor, sorted(changes))
    return found[0]


@pytest.mark.parametrize("kind", ["dir", "tar", "zip"])
def test_diff_of_every_format_inside_bundles(brine, tmp_path, kind):
    tensor_files(tmp_path / "old", 4)
    tensor_files(tmp_path / "new", 40)
    before, after = truth_sizes(tmp_path / "old"), truth_sizes(tmp_path / "new")
    old, new = (tmp_path / "old", tmp_path / "new") if kind == "dir" else (pack(tmp_path / "old", kind), pack(tmp_path / "new", kind))
    result = run(brine, "diff", "--format", "json", "--depth", "6", str(old), str(new))
    assert result.returncode == 0, result.stderr
    changes = {c["key"]: c for c in json.loads(result.stdout)["changes"]}
    for (member, tensor), size in before.items():
        change = attribute_change(changes, member, tensor)
        assert (change["before"], change["after"]) == (size, after[(member, tensor)]), change


@pytest.mark.parametrize("kind", ["dir", "tar", "zip"])
def test_budget_of_every_format_inside_bundles(brine, tmp_path, kind):
    """budget's snapshot (what baselines and diff compare) sizes each member as the file and
    each tensor as its library reads it; the limit is enforced on the same walk."""
    folder = tmp_path / "bundle"
    tensor_files(folder, 64)
    sizes = truth_sizes(folder)
    path = folder if kind == "dir" else pack(folder, kind)
    result = run(brine, "budget", "--format", "json", "--measure", "uncompressed", "--limit", "1GB", str(path))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    entries = report["snapshot"]["entries"]

    def entry(member, attribute=None):
        # Keys are relative to the bundle: `x.npz` in a folder, `b.tar.gz!models/x.npz` in an archive.
        found = [v for k, v in entries.items() if k.partition(" :: ")[0].replace("!", "/").split("/")[-1] == member
                 and (k.partition(" :: ")[2] or None) == attribute]
        assert len(found) == 1, (member, attribute, sorted(entries))
        return found[0]

    for member, tensor in sizes:
        assert entry(member) == os.path.getsize(folder / member)
        assert entry(member, tensor) == sizes[(member, tensor)]
    if kind == "dir":
        assert report["measuredBytes"] == sum(os.path.getsize(f) for f in folder.iterdir())
    over = run(brine, "budget", "--format", "json", "--measure", "uncompressed", "--limit", str(report["measuredBytes"] - 1), str(path))
    assert over.returncode == 1, over.stderr
