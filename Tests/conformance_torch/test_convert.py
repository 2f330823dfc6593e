"""`brine convert` to safetensors, checked with the real libraries: `safetensors.torch.load_file`
of the output equals `torch.load(IN, weights_only=True)` tensor by tensor (same dtype and
shape, bit-identical data), and a model loaded from the output gives the same forward output as
the original, computed in the same run.

safetensors is not in the torch venv (adding it would make a second 6 GB venv): its wheel is
abi3, so the formats venv's copy (fixtures/requirements-formats.txt, safetensors 0.8.0) is put
on sys.path alone, through a directory holding a link to that one package."""
import hashlib
import json
import os
import subprocess
import sys

import pytest
import torch
from conftest import leaves_by_name

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
FIXTURES = os.path.join(ROOT, "fixtures", "torch")

# Weights are bit-identical, so on one machine outputs agree to float32 rounding; the tolerance
# allows for kernels that pick another summation order between two calls.
PROBE_RTOL, PROBE_ATOL = 1e-6, 1e-7


def formats_venv():
    if os.environ.get("BRINE_FORMATS_VENV"):
        return os.environ["BRINE_FORMATS_VENV"]
    env = dict(os.environ, BRINE_REQUIREMENTS=os.path.join(ROOT, "fixtures", "requirements-formats.txt"), BRINE_VENV_NAME="formats-venv")
    return subprocess.run(["bash", os.path.join(ROOT, "fixtures", "venv.sh")], env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def st(tmp_path_factory):
    venv = formats_venv()
    package = [os.path.join(venv, "lib", d, "site-packages", "safetensors") for d in os.listdir(os.path.join(venv, "lib"))][0]
    link = tmp_path_factory.mktemp("safetensors-only")
    os.symlink(package, link / "safetensors")
    sys.path.insert(0, str(link))
    import safetensors.torch
    return safetensors.torch


@pytest.fixture(scope="session")
def generator():
    import importlib.util
    spec = importlib.util.spec_from_file_location("generate_torch", os.path.join(FIXTURES, "generate_torch.py"))
    module = importlib.util.module_from_spec(spec)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    spec.loader.exec_module(module)
    return module


def convert(brine, src, dst, *args):
    return subprocess.run([brine, "convert", src, "-o", str(dst), "--format", "json", *args], capture_output=True, text=True)


def flatten(value):
    """Tensors by the names brine gives them (conftest's leaves_by_name)."""
    return leaves_by_name(value, lambda v: isinstance(v, torch.Tensor))


def bits(tensor):
    return tensor.detach().reshape(-1).contiguous().view(torch.uint8)


def assert_same_tensor(name, got, want):
    assert got.dtype == want.dtype, name
    assert got.shape == want.shape, name
    assert torch.equal(bits(got), bits(want)), name
    if not want.dtype.is_floating_point or want.dtype.itemsize > 1:
        assert torch.equal(got, want) or want.dtype.is_floating_point and torch.equal(got.isnan(), want.isnan()), name


def reference(path, weights_only=True):
    if path.endswith("scripted.pt"):
        return dict(torch.jit.load(path).state_dict())
    return torch.load(path, weights_only=weights_only, map_location="cpu")


def assert_converted(st, src, out, report, key=None, weights_only=True):
    """OUT holds every tensor of IN (under `key`) once: the others through __metadata__ aliases."""
    want = reference(src, weights_only)
    if key is not None:
        want = want[key]
    want = flatten(want)
    got = st.load_file(str(out))
    from safetensors import safe_open
    with safe_open(str(out), framework="pt") as f:
        metadata = f.metadata()
    assert metadata["format"] == "pt"
    assert metadata["converted_from"] == os.path.basename(src)
    with open(src, "rb") as f:
        assert metadata["sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert set(got) <= set(want)
    for name, tensor in want.items():
        if name not in got and name not in metadata:
            # A dtype safetensors has no name for: listed as dropped, not written.
            dtype = str(tensor.dtype).replace("torch.", "")
            assert any(d["what"] == f"tensor of {dtype}, which safetensors has no dtype for" for d in report["dropped"]), name
        elif name not in got:
            kept = metadata[name]            # a tied weight: written once under another name
            assert report["aliases"][name] == kept
            assert_same_tensor(name, got[kept], tensor)
        else:
            assert_same_tensor(name, got[name], tensor)
    return got


TORCH_FIXTURES = ["checkpoint.pt", "checkpoint_legacy.pt", "state_dict_legacy.pt", "scripted.pt", "shared_views.pt",
                  "checkpoint_cuda.pt", "tied_weights.pt", "bf16_model.pt", "noncontiguous.pt", "dtypes.pt"]


@pytest.mark.parametrize("name", TORCH_FIXTURES)
def test_every_tensor_equals_torch_load(brine, st, tmp_path, name):
    src = os.path.join(FIXTURES, name)
    out = tmp_path / "out.safetensors"
    result = convert(brine, src, out)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert_converted(st, src, out, report)
    if name == "dtypes.pt":
        assert [d["path"] for d in report["dropped"]] == ["['complex128']"]
    if name == "checkpoint_cuda.pt":
        assert any("cuda:0" in note for note in report["notes"])


def probe(model, tokens):
    model.eval()
    with torch.no_grad():
        return model(tokens)


def assert_same_output(original, converted, tokens):
    want, got = probe(original, tokens), probe(converted, tokens)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert torch.allclose(got.float(), want.float(), rtol=PROBE_RTOL, atol=PROBE_ATOL), (got.float() - want.float()).abs().max()


@pytest.mark.parametrize("name, key, make, vocabulary", [
    ("checkpoint.pt", "model_state_dict", lambda g: g.TinyNet(), 1000),
    ("checkpoint_legacy.pt", "model_state_dict", lambda g: g.TinyNet(), 1000),
    ("state_dict_legacy.pt", None, lambda g: g.TinyNet(), 1000),
    ("checkpoint_cuda.pt", "model_state_dict", lambda g: g.TinyNet(vocabulary=20, width=4, hidden=4, classes=2), 20),
    ("bf16_model.pt", None, lambda g: g.small_net().to(torch.bfloat16), 100),
    ("noncontiguous.pt", None, lambda g: g.small_net(), 100),
])
def test_model_from_the_output_gives_the_same_forward_output(brine, st, generator, tmp_path, name, key, make, vocabulary):
    src = os.path.join(FIXTURES, name)
    out = tmp_path / "model.safetensors"
    result = convert(brine, src, out, *(["--key", key] if key else []))
    assert result.returncode == 0, result.stderr
    state = torch.load(src, weights_only=True, map_location="cpu")
    state = state[key] if key else state
    original, converted = make(generator), make(generator)
    assert not original.load_state_dict(state, strict=False).missing_keys
    assert not converted.load_state_dict(st.load_file(str(out)), strict=False).missing_keys
    assert_same_output(original, converted, generator.small_probe_input(vocabulary))


def test_tied_weights_load_back_tied_through_load_model(brine, st, generator, tmp_path):
    src = os.path.join(FIXTURES, "tied_weights.pt")
    out = tmp_path / "tied.safetensors"
    result = convert(brine, src, out, "--strict")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["aliases"] == {"head.weight": "embedding.weight"}
    original = generator.TiedNet()
    original.load_state_dict(torch.load(src, weights_only=True))
    converted = generator.TiedNet()
    missing, unexpected = st.load_model(converted, str(out))
    assert not missing and not unexpected
    assert converted.head.weight.data_ptr() == converted.embedding.weight.data_ptr()
    assert_same_output(original, converted, generator.small_probe_input(64))


def test_torchscript_module_with_converted_weights_gives_the_same_output(brine, st, generator, tmp_path):
    src = os.path.join(FIXTURES, "scripted.pt")
    out = tmp_path / "scripted.safetensors"
    assert convert(brine, src, out).returncode == 0
    original, converted = torch.jit.load(src), torch.jit.load(src)
    with torch.no_grad():
        for parameter in converted.parameters():
            parameter.zero_()                      # nothing left of the original weights
    converted.load_state_dict(st.load_file(str(out)))
    assert_same_output(original, converted, generator.small_probe_input(50))


def test_shards_and_index_hold_the_state_dict(brine, st, tmp_path):
    src = os.path.join(FIXTURES, "checkpoint.pt")
    out = tmp_path / "model.safetensors"
    result = convert(brine, src, out, "--key", "model_state_dict", "--shard-size", "300KB")
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "model.safetensors.index.json") as f:
        index = json.load(f)
    want = torch.load(src, weights_only=True)["model_state_dict"]
    files = sorted(set(index["weight_map"].values()))
    assert files == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    got = {}
    for file in files:
        got.update(st.load_file(str(tmp_path / file)))
    assert sorted(got) == sorted(index["weight_map"]) == sorted(want)
    assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size() for t in want.values())
    for name, tensor in want.items():
        assert_same_tensor(name, got[name], tensor)
        assert (tmp_path / index["weight_map"][name]).exists()


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("legacy", [False, True])
def test_every_pickle_protocol(brine, st, generator, tmp_path, protocol, legacy):
    torch.manual_seed(protocol)
    state = generator.small_net().state_dict()
    state["view"] = state["hidden.weight"].t()
    src = str(tmp_path / "p.pt")
    torch.save({"model": state, "step": protocol}, src, pickle_protocol=protocol, _use_new_zipfile_serialization=not legacy)
    out = tmp_path / "p.safetensors"
    result = convert(brine, src, out, "--key", "model")
    if protocol == 0:
        # Protocol 0 has no binary persistent id: pickle writes str(('storage', …)) as text,
        # which torch.load itself cannot turn back into a storage. Brine recognises no tensor:
        # nothing to convert (zip), or storages no object refers to (legacy, an input error).
        with pytest.raises(Exception):
            torch.load(src, weights_only=False)
        if legacy:
            assert result.returncode == 2 and "offset" in result.stderr
        else:
            assert result.returncode == 1 and "nothing to convert" in result.stderr
        assert not out.exists()
        return
    assert result.returncode == 0, result.stderr
    # weights_only=True reads protocols 2 and 3 only (no INT, no FRAME); this file is our own.
    assert_converted(st, src, out, json.loads(result.stdout), key="model", weights_only=protocol in (2, 3))


