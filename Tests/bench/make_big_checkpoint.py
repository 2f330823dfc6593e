#!/usr/bin/env python3
"""Writes the PyTorch benchmark input: a training checkpoint of 1 GB or more.

Run with the torch venv (fixtures/requirements-torch.txt; `make bench-data` does):

    VENV="$(BRINE_REQUIREMENTS=fixtures/requirements-torch.txt BRINE_VENV_NAME=torch-venv fixtures/venv.sh)"
    "$VENV/bin/python" Tests/bench/make_big_checkpoint.py      # -> ~/.cache/brine/bench/torch_checkpoint.pt

The model is an embedding of 220,000 x 256 and two 4096 x 4096 layers (about 90 M float32
parameters, 360 MB); one real Adam step fills exp_avg and exp_avg_sq, so the optimizer
state is twice the weights and the file about 1.08 GB. Skipped when the file exists and
its metadata says it was made by this script's current version.
"""
import json
import os
import sys

import torch
from torch import nn

VERSION = 1
OUT_DIR = os.environ.get("BRINE_BENCH_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "brine", "bench")
OUT = os.path.join(OUT_DIR, "torch_checkpoint.pt")
META = OUT + ".meta.json"


class BigNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(220_000, 256)
        self.up = nn.Linear(256, 4096)
        self.hidden = nn.Linear(4096, 4096)
        self.mix = nn.Linear(4096, 4096)
        self.out = nn.Linear(4096, 1000)

    def forward(self, tokens):
        x = self.embedding(tokens).mean(dim=1)
        return self.out(torch.relu(self.mix(torch.relu(self.hidden(torch.relu(self.up(x)))))))


def main():
    if os.path.exists(OUT) and os.path.exists(META):
        with open(META) as f:
            if json.load(f).get("version") == VERSION:
                print(OUT)
                return
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    model = BigNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens = torch.randint(0, 220_000, (16, 12))
    loss = nn.functional.cross_entropy(model(tokens), torch.randint(0, 1000, (16,)))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    checkpoint = {"epoch": 1, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
                  "loss": float(loss)}
    tmp = OUT + ".tmp"
    torch.save(checkpoint, tmp)
    os.replace(tmp, OUT)
    weights = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    with open(META, "w") as f:
        json.dump({"version": VERSION, "bytes": os.path.getsize(OUT), "weightBytes": weights,
                   "torch": torch.__version__}, f)
    print(OUT)


if __name__ == "__main__":
    sys.exit(main())
