"""`brine inspect` and `brine dis` open every artifact check, budget and diff open
(issue 15, item 3): bundles (directory, tar.gz, zip, nested) as a member tree whose sizes
add up, checked against Python's tarfile/zipfile/gzip; joblib streams disassembled past
their arrays, checked against the arrays joblib itself reads; PyTorch zips' data.pkl
checked against pickletools on the member bytes zipfile reads; files of formats Brine
does not read refused in one line by every command."""
import gzip
import io
import json
import os
import pickle
import pickletools
import re
import struct
import subprocess
import tarfile
import zipfile
from pathlib import Path

import joblib
import joblib.numpy_pickle as numpy_pickle
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAGEMAKER = sorted((ROOT / "fixtures" / "bundles" / "sagemaker").glob("*.tar.gz"))
JOBLIB = sorted((ROOT / "fixtures" / "models").glob("*.joblib*")) + sorted((ROOT / "fixtures" / "joblib").glob("*.joblib*"))
TORCH = sorted(p for p in (ROOT / "fixtures" / "torch").iterdir() if p.suffix in (".pt", ".pkl"))


def run(brine, *args):
    return subprocess.run([brine, *map(str, args)], capture_output=True, text=True, timeout=300)


def inspect_json(brine, path, *extra):
    result = run(brine, "inspect", path, "--format", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def members(node):
    yield node
    for child in node.get("children", []):
        yield from members(child)


def check_sums(node):
    """The documented invariants (docs/json-schema.md, "Bundles"), for every node."""
    children = node.get("children", [])
    if node["kind"] == "directory" and children:
        assert node["storedBytes"] == sum(c["storedBytes"] for c in children)
    if node["kind"] in ("directory", "tar", "zip"):
        assert node["bytes"] == sum(c["bytes"] for c in children if c["kind"] != "directory")
    if node["kind"] == "tar":
        assert node["archiveBytes"] == sum(c["storedBytes"] for c in children) + node["overheadBytes"]
    if "report" in node:
        report = node["report"]
        assert report["root"]["bytes"] + report["overheadBytes"] == report["streamBytes"]
        assert report["file"] == node["path"]
    for child in children:
        check_sums(child)


@pytest.mark.parametrize("path", SAGEMAKER, ids=[p.name for p in SAGEMAKER])
def test_inspect_tarball_sums_match_tarfile(brine, path):
    doc = inspect_json(brine, path)
    assert doc["format"] == "bundle" and doc["schemaVersion"] == 1
    root = doc["root"]
    check_sums(root)
    raw = gzip.decompress(path.read_bytes())
    assert root["storedBytes"] == path.stat().st_size
    assert root["compression"] == "gzip"
    assert root["archiveBytes"] == len(raw)
    with tarfile.open(path) as tar:
        infos = [m for m in tar.getmembers()]
        sizes = {m.name: m.size for m in infos}
        assert sum(c["storedBytes"] for c in root["children"]) == sum(sizes.values())
        assert root["overheadBytes"] == len(raw) - sum(sizes.values())
        for child in root["children"]:
            name = child["path"].split("!", 1)[1]
            assert child["storedBytes"] == sizes[name]
            data = tar.extractfile(name).read()
            if name.endswith(".pkl"):
                assert child["kind"] == "pickle"
                assert child["report"]["streamBytes"] == len(data) == child["bytes"]
                # The member's report is the single-file report of the same bytes.
                single = inspect_extracted(brine, data, name)
                assert child["report"]["root"] == single["root"]
            elif name.endswith(".pth"):
                assert child["kind"] == "torch"
                assert child["report"]["torch"]["format"] == "torch-zip"
                assert child["report"]["streamBytes"] == len(data)


def inspect_extracted(brine, data, name, tmp=Path("/tmp")):
    import tempfile
    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory) / os.path.basename(name)
        target.write_bytes(data)
        return inspect_json(brine, target)


