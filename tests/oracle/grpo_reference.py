#!/usr/bin/python3
"""Float64 PyTorch reference of one GRPO step's loss, written from the formulas (DeepSeekMath,
DAPO, Dr. GRPO, GSPO, CISPO, SAPO, INTELLECT-2's delta, the 80/20 entropy mask) as TRL's
GRPOTrainer lays them out: right-padded (B, L) tensors per micro-batch, torch.minimum/torch.clamp,
and autograd for d loss / d logp.

    /usr/bin/python3 grpo_reference.py --manifest cases.json --out report.json

cases.json: {"cases": [{"name", "num_generations", "scale_rewards", "loss_type", "beta",
             "epsilon_low", "epsilon_high", "max_completion_length", optional
             "importance_sampling_level" (token), "delta" (null), "sapo_temperature_pos",
             "sapo_temperature_neg", "top_entropy_quantile" (1.0), "vllm_importance_sampling_mode"
             and "vllm_importance_sampling_cap" (absent: no sampler correction),
             "per_device_train_batch_size", "gradient_accumulation_steps", "rewards": [N],
             "completions": [{"logp": [...], "old_logp": [...], "ref_logp": [...],
                              "mask": [...], "entropy": [...] (with top_entropy_quantile),
                              "sampling_logp": [...] (with the sampler correction)}]
             (N of them, in reward order)}]}
report.json: {"cases": [{"name", "advantages": [N], "frac_reward_zero_std", "loss",
              "dlogp": [[...] per completion], "kl_mean", "low_clip", "high_clip"}]}

A case with "model" instead checks the model's per-token log-probs at a temperature and their
backward: {"name", "model": DIR, "tokens": [[...]], "targets": [[...]] (-1: none),
"temperature", "dlogp": [[...]], "grads": F.safetensors (aha's)} gives {"name", "logp": [[...]],
"entropy": [[...]], "tensors": {name: max|aha - ref| / max|ref|}, "missing", "extra"}, where the
reference differentiates sum(dlogp * logp) by autograd over hf_reference.forward.

A case with "model" and "completions" checks a whole step's gradient: the loss keys above,
"temperature", "advantages": [N], "completions": [{"prompt": [ids], "ids": [ids], "old_logp",
"mask"}] and "grads" give {"name", "loss", "tensors", "missing", "extra"}, the
reference's logp and entropies being the model's own (autograd from the loss to every weight).
"""
import sys

import os

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference  # noqa: E402
from manifest import run_manifest  # noqa: E402


def advantages_of(rewards, group, scale):
    r = torch.tensor(rewards, dtype=torch.float64)
    grouped = r.view(-1, group)
    mean = grouped.mean(dim=1).repeat_interleave(group)
    group_std = grouped.std(dim=1).repeat_interleave(group)
    std = r.std().expand_as(r) if scale == "batch" else group_std
    adv = r - mean
    if scale != "none":
        adv = adv / (std + 1e-4)
    zero = torch.isclose(group_std, torch.zeros_like(group_std)).double().mean().item()
    return adv, zero


def padded(completions, key, length):
    rows = [c[key] + [0.0] * (length - len(c[key])) for c in completions]
    return torch.tensor(rows, dtype=torch.float64)


def entropy_mask(case, completions, mask, length):
    """TRL's get_high_entropy_mask: tokens whose entropy is at least the (1 - q) quantile of the
    micro-batch's masked entropies."""
    entropies = padded(completions, "entropy", length)
    local = entropies[mask.bool()]
    if local.numel() == 0:
        return torch.zeros_like(mask)
    threshold = torch.quantile(local, 1 - case["top_entropy_quantile"])
    return ((entropies * mask >= threshold) & mask.bool()).double()


def sampler_ratio(case, completions, old, mask, length):
    """TRL's vLLM importance-sampling ratio: exp of (old - sampling) log-probs per token or summed
    per sequence, truncated at the cap or masked (0) above it; detached."""
    diff = (old - padded(completions, "sampling_logp", length)) * mask
    mode, cap = case["vllm_importance_sampling_mode"], case["vllm_importance_sampling_cap"]
    if mode.startswith("sequence"):
        diff = diff.sum(dim=-1, keepdim=True)
    ratio = torch.exp(diff)
    if mode.endswith("truncate"):
        return torch.clamp(ratio, max=cap)
    return ratio.masked_fill(ratio > cap, 0.0)


