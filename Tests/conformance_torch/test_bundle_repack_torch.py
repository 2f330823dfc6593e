"""`brine repack` on a SageMaker model.tar.gz holding a real torch checkpoint: the result is
read by Python's tarfile and loaded by torch with identical outputs."""
import io
import json
import os
import pickle
import subprocess
import tarfile

import torch

from test_torch_strip import assert_same_probe_output

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLES = os.path.join(HERE, "..", "..", "fixtures", "bundles")
with open(os.path.join(BUNDLES, "expected.json")) as f:
    EXPECTED = json.load(f)["sagemaker_torch"]


def test_sagemaker_torch_tarball_repacked_under_limit_loads_in_torch(brine, tmp_path):
    source = os.path.join(BUNDLES, "sagemaker", "model-torch.tar.gz")
    limit = EXPECTED["limit_bytes"]
    assert os.path.getsize(source) > limit
    out = tmp_path / "model.tar.gz"
    run = subprocess.run([brine, "repack", source, "-o", str(out), "--limit", str(limit), "--format", "json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)
    assert plan["steps"][0]["note"].endswith("model.pth")
    assert out.stat().st_size <= limit
    with tarfile.open(source) as old, tarfile.open(out) as new:
        assert [(m.name, m.mode, m.mtime) for m in new.getmembers()] == [(m.name, m.mode, m.mtime) for m in old.getmembers()]
        checkpoint = torch.load(io.BytesIO(new.extractfile("model.pth").read()), weights_only=True)
        original = torch.load(io.BytesIO(old.extractfile("model.pth").read()), weights_only=True)
        assert "optimizer_state_dict" not in checkpoint
        for key, tensor in original["model_state_dict"].items():
            assert torch.equal(tensor, checkpoint["model_state_dict"][key]), key
        assert pickle.loads(new.extractfile("word_dict.pkl").read()) == pickle.loads(old.extractfile("word_dict.pkl").read())
        assert new.extractfile("code/inference.py").read() == old.extractfile("code/inference.py").read()
    assert_same_probe_output(original["model_state_dict"], checkpoint["model_state_dict"])