def test_strict_refuses_a_checkpoint_with_non_tensors(brine, tmp_path):
    out = tmp_path / "all.safetensors"
    result = convert(brine, os.path.join(FIXTURES, "checkpoint.pt"), out, "--strict")
    assert result.returncode == 1
    assert "['epoch']" in result.stderr and not out.exists()
    assert os.listdir(tmp_path) == []


def test_dangerous_globals_are_refused_unless_allowed(brine, st, tmp_path):
    src = str(tmp_path / "hostile.pt")
    torch.save({"w": torch.ones(3), "hook": os.system}, src)
    out = tmp_path / "h.safetensors"
    refused = convert(brine, src, out)
    assert refused.returncode == 1 and "BR601" in refused.stderr and not out.exists()
    allowed = convert(brine, src, out, "--allow-unsafe-input")
    assert allowed.returncode == 0, allowed.stderr
    report = json.loads(allowed.stdout)
    assert [d["path"] for d in report["dropped"]] == ["['hook']"]
    assert torch.equal(st.load_file(str(out))["w"], torch.ones(3))


class _CachedState(torch.nn.Module):
    """A scripted module with a parameter, a buffer and a plain tensor attribute (a cached
    state, as silero-vad's `_state` and `_context`): state_dict() holds the first two only."""
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)
        self.register_buffer("running", torch.arange(3.0))
        self._state = torch.zeros(2, 5)

    def forward(self, x):
        self._state = self._state + 1
        return self.linear(x) + self.running


def test_torchscript_tensor_attributes_outside_the_state_dict_are_dropped(brine, st, tmp_path):
    """realworld R5: the output holds exactly state_dict()'s keys, so load_state_dict(strict)
    takes it; the cached state is listed as dropped."""
    torch.manual_seed(0)
    src = str(tmp_path / "cached.pt")
    torch.jit.save(torch.jit.script(_CachedState()), src)
    out = tmp_path / "cached.safetensors"
    result = convert(brine, src, out)
    assert result.returncode == 0, result.stderr
    want = dict(torch.jit.load(src).state_dict())
    got = st.load_file(str(out))
    assert set(got) == set(want), (sorted(got), sorted(want))
    for name in want:
        assert_same_tensor(name, got[name], want[name])
    report = json.loads(result.stdout)
    assert any(d["path"] == "_state" and "neither a parameter nor a buffer" in d["what"] for d in report["dropped"]), report["dropped"]
    fresh = torch.jit.load(src)
    fresh.load_state_dict(got)  # strict: no unexpected key
