"""`brine strip` on PyTorch files, checked by loading the results with real torch."""
import hashlib
import json
import os
import subprocess
import sys
import zipfile

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "torch")
sys.path.insert(0, FIXTURES)
with open(os.path.join(FIXTURES, "expected.json")) as f:
    EXPECTED = json.load(f)


def strip(brine, src, dst, *args):
    return subprocess.run([brine, "strip", *args, src, "-o", dst], capture_output=True, text=True)


def tiny_net():
    # The generator's TinyNet, imported from its file (it defines the class at module level).
    import importlib.util
    spec = importlib.util.spec_from_file_location("generate_torch", os.path.join(FIXTURES, "generate_torch.py"))
    module = importlib.util.module_from_spec(spec)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    spec.loader.exec_module(module)
    return module


# Probe outputs are compared with the original checkpoint's, computed in the same run on the same
# machine: a figure recorded elsewhere would differ with the CPU and BLAS kernel. The weights are
# bit-identical, so on one machine the outputs agree to float32 rounding; the tolerance allows for
# kernels that pick a different summation order between two calls (rtol 1e-6, atol 1e-7).
PROBE_RTOL, PROBE_ATOL = 1e-6, 1e-7


def probe_output(state_dict):
    generator = tiny_net()
    model = generator.TinyNet()
    model.load_state_dict(state_dict)
    model.eval()
    with torch.no_grad():
        return model(generator.probe_input())


def assert_same_probe_output(original_state_dict, state_dict):
    expected, got = probe_output(original_state_dict), probe_output(state_dict)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert torch.allclose(got, expected, rtol=PROBE_RTOL, atol=PROBE_ATOL), (got - expected).abs().max()


def assert_inference_checkpoint_of(src, out):
    """`out` is `src` without its optimizer/scheduler state: epoch and loss kept, the
    model_state_dict bit-identical (keys, dtypes, shapes, bytes), the same probe outputs."""
    original = torch.load(src, weights_only=True)
    stripped = torch.load(out, weights_only=True)
    assert sorted(stripped) == ["epoch", "loss", "model_state_dict"]
    assert stripped["epoch"] == original["epoch"] and stripped["loss"] == original["loss"]
    assert list(stripped["model_state_dict"]) == list(original["model_state_dict"])
    for key, tensor in original["model_state_dict"].items():
        other = stripped["model_state_dict"][key]
        assert other.dtype == tensor.dtype and other.shape == tensor.shape
        assert other.numpy().tobytes() == tensor.numpy().tobytes(), key
    assert_same_probe_output(original["model_state_dict"], stripped["model_state_dict"])


def test_inference_preset_on_checkpoint(brine, tmp_path):
    src = os.path.join(FIXTURES, "checkpoint.pt")
    out = str(tmp_path / "inference.pt")
    run = strip(brine, src, out, "--preset", "torch-inference")
    assert run.returncode == 0, run.stderr
    assert_inference_checkpoint_of(src, out)
    # Smaller by at least the optimizer's storage bytes.
    saving = os.path.getsize(src) - os.path.getsize(out)
    assert saving >= EXPECTED["checkpoint.pt"]["optimizerStorageBytes"]
    # The archive is laid out as torch writes it: stored members, storages aligned to 64.
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[0] == "checkpoint/data.pkl" and "checkpoint/.data/serialization_id" in names
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            if "/data/" in info.filename:
                with open(out, "rb") as f:
                    f.seek(info.header_offset + 26)
                    name_length, extra_length = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
                assert (info.header_offset + 30 + name_length + extra_length) % 64 == 0, info.filename
        kept = {n for n in names if "/data/" in n}
    referenced = {t["storage"] for t in EXPECTED["checkpoint.pt"]["tensors"] if t["path"].startswith("['model_state_dict']")}
    assert len(kept) == len(referenced)


