#!/usr/bin/python3
"""Replays aha's AdamW run with torch.optim.AdamW and clip_grad_norm_ in float64, and compares.

    /usr/bin/python3 adamw_reference.py --manifest run.json --out report.json

run.json: {"model": DIR (initial weights, model.safetensors), "grads": F.safetensors holding
           "step{i}.{name}" (the gradients before clipping), "final": F.safetensors (aha's weights
           after the run), "learning_rates": [one per step], "betas": [b1, b2], "eps": x,
           "weight_decay": x, "max_grad_norm": x, "norms": [aha's norm before clipping, per step]}
Matrices (ndim >= 2) get weight decay; norms and biases (ndim 1) get none.
report.json: {"norm_rel_err": [per step], "tensors": {name: max|aha - ref| / max|ref|}}
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference  # noqa: E402


def replay(run):
    """({name: final float64 weight}, [norm per step]) of torch's AdamW over run's gradients."""
    initial = hf_reference.read_safetensors(os.path.join(run["model"], "model.safetensors"))
    params = {name: torch.from_numpy(a.copy()).requires_grad_(True) for name, a in initial.items()}
    grads = hf_reference.read_safetensors(run["grads"])
    decay = [p for p in params.values() if p.ndim >= 2]
    no_decay = [p for p in params.values() if p.ndim < 2]
    groups = [
        {"params": decay, "weight_decay": run["weight_decay"]},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(
        groups,
        lr=run["learning_rates"][0],
        betas=tuple(run["betas"]),
        eps=run["eps"],
    )
    norms = []
    for step, lr in enumerate(run["learning_rates"]):
        for group in optimizer.param_groups:
            group["lr"] = lr
        for name, p in params.items():
            p.grad = torch.from_numpy(grads[f"step{step}.{name}"].copy())
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), run["max_grad_norm"])
        norms.append(norm.item())
        optimizer.step()
    return {name: p.detach() for name, p in params.items()}, norms


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", required=True, help="run.json written by the gtest")
    parser.add_argument("--out", required=True, help="report.json to write")
    args = parser.parse_args(argv)
    with open(args.manifest) as f:
        run = json.load(f)
    weights, norms = replay(run)
    final = hf_reference.read_safetensors(run["final"])
    tensors = {}
    for name, want in weights.items():
        got = torch.from_numpy(final[name])
        tensors[name] = (got - want).abs().max().item() / want.abs().max().item()
    report = {
        "norm_rel_err": [abs(a - b) / b for a, b in zip(run["norms"], norms)],
        "tensors": tensors,
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
