#!/usr/bin/python3
"""Float64 PyTorch autograd gradients of LoRA adapters (PEFT's layout), compared with aha's.

The model is hf_reference.forward over the base weights with every adapted linear's weight
replaced by W + scale * B @ A, which is what PEFT's LoraLayer computes with dropout 0
(W x + scale * B (A x)); autograd gives d(loss)/dA and d(loss)/dB of

    loss = sum_b sum_t weights[b][t] * cross_entropy(logits_b[t], targets[b][t]) / normaliser

    /usr/bin/python3 lora_reference.py --manifest cases.json --out report.json

cases.json: {"cases": [{"name": ..., "adapter": DIR (adapter_config.json, adapter_model.safetensors,
             base_model_name_or_path absolute), "tokens", "targets", "weights", "normaliser",
             "loss": aha's loss, "grads": F.safetensors (aha's gradients under PEFT's names)}]}
report.json: {"cases": [{"name", "loss", "loss_rel_err", "tensors": {name: max|aha-ref|/max|ref|},
              "missing": [...], "extra": [...], "config_keys_missing": [...],
              "bad_tensor_names": [...]}]}

It also checks the adapter directory's keys and tensor names against the lists PEFT writes
(peft_names.py in this folder).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference  # noqa: E402
import peft_names  # noqa: E402
from manifest import run_manifest  # noqa: E402


def lora_weights(adapter_dir):
    """(config, base weights, {peft name: leaf tensor}, effective weights) of an adapter."""
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        acfg = json.load(f)
    config, base = hf_reference.load_model_dir(acfg["base_model_name_or_path"])
    adapter = {
        name: torch.from_numpy(arr.copy()).requires_grad_(True)
        for name, arr in hf_reference.read_safetensors(
            os.path.join(adapter_dir, "adapter_model.safetensors")
        ).items()
    }
    r = acfg["r"]
    scale = acfg["lora_alpha"] / (r**0.5 if acfg.get("use_rslora") else r)
    weights = dict(base)
    prefix = "base_model.model."
    for name in adapter:
        if not name.endswith(".lora_A.weight"):
            continue
        module = name[len(prefix):-len(".lora_A.weight")]
        a = adapter[name]
        b = adapter[prefix + module + ".lora_B.weight"]
        weights[module + ".weight"] = base[module + ".weight"] + scale * (b @ a)
    return acfg, config, adapter, weights


def compare(case):
    acfg, config, adapter, weights = lora_weights(case["adapter"])
    total = torch.zeros((), dtype=torch.float64)
    scale = 0.0
    for ids, targets, token_weights in zip(case["tokens"], case["targets"], case["weights"]):
        logits = hf_reference.forward(config, weights, ids)
        ce = torch.nn.functional.cross_entropy(
            logits, torch.tensor(targets, dtype=torch.long), reduction="none", ignore_index=-100
        )
        weighted = torch.tensor(token_weights, dtype=torch.float64) * ce
        total = total + weighted.sum()
        scale += weighted.abs().sum().item() / case["normaliser"]
    loss = total / case["normaliser"]
    loss.backward()
    got = hf_reference.read_safetensors(case["grads"])
    tensors = {}
    for name, leaf in adapter.items():
        if name in got:
            want = leaf.grad
            diff = (torch.from_numpy(got[name]) - want).abs().max().item()
            ref = want.abs().max().item()
            tensors[name] = diff / ref if ref > 0 else diff
    num_layers = config["num_hidden_layers"]
    return {
        "name": case["name"],
        "loss": loss.item(),
        "loss_rel_err": abs(case["loss"] - loss.item()) / max(scale, 1e-12),
        "tensors": tensors,
        "missing": sorted(set(adapter) - set(got)),
        "extra": sorted(set(got) - set(adapter)),
        "config_keys_missing": sorted(set(peft_names.ADAPTER_CONFIG_KEYS) - set(acfg)),
        "config_keys_unknown": sorted(set(acfg) - set(peft_names.ADAPTER_CONFIG_KEYS)),
        "bad_tensor_names": sorted(
            n for n in adapter if not peft_names.is_lora_tensor_name(n, num_layers)
        ),
    }


def main(argv):
    return run_manifest(argv, __doc__.splitlines()[0], compare)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