def test_legacy_input_written_as_zip_loads(brine, tmp_path):
    src = os.path.join(FIXTURES, "state_dict_legacy.pt")
    out = str(tmp_path / "legacy_stripped.pt")
    refused = strip(brine, src, out, "--remove", "['out.bias']")
    assert refused.returncode == 64 and "--to-zip" in refused.stderr and not os.path.exists(out)
    run = strip(brine, src, out, "--to-zip", "--remove", "['out.bias']")
    assert run.returncode == 0, run.stderr
    assert "zip format" in run.stdout
    assert zipfile.is_zipfile(out)
    original = torch.load(src, weights_only=True)
    stripped = torch.load(out, weights_only=True)
    assert list(stripped) == [k for k in original if k != "out.bias"]
    for key, tensor in stripped.items():
        assert torch.equal(tensor, original[key]), key


def test_legacy_checkpoint_loses_its_optimizer_when_written_as_zip(brine, tmp_path):
    src = os.path.join(FIXTURES, "checkpoint_legacy.pt")
    out = str(tmp_path / "inference.pt")
    # Without --to-zip: one line saying why, before anything is written.
    refused = strip(brine, src, out, "--preset", "torch-inference")
    assert refused.returncode == 64 and not os.path.exists(out) and list(tmp_path.iterdir()) == []
    assert refused.stderr.count("\n") == 1 and "pass --to-zip" in refused.stderr and "nothing matched" not in refused.stderr
    run = strip(brine, src, out, "--preset", "torch-inference", "--to-zip")
    assert run.returncode == 0, run.stderr
    assert "removed ['optimizer_state_dict']" in run.stdout and zipfile.is_zipfile(out)
    assert_inference_checkpoint_of(src, out)
    assert os.path.getsize(src) - os.path.getsize(out) >= EXPECTED["checkpoint_legacy.pt"]["optimizerStorageBytes"]


@pytest.mark.parametrize("flags", [[], ["--to-zip"]])
def test_bare_legacy_state_dict_has_nothing_to_strip(brine, tmp_path, flags):
    src = os.path.join(FIXTURES, "state_dict_legacy.pt")
    out = tmp_path / "out.pt"
    run = strip(brine, src, str(out), "--preset", "torch-inference", *flags)
    assert run.returncode == 1
    assert run.stderr == ("brine: %s: nothing to strip: state_dict_legacy.pt holds only model weights "
                          "(no optimizer/scheduler/scaler state)\n" % src)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    # What the message says, as torch sees it: every value is a tensor.
    assert all(isinstance(v, torch.Tensor) for v in torch.load(src, weights_only=True).values())


def test_views_survive_a_strip(brine, tmp_path):
    src = os.path.join(FIXTURES, "shared_views.pt")
    out = str(tmp_path / "views.pt")
    run = strip(brine, src, out, "--remove", "['nested']")
    assert run.returncode == 0, run.stderr
    original = torch.load(src, weights_only=True)
    stripped = torch.load(out, weights_only=True)
    assert list(stripped) == [k for k in original if k != "nested"]
    for key, tensor in stripped.items():
        assert torch.equal(tensor, original[key]), key
    # Views still share one storage.
    assert stripped["row_view"].untyped_storage().data_ptr() == stripped["base"].untyped_storage().data_ptr()
    assert stripped["same"] is stripped["base"]


