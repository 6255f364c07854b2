#!/usr/bin/python3
"""PyTorch side of bench/train_bench.cpp: the same model and optimisation step in torch.

One step is forward, cross-entropy (mean over tokens), backward, clip_grad_norm_(1.0) and
torch.optim.AdamW (lr 1e-4, weight decay 0.01 on matrices only), fp32, as aha's GradientStep does.
With --bf16 the forward and the loss run under torch.autocast("cpu", dtype=torch.bfloat16), the
logits cast to fp32 before the loss as transformers does; master weights, gradients and AdamW stay
fp32 (what TRL/HF Trainer's bf16=True does on a CPU). Attention is the naive causal form (torch
1.13 has no F.scaled_dot_product_attention). Prints one JSON line: step_s (the fastest timed step),
mean_step_s, forward_s (fastest), tokens_per_s (from step_s), loss, peak_rss_kib (ru_maxrss of this
process), parameters.

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/train_reference.py --config 3m|58m|05b \
        [--bf16] [--steps N] [--warmup N] [--threads N]

OPENBLAS_CORETYPE must be set before torch loads OpenBLAS (Debian's 0.3.21 does not recognise
this CPU and otherwise falls back to its slowest kernels); train_bench sets it.

05b is Qwen2.5-0.5B's architecture (qwen2: tied embeddings, q/k/v biases, rope_theta 1e6,
rms_norm_eps 1e-6; 494M parameters) at sequence 256, batch 1: one step is ~0.8 TFLOP, seconds on
a few cores, and fp32 training with AdamW holds ~8 GB (weights, gradients, two moments).
"""
import argparse
import contextlib
import json
import math
import resource
import time

import torch
import torch.nn.functional as F

LLAMA = dict(tie=False, qkv_bias=False, rope_theta=10000.0, eps=1e-5)
CONFIGS = {
    "3m": dict(LLAMA, dim=256, layers=4, heads=8, kv_heads=4, head_dim=32, ffn=688, vocab=512, seq=256, batch=16),
    "58m": dict(LLAMA, dim=512, layers=8, heads=8, kv_heads=8, head_dim=64, ffn=1376, vocab=32000, seq=256,
                batch=4),
    "05b": dict(dim=896, layers=24, heads=14, kv_heads=2, head_dim=64, ffn=4864, vocab=151936, seq=256, batch=1,
                tie=True, qkv_bias=True, rope_theta=1e6, eps=1e-6),
}


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        dim, hd, bias = c["dim"], c["head_dim"], c["qkv_bias"]
        self.heads, self.kv_heads, self.hd, self.eps = c["heads"], c["kv_heads"], hd, c["eps"]
        self.input_norm = torch.nn.Parameter(torch.ones(dim))
        self.post_norm = torch.nn.Parameter(torch.ones(dim))
        self.q = torch.nn.Linear(dim, c["heads"] * hd, bias=bias)
        self.k = torch.nn.Linear(dim, c["kv_heads"] * hd, bias=bias)
        self.v = torch.nn.Linear(dim, c["kv_heads"] * hd, bias=bias)
        if bias:  # zeros, as transformers initialises biases (and aha)
            for linear in (self.q, self.k, self.v):
                torch.nn.init.zeros_(linear.bias)
        self.o = torch.nn.Linear(c["heads"] * hd, dim, bias=False)
        self.gate = torch.nn.Linear(dim, c["ffn"], bias=False)
        self.up = torch.nn.Linear(dim, c["ffn"], bias=False)
        self.down = torch.nn.Linear(c["ffn"], dim, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = rmsnorm(x, self.input_norm, self.eps)
        q = self.q(h).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k(h).view(b, t, self.kv_heads, self.hd).transpose(1, 2)
        v = self.v(h).view(b, t, self.kv_heads, self.hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        group = self.heads // self.kv_heads
        if group > 1:
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        att = torch.softmax(scores, dim=-1) @ v
        x = x + self.o(att.transpose(1, 2).reshape(b, t, -1))
        h = rmsnorm(x, self.post_norm, self.eps)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Llama(torch.nn.Module):
    """Llama, or Qwen2 with tie=True and qkv_bias=True (the lm_head is then the embedding matrix)."""

    def __init__(self, c):
        super().__init__()
        self.eps = c["eps"]
        self.embed = torch.nn.Embedding(c["vocab"], c["dim"])
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["layers"]))
        self.norm = torch.nn.Parameter(torch.ones(c["dim"]))
        self.lm_head = torch.nn.Linear(c["dim"], c["vocab"], bias=False)
        if c["tie"]:
            self.lm_head.weight = self.embed.weight
        hd, t = c["head_dim"], c["seq"]
        inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        angles = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)
        angles = torch.cat((angles, angles), dim=-1)
        self.register_buffer("cos", angles.cos().float())
        self.register_buffer("sin", angles.sin().float())
        self.register_buffer("mask", torch.full((t, t), float("-inf")).triu(1))
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, tokens):
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin, self.mask)
        return self.lm_head(rmsnorm(x, self.norm, self.eps))


def autocast(bf16):
    return torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


def mean_loss(model, tokens, targets, bf16):
    with autocast(bf16):
        logits = model(tokens)
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.view(-1))


def adamw(model):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-4
    )


def timed(f, n):
    """The seconds of each of n calls of f, and f's last result."""
    times, result = [], None
    for _ in range(n):
        start = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - start)
    return times, result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=sorted(CONFIGS), required=True)
    ap.add_argument("--bf16", action="store_true", help="forward and loss under bf16 autocast")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    c = CONFIGS[args.config]
    model = Llama(c)
    opt = adamw(model)
    tokens = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))
    targets = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = mean_loss(model, tokens, targets, args.bf16)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    timed(step, args.warmup)
    times, loss = timed(step, args.steps)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with torch.no_grad():
        forward_times, _ = timed(lambda: mean_loss(model, tokens, targets, args.bf16), args.steps)
    step_s = min(times)
    print(json.dumps(dict(step_s=step_s, mean_step_s=sum(times) / len(times),
                          forward_s=min(forward_times),
                          tokens_per_s=c["batch"] * c["seq"] / step_s, loss=loss,
                          peak_rss_kib=peak_kib, parameters=sum(p.numel() for p in model.parameters()))))


if __name__ == "__main__":
    main()