def test_inspect_text_lists_members_then_reports(brine):
    path = SAGEMAKER[0]
    result = run(brine, "inspect", path, "--depth", "1", "--top", "2")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "(tar headers, block padding, end-of-archive blocks)" in text
    assert "code/inference.py" in text
    with tarfile.open(path) as tar:
        for name in tar.getnames():
            if name.endswith(".pkl"):
                # The header line of the member's own report, as `brine inspect FILE` prints it.
                assert re.search(r"^%s!%s: pickle, " % (re.escape(str(path)), re.escape(name)), text, re.M)
    # --depth 1: no grandchildren of any artifact root.
    assert "['model_state_dict']['" not in text


def build_nested(tmp_path):
    """A directory holding a zip that holds a tar.gz and a joblib file, written with
    Python's zipfile/tarfile."""
    model = {"weights": np.arange(1000, dtype=np.float64), "name": "m"}
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as tar:
        payload = pickle.dumps(model, protocol=4)
        info = tarfile.TarInfo("model.pkl")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
        note = b"hello\n"
        info = tarfile.TarInfo("README.txt")
        info.size = len(note)
        tar.addfile(info, io.BytesIO(note))
    job = io.BytesIO()
    joblib.dump(model, job, compress=("zlib", 3))
    bundle = tmp_path / "app"
    bundle.mkdir()
    with zipfile.ZipFile(bundle / "outer.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("inner.tar.gz", inner.getvalue())
        z.writestr("est.joblib", job.getvalue())
    (bundle / "app.py").write_text("print('hi')\n")
    return bundle, inner.getvalue(), job.getvalue(), pickle.dumps(model, protocol=4)


def test_inspect_nested_bundle(brine, tmp_path):
    bundle, inner, job, payload = build_nested(tmp_path)
    doc = inspect_json(brine, bundle)
    root = doc["root"]
    check_sums(root)
    by_path = {m["path"]: m for m in members(root)}
    outer = by_path[f"{bundle}/outer.zip"]
    assert outer["kind"] == "zip"
    assert outer["storedBytes"] == (bundle / "outer.zip").stat().st_size
    assert outer["archiveBytes"] == (bundle / "outer.zip").stat().st_size
    with zipfile.ZipFile(bundle / "outer.zip") as z:
        for info in z.infolist():
            assert by_path[f"{bundle}/outer.zip!{info.filename}"]["storedBytes"] == info.file_size
    tar = by_path[f"{bundle}/outer.zip!inner.tar.gz"]
    assert tar["kind"] == "tar" and tar["compression"] == "gzip"
    assert tar["archiveBytes"] == len(gzip.decompress(inner))
    pkl = by_path[f"{bundle}/outer.zip!inner.tar.gz!model.pkl"]
    assert pkl["kind"] == "pickle" and pkl["bytes"] == len(payload)
    assert pkl["report"]["root"]["bytes"] + pkl["report"]["overheadBytes"] == len(payload)
    est = by_path[f"{bundle}/outer.zip!est.joblib"]
    assert est["kind"] == "joblib" and est["compression"] == "zlib"
    assert est["report"]["compression"] == "zlib"
    # The walker's limits apply: two archives deep is refused at depth 1.
    limited = run(brine, "inspect", bundle, "--max-archive-depth", "1")
    assert limited.returncode == 2 and "raise it with --max-archive-depth" in limited.stderr


def joblib_arrays(path):
    """(dtype.str, shape, order, nbytes) of every array joblib reads, in stream order."""
    seen = []
    original = numpy_pickle.NumpyArrayWrapper.read_array

    def recording(self, *args, **kwargs):
        array = original(self, *args, **kwargs)
        objects = self.dtype.hasobject
        seen.append((self.dtype.str, tuple(self.shape), self.order, None if objects else array.nbytes))
        return array

    numpy_pickle.NumpyArrayWrapper.read_array = recording
    try:
        joblib.load(path)
    finally:
        numpy_pickle.NumpyArrayWrapper.read_array = original
    return seen


ARRAY_LINE = re.compile(r"^ *\d+: <array data: dtype (\S+), shape (\([^)]*\)), order ([CF]), (\d+) bytes")
OBJECT_LINE = re.compile(r"^ *\d+: <object array: dtype (\S+), shape (\([^)]*\)), order ([CF]),")


@pytest.mark.parametrize("path", JOBLIB, ids=[p.name for p in JOBLIB])
def test_dis_joblib_reaches_the_end_with_every_array(brine, path):
    result = run(brine, "dis", path)
    assert result.returncode == 0, result.stderr
    assert "not a pickle opcode" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("highest protocol among opcodes = ")
    found = []
    for line in lines:
        if m := ARRAY_LINE.match(line):
            found.append((m[1], eval(m[2]), m[3], int(m[4])))
        elif m := OBJECT_LINE.match(line):
            found.append((m[1], eval(m[2]), m[3], None))
    assert found == joblib_arrays(path)
    assert found, "the fixture holds arrays"


def test_dis_object_array_nested_pickle_is_disassembled(brine):
    path = ROOT / "fixtures" / "models" / "numpy_model.joblib"
    text = run(brine, "dis", path).stdout
    start = text.index("<object array:")
    end = text.index("<end of object array>")
    nested = text[start:end]
    assert "GLOBAL     'numpy.core.multiarray _reconstruct'" in nested
    assert "highest protocol among opcodes = 2" in nested


def test_dis_plain_pickle_unchanged_by_array_pass(brine):
    """A plain pickle naming no joblib wrapper: exactly pickletools' output."""
    path = ROOT / "fixtures" / "models" / "numpy_model.pkl"
    out = io.StringIO()
    with open(path, "rb") as f:
        pickletools.dis(f, out)
    assert run(brine, "dis", path).stdout.startswith(out.getvalue())


def sections(text):
    """{header name: text} of `==> NAME <==` sections."""
    parts = re.split(r"^==> (.*) <==\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.mark.parametrize("path", TORCH, ids=[p.name for p in TORCH])
def test_dis_torch(brine, path):
    result = run(brine, "dis", path)
    assert result.returncode == 0, result.stderr
    if not zipfile.is_zipfile(path):
        # Legacy: five pickles, then one line per storage up to the end of the file.
        text = result.stdout
        assert text.count("highest protocol among opcodes") == 5
        storages = re.findall(r"^ *(\d+): <storage data: key (\S+), 8-byte element count, then (\d+) bytes>$", text, re.M)
        assert storages
        last_offset, _, last_bytes = storages[-1]
        assert int(last_offset) + 8 + int(last_bytes) == path.stat().st_size
        return
    found = sections(result.stdout)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") or n.endswith("/constants.pkl")]
        assert set(f"{path}!{n}" for n in pickles) <= set(found)
        for name in pickles:
            out = io.StringIO()
            pickletools.dis(io.BytesIO(z.read(name)), out)
            assert found[f"{path}!{name}"] == out.getvalue()


def test_dis_member_of_tarball_and_torch_zip(brine, tmp_path):
    path = SAGEMAKER[0]
    with tarfile.open(path) as tar:
        data = tar.extractfile("word_dict.pkl").read()
    out = io.StringIO()
    pickletools.dis(io.BytesIO(data), out)
    result = run(brine, "dis", path, "--member", "word_dict.pkl")
    assert result.returncode == 0, result.stderr
    assert result.stdout == out.getvalue()

    unknown = run(brine, "dis", path, "--member", "nope.pkl")
    assert unknown.returncode == 64
    assert unknown.stdout == ""
    assert "no member nope.pkl" in unknown.stderr and "word_dict.pkl" in unknown.stderr
    assert len(unknown.stderr.splitlines()) == 1

    torch = ROOT / "fixtures" / "torch" / "checkpoint.pt"
    with zipfile.ZipFile(torch) as z:
        out = io.StringIO()
        pickletools.dis(io.BytesIO(z.read("checkpoint/data.pkl")), out)
    member = run(brine, "dis", torch, "--member", "checkpoint/data.pkl")
    assert member.returncode == 0, member.stderr
    assert sections(member.stdout)[f"{torch}!checkpoint/data.pkl"] == out.getvalue()
    assert run(brine, "dis", torch, "--member", "checkpoint/nothing").returncode == 64

    # Every artifact of a bundle, each after its header.
    whole = run(brine, "dis", path)
    assert whole.returncode == 0, whole.stderr
    assert sections(whole.stdout)[f"{path}!word_dict.pkl"] == result.stdout


def test_dis_member_of_nested_bundle(brine, tmp_path):
    bundle, _, job, payload = build_nested(tmp_path)
    out = io.StringIO()
    pickletools.dis(io.BytesIO(payload), out)
    result = run(brine, "dis", bundle, "--member", "outer.zip!inner.tar.gz!model.pkl")
    assert result.returncode == 0, result.stderr
    assert result.stdout == out.getvalue()
    joblib_member = run(brine, "dis", bundle, "--member", "outer.zip!est.joblib")
    assert joblib_member.returncode == 0, joblib_member.stderr
    assert "<array data: dtype <f8, shape (1000,), order C, 8000 bytes" in joblib_member.stdout


def foreign_files(directory):
    """Tiny files of formats other than pickle, written here with numpy and struct."""
    files = {}
    np.save(directory / "a.npy", np.arange(4, dtype=np.float32))
    files["a.npy"] = "a NumPy .npy array file"
    np.savez(directory / "b.npz", x=np.arange(3), y=np.ones(2))
    files["b.npz"] = "a NumPy .npz archive of arrays"
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    (directory / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 8)
    files["model.safetensors"] = "a safetensors file"
    # No tensors and no key/values: the (empty) data section starts at the 32-byte alignment.
    (directory / "m.gguf").write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0) + b"\0" * 8)
    files["m.gguf"] = "a GGUF model file"
    (directory / "w.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    files["w.h5"] = "an HDF5 file"
    (directory / "app.py").write_text("import numpy\nprint(numpy.pi)\n")
    files["app.py"] = "a text file"
    return files


COMMANDS = {
    "inspect": lambda f, d: ["inspect", f],
    "dis": lambda f, d: ["dis", f],
    "check": lambda f, d: ["check", f],
    "strip": lambda f, d: ["strip", "--preset", "deploy", f, "-o", d / "out"],
    "diff": lambda f, d: ["diff", f, f],
    "repack": lambda f, d: ["repack", f, "-o", d / "out", "--limit", "1GB"],
}


# Tensor formats are read by inspect, check, budget and diff (issue 16); dis, strip and
# repack work on pickles, so they refuse them in one line that names the commands that read
# them. A format no command reads (text here) is refused by every command.
TENSOR_FORMATS = {"a.npy", "b.npz", "model.safetensors", "m.gguf", "w.h5"}
READS_TENSOR_FORMATS = {"inspect", "check", "diff"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_other_formats_read_or_refused_in_one_line(brine, tmp_path, command):
    files = foreign_files(tmp_path)
    for name, what in files.items():
        path = tmp_path / name
        result = run(brine, *COMMANDS[command](path, tmp_path))
        if name in TENSOR_FORMATS and command in READS_TENSOR_FORMATS:
            assert result.returncode == 0, (name, result)
            assert result.stderr == "", (name, result.stderr)
            continue
        assert result.returncode == 2, (name, result)
        assert result.stderr.count("\n") == 1, (name, result.stderr)
        assert result.stderr.startswith(f"brine: {path}: {what}"), (name, result.stderr)
        if name in TENSOR_FORMATS:
            assert "brine inspect, check, budget and diff read it" in result.stderr, result.stderr
        else:
            assert "Brine reads pickle, joblib and PyTorch files" in result.stderr, result.stderr
        assert "opcode" not in result.stderr
        assert not (tmp_path / "out").exists()


def test_unsupported_formats_measured_by_budget_and_named_in_bundles(brine, tmp_path):
    files = foreign_files(tmp_path)
    for name in files:
        result = run(brine, "budget", tmp_path / name, "--limit", "1GB")
        assert result.returncode == 0, (name, result.stderr)
    tarball = tmp_path / "bundle.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name in ["a.npy", "model.safetensors", "m.gguf", "w.h5"]:
            tar.add(tmp_path / name, arcname=name)
    doc = inspect_json(brine, tarball)
    formats = {m["path"].split("!")[1]: m.get("format") for m in doc["root"]["children"]}
    assert formats == {"a.npy": "npy", "model.safetensors": "safetensors", "m.gguf": "gguf", "w.h5": "hdf5"}
    sizes = {m["path"].split("!")[1]: m["storedBytes"] for m in doc["root"]["children"]}
    assert sizes == {n: (tmp_path / n).stat().st_size for n in sizes}
    assert run(brine, "check", tarball).returncode == 0