def test_removing_a_shared_storage_owner_is_refused(brine, tmp_path):
    out = tmp_path / "refused.pt"
    run = strip(brine, os.path.join(FIXTURES, "shared_views.pt"), str(out), "--remove", "['base']")
    assert run.returncode == 1
    assert "refused" in run.stderr and not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_dry_run_refuses_what_a_real_run_refuses(brine, tmp_path):
    # A dry run writes the real output (beside -o, or under TMPDIR without it), reads it back and
    # deletes it: whatever a real run refuses, including an output it cannot write, it refuses
    # too, and nothing is left behind.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch))
    src = os.path.join(FIXTURES, "checkpoint.pt")
    for args, code, says in [
        (["--remove", "['base']", os.path.join(FIXTURES, "shared_views.pt")], 1, "refused"),
        (["--preset", "torch-inference", src, "-o", str(tmp_path / "missing" / "out.pt")], 2, "missing"),
    ]:
        refused = subprocess.run([brine, "strip", "--dry-run", *args], capture_output=True, text=True, env=env)
        assert refused.returncode == code and says in refused.stderr, refused.stdout + refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    planned = subprocess.run([brine, "strip", "--dry-run", "--preset", "torch-inference", src],
                             capture_output=True, text=True, env=env)
    assert planned.returncode == 0, planned.stderr
    assert "would remove" in planned.stdout and "nothing written" in planned.stdout
    assert list(scratch.iterdir()) == []


def test_cuda_checkpoint_keeps_its_locations(brine, tmp_path):
    src = os.path.join(FIXTURES, "checkpoint_cuda.pt")
    out = str(tmp_path / "cuda.pt")
    run = strip(brine, src, out, "--remove", "['epoch']")
    assert run.returncode == 0, run.stderr
    stripped = torch.load(out, weights_only=True, map_location="cpu")
    assert list(stripped) == ["model_state_dict"]
    with zipfile.ZipFile(out) as archive:
        assert b"cuda:0" in archive.read("checkpoint_cuda/data.pkl")


def test_module_pickled_from_main_strips_and_loads(brine, tmp_path):
    src = os.path.join(FIXTURES, "module_main.pt")
    out = str(tmp_path / "module.pt")
    run = strip(brine, src, out, "--remove", "_forward_hooks")
    assert run.returncode == 0, run.stderr
    generator = tiny_net()
    import __main__
    __main__.TinyNet = generator.TinyNet     # the class the pickle names
    original = torch.load(src, weights_only=False)
    stripped = torch.load(out, weights_only=False)
    assert not hasattr(stripped, "_forward_hooks") or "_forward_hooks" not in stripped.__dict__
    for key, tensor in original.state_dict().items():
        assert torch.equal(stripped.state_dict()[key], tensor)


def test_fastai_export_loads_after_strip(brine, tmp_path):
    pytest.importorskip("fastai")
    from fastai.learner import load_learner
    src = os.path.join(FIXTURES, "fastai_export.pkl")
    out = str(tmp_path / "export.pkl")
    run = strip(brine, src, out, "--remove", "loss_func.__doc__")
    assert run.returncode == 0, run.stderr
    learn = load_learner(out, cpu=True)
    original = load_learner(src, cpu=True)
    for key, tensor in original.model.state_dict().items():
        assert torch.equal(learn.model.state_dict()[key], tensor)
    assert type(learn.path).__name__ == "PosixPath"


@pytest.mark.parametrize("name", ["checkpoint.pt", "scripted.pt", "state_dict_legacy.pt", "fastai_export.pkl"])
def test_truncated_files_fail_cleanly(brine, tmp_path, name):
    data = open(os.path.join(FIXTURES, name), "rb").read()
    for cut in sorted({1, 10, 100, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1}):
        path = tmp_path / ("cut_%d" % cut)
        path.write_bytes(data[:cut])
        run = subprocess.run([brine, "inspect", str(path)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, (cut, run.stdout[-300:], run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1 and "offset" in run.stderr, run.stderr


def test_torchscript_rewritten_loads_with_identical_outputs(brine, tmp_path):
    # Setting an attribute that is already None keeps the module's schema; the archive is
    # still rewritten (data.pkl, and the deflated code/ members written stored).
    src = os.path.join(FIXTURES, "scripted.pt")
    out = str(tmp_path / "scripted.pt")
    run = strip(brine, src, out, "--set-none", "--remove", "embedding._is_full_backward_hook")
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(out) as archive:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original, rewritten = torch.jit.load(src), torch.jit.load(out)
    probe = torch.arange(20).reshape(2, 10) % 50
    assert torch.equal(original(probe), rewritten(probe))