def micro_batch_loss(case, completions, adv, logp, num_items):
    length = max(len(c["logp"]) for c in completions)
    old = padded(completions, "old_logp", length)
    mask = padded(completions, "mask", length)
    a = adv.unsqueeze(1)
    lo, hi = 1 - case["epsilon_low"], 1 + case["epsilon_high"]
    kind = case["loss_type"]
    log_ratio = logp - old
    if case.get("importance_sampling_level", "token") == "sequence":
        log_weights = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
    else:
        log_weights = log_ratio
    coef_1 = torch.exp(log_weights)
    low = torch.zeros_like(coef_1)
    high = torch.zeros_like(coef_1)
    if kind == "cispo":
        clamped = torch.clamp(coef_1, max=case["epsilon_high"]).detach()
        per_token = -clamped * a * logp
        high = ((coef_1 > case["epsilon_high"]) & (a > 0)).double()
    elif kind == "sapo":
        # Float64 temperatures (torch.where with Python scalars would give float32 ones).
        temperatures = torch.where(a > 0, torch.full_like(a, case["sapo_temperature_pos"]),
                                   torch.full_like(a, case["sapo_temperature_neg"]))
        per_token = -torch.sigmoid(temperatures * (coef_1 - 1)) * 4 / temperatures * a
    else:
        coef_2 = torch.clamp(coef_1, lo, hi)
        if case.get("delta") is not None:
            coef_1 = torch.clamp(coef_1, max=case["delta"])
        per_token = -torch.minimum(coef_1 * a, coef_2 * a)
        low = ((coef_1 < lo) & (a < 0)).double()
        high = ((coef_1 > hi) & (a > 0)).double()
    if case.get("top_entropy_quantile", 1.0) < 1.0:
        per_token = per_token * entropy_mask(case, completions, mask, length)
    if "vllm_importance_sampling_mode" in case:
        per_token = per_token * sampler_ratio(case, completions, old, mask, length)
    kl = torch.zeros_like(mask)
    if case["beta"] != 0.0:
        ref = padded(completions, "ref_logp", length)
        kl = torch.exp(ref - logp) - (ref - logp) - 1
        per_token = per_token + case["beta"] * kl
    ga = case["gradient_accumulation_steps"]
    if kind in ("grpo", "sapo"):
        loss = ((per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean() / ga
    elif kind == "bnpo":
        loss = (per_token * mask).sum() / mask.sum().clamp(min=1.0) / ga
    elif kind == "dr_grpo":
        loss = (per_token * mask).sum() / (per_token.size(0) * case["max_completion_length"]) / ga
    else:  # dapo, cispo: every completion token of the whole generation batch
        loss = (per_token * mask).sum() / num_items
    if low.shape[1] == 1:  # sequence level: one clip indicator per completion
        clip = (low.sum().item(), high.sum().item(), float(low.shape[0]))
    else:
        clip = ((low * mask).sum().item(), (high * mask).sum().item(), mask.sum().item())
    stats = ((kl * mask).sum().item(), clip[0], clip[1], mask.sum().item(), clip[2])
    return loss, stats


def run_case(case):
    adv, zero = advantages_of(case["rewards"], case["num_generations"], case["scale_rewards"])
    completions = case["completions"]
    num_items = float(sum(len(c["logp"]) for c in completions))
    size = case["per_device_train_batch_size"]
    total = torch.zeros((), dtype=torch.float64)
    leaves = []
    sums = [0.0, 0.0, 0.0, 0.0, 0.0]
    for start in range(0, len(completions), size):
        part = completions[start:start + size]
        length = max(len(c["logp"]) for c in part)
        logp = padded(part, "logp", length).requires_grad_(True)
        loss, stats = micro_batch_loss(case, part, adv[start:start + size], logp, num_items)
        total = total + loss
        leaves.append((logp, part))
        sums = [s + x for s, x in zip(sums, stats)]
    total.backward()
    dlogp = []
    for logp, part in leaves:
        for row, c in zip(logp.grad, part):
            dlogp.append(row[: len(c["logp"])].tolist())
    tokens, clip_count = max(sums[3], 1.0), max(sums[4], 1.0)
    return {"name": case["name"], "advantages": adv.tolist(), "frac_reward_zero_std": zero,
            "loss": total.item(), "dlogp": dlogp, "kl_mean": sums[0] / tokens,
            "low_clip": sums[1] / clip_count, "high_clip": sums[2] / clip_count}


def run_model_case(case):
    config, weights = hf_reference.load_model_dir(case["model"])
    for w in weights.values():
        w.requires_grad_(True)
    total = torch.zeros((), dtype=torch.float64)
    logps, entropies = [], []
    for ids, targets, dlogp in zip(case["tokens"], case["targets"], case["dlogp"]):
        logits = hf_reference.forward(config, weights, ids) / case["temperature"]
        logprobs = torch.log_softmax(logits, dim=-1)
        entropy = -(logprobs.exp() * logprobs).sum(-1)
        t = torch.tensor([max(x, 0) for x in targets])
        keep = torch.tensor([x >= 0 for x in targets], dtype=torch.float64)
        picked = logprobs.gather(1, t.unsqueeze(1)).squeeze(1) * keep
        total = total + (torch.tensor(dlogp, dtype=torch.float64) * picked).sum()
        logps.append(picked.tolist())
        entropies.append((entropy * keep).tolist())
    total.backward()
    got = hf_reference.read_safetensors(case["grads"])
    tensors = {}
    for name, w in weights.items():
        if name in got:
            want = w.grad
            diff = (torch.from_numpy(got[name]).double() - want).abs().max().item()
            scale = want.abs().max().item()
            tensors[name] = diff / scale if scale > 0 else diff
    return {"name": case["name"], "logp": logps, "entropy": entropies, "tensors": tensors,
            "missing": sorted(set(weights) - set(got)), "extra": sorted(set(got) - set(weights))}


def run_model_loss_case(case):
    """One GRPO step's gradient through the model: per completion the log-probs of its tokens after
    its prompt (hf_reference.forward at the temperature), the step loss of run_case's formulas in
    micro-batches, and autograd down to every weight."""
    config, weights = hf_reference.load_model_dir(case["model"])
    for w in weights.values():
        w.requires_grad_(True)
    completions = []
    for c in case["completions"]:
        ids = c["prompt"] + c["ids"]
        logits = hf_reference.forward(config, weights, ids[:-1]) / case["temperature"]
        logprobs = torch.log_softmax(logits, dim=-1)
        n = len(c["prompt"])
        picked = logprobs[n - 1:].gather(1, torch.tensor(c["ids"]).unsqueeze(1)).squeeze(1)
        entropy = -(logprobs[n - 1:].exp() * logprobs[n - 1:]).sum(-1).detach()
        completions.append(dict(c, logp=picked, entropy=entropy.tolist()))
    num_items = float(sum(len(c["ids"]) for c in completions))
    adv = torch.tensor(case["advantages"], dtype=torch.float64)
    size = case["per_device_train_batch_size"]
    total = torch.zeros((), dtype=torch.float64)
    for start in range(0, len(completions), size):
        part = completions[start:start + size]
        length = max(len(c["ids"]) for c in part)
        logp = torch.stack([torch.cat([c["logp"], torch.zeros(length - len(c["ids"]), dtype=torch.float64)])
                            for c in part])
        plain = [{k: (v.tolist() if k == "logp" else v) for k, v in c.items()} for c in part]
        loss, _ = micro_batch_loss(case, plain, adv[start:start + size], logp, num_items)
        total = total + loss
    total.backward()
    got = hf_reference.read_safetensors(case["grads"])
    tensors = {}
    for name, w in weights.items():
        if name in got:
            diff = (torch.from_numpy(got[name]).double() - w.grad).abs().max().item()
            scale = w.grad.abs().max().item()
            tensors[name] = diff / scale if scale > 0 else diff
    return {"name": case["name"], "loss": total.item(), "tensors": tensors,
            "missing": sorted(set(weights) - set(got)), "extra": sorted(set(got) - set(weights))}


def run_any(case):
    if "model" not in case:
        return run_case(case)
    return run_model_loss_case(case) if "completions" in case else run_model_case(case)


def main(argv):
    return run_manifest(argv, __doc__.splitlines()[0], run_any)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
