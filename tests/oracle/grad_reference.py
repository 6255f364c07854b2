#!/usr/bin/python3
"""Float64 PyTorch autograd gradients of the weighted token loss, compared with aha's.

The forward pass is hf_reference.forward (imported, not copied); autograd differentiates

    loss = sum_b sum_t weights[b][t] * cross_entropy(logits_b[t], targets[b][t]) / normaliser

where logits_b = forward(tokens[b]) and a target of -100 contributes nothing.

    /usr/bin/python3 grad_reference.py --manifest cases.json --out report.json

cases.json: {"cases": [{"name": ..., "model": DIR, "tokens": [[...]], "targets": [[...]],
             "weights": [[...]], "normaliser": x, "loss": aha's loss, "bf16": optional, true
             for mixed precision (hf_reference.Bf16Matmul: operands rounded to bf16),
             "grads": F.safetensors (aha's gradients under the HF weight names)}]}
report.json: {"cases": [{"name": ..., "loss": reference loss,
              "loss_rel_err": |aha - ref| / (sum |w| * ce / normaliser),
              "tensors": {name: max|aha - ref| / max|ref|}, "missing": [names aha lacks],
              "extra": [names the model lacks]}]}
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference  # noqa: E402
from manifest import run_manifest  # noqa: E402


def reference_loss_and_grads(case):
    """(loss, loss scale, {name: float64 gradient}) of one case, by autograd over the reference."""
    config, weights = hf_reference.load_model_dir(case["model"])
    for w in weights.values():
        w.requires_grad_(True)
    total = torch.zeros((), dtype=torch.float64)
    scale = 0.0  # sum |w| * ce / normaliser: the size of the loss before signs cancel
    for ids, targets, token_weights in zip(case["tokens"], case["targets"], case["weights"]):
        logits = hf_reference.forward(config, weights, ids, case.get("bf16", False))
        ce = torch.nn.functional.cross_entropy(
            logits, torch.tensor(targets, dtype=torch.long), reduction="none", ignore_index=-100
        )
        weighted = torch.tensor(token_weights, dtype=torch.float64) * ce
        total = total + weighted.sum()
        scale += weighted.abs().sum().item() / case["normaliser"]
    loss = total / case["normaliser"]
    loss.backward()
    return loss.item(), scale, {name: w.grad for name, w in weights.items()}


def relative_error(got, want):
    scale = want.abs().max().item()
    diff = (got - want).abs().max().item()
    return diff / scale if scale > 0 else diff


def compare(case):
    loss, scale, grads = reference_loss_and_grads(case)
    got = hf_reference.read_safetensors(case["grads"])
    tensors = {}
    for name, want in grads.items():
        if name in got:
            if tuple(got[name].shape) != tuple(want.shape):
                raise ValueError(
                    f"{case['name']}: {name} has shape {got[name].shape}, want {tuple(want.shape)}"
                )
            tensors[name] = relative_error(torch.from_numpy(got[name]), want)
    return {
        "name": case["name"],
        "loss": loss,
        "loss_rel_err": abs(case["loss"] - loss) / max(scale, 1e-12),
        "tensors": tensors,
        "missing": sorted(set(grads) - set(got)),
        "extra": sorted(set(got) - set(grads)),
    }


def main(argv):
    return run_manifest(argv, __doc__.splitlines()[0], compare)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
