#!/usr/bin/python3
"""Float64 reference of the Hugging Face Llama / Mistral / Qwen2 / Qwen3 forward pass.

Written from the transformers modeling code (modeling_llama.py, modeling_mistral.py,
modeling_qwen2.py, modeling_qwen3.py, modeling_rope_utils.py), independently of aha:
config.json and the safetensors files are read here with json + numpy, and every op
is computed in float64 with PyTorch.

    /usr/bin/python3 hf_reference.py --model DIR --ids 1,2,3 --out logits.npy

writes the logits, float64 [T, vocab], as a .npy file.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch

SUPPORTED_MODEL_TYPES = ("llama", "mistral", "qwen2", "qwen3")


def read_safetensors(path):
    """Returns {name: float64 numpy array} for every tensor of one safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    data = blob[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[begin:end]
        shape = tuple(info["shape"])
        dtype = info["dtype"]
        if dtype == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(raw, dtype="<f2")
        elif dtype == "BF16":
            # bf16 is the top half of an IEEE float32.
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif dtype == "F64":
            arr = np.frombuffer(raw, dtype="<f8")
        else:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dtype}")
        count = int(np.prod(shape)) if shape else 1
        if arr.size != count:
            raise ValueError(f"{path}: tensor {name}: {arr.size} values for shape {shape}")
        tensors[name] = arr.astype(np.float64).reshape(shape)
    return tensors


def load_model_dir(model_dir):
    """Returns (config dict, {name: float64 torch tensor}) of an HF model directory."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        files = sorted(set(weight_map.values()))
    else:
        weight_map = None
        files = ["model.safetensors"]
    weights = {}
    for name in files:
        for key, arr in read_safetensors(os.path.join(model_dir, name)).items():
            if weight_map is not None and weight_map.get(key) != name:
                raise ValueError(f"{name}: tensor {key} is not mapped to this shard in the index")
            weights[key] = torch.from_numpy(arr.copy())
    return config, weights


def default_inv_freq(theta, head_dim):
    """transformers' _compute_default_rope_parameters: 1 / theta^(arange(0, d, 2) / d)."""
    exponents = torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim
    return 1.0 / (theta**exponents)


def llama3_inv_freq(inv_freq, rope_scaling):
    """transformers' _compute_llama3_parameters applied to the default inverse frequencies."""
    factor = rope_scaling["factor"]
    low_freq_factor = rope_scaling["low_freq_factor"]
    high_freq_factor = rope_scaling["high_freq_factor"]
    old_context_len = rope_scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    # Long wavelengths (low frequencies) are divided by factor, short ones are kept.
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    # In between, interpolate smoothly.
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, inv_freq_llama)


def rope_bands(config):
    """Counts of (high, medium, low) frequency pairs of a llama3 rope_scaling config."""
    head_dim = model_head_dim(config)
    inv_freq = default_inv_freq(float(config.get("rope_theta", 10000.0)), head_dim)
    rs = config["rope_scaling"]
    wavelen = 2 * math.pi / inv_freq
    high = int((wavelen < rs["original_max_position_embeddings"] / rs["high_freq_factor"]).sum())
    low = int((wavelen > rs["original_max_position_embeddings"] / rs["low_freq_factor"]).sum())
    return high, len(inv_freq) - high - low, low


def model_head_dim(config):
    head_dim = config.get("head_dim")
    if head_dim is None:
        head_dim = config["hidden_size"] // config["num_attention_heads"]
    return head_dim


def rope_inv_freq(config):
    head_dim = model_head_dim(config)
    inv_freq = default_inv_freq(float(config.get("rope_theta", 10000.0)), head_dim)
    rs = config.get("rope_scaling")
    if rs:
        rope_type = rs.get("rope_type", rs.get("type"))
        if rope_type == "llama3":
            inv_freq = llama3_inv_freq(inv_freq, rs)
        elif rope_type != "default":
            raise ValueError(f"rope_scaling type {rope_type} is not in this reference")
    return inv_freq


def rms_norm(x, weight, eps):
    """x * rsqrt(mean(x^2) + eps) * weight over the last axis."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def round_bf16(x):
    """x as aha's bf16 products read it: fp32, rounded to bf16 (nearest even), in float64."""
    return x.detach().float().bfloat16().double()


class Bf16Matmul(torch.autograd.Function):
    """x @ w.T as aha's --dtype bfloat16 and `bf16: true` compute it: x and w rounded to bf16 in
    the forward, the output's gradient rounded to bf16 in the backward, every sum in float64."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return round_bf16(x) @ round_bf16(w).T

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        grad = round_bf16(grad)
        return grad @ round_bf16(w), grad.T @ round_bf16(x)


def quantize_q8_0(x):
    """Rows of x (fp32 values) as ggml's q8_0 quantizes them, in blocks of 32 along the row (zeros
    past its end): d = max|x| / 127 and q = round(x * (1 / d)) half away from zero, each step in
    fp32 as ggml's quantize_row_q8_0_ref. Returns q (rows, blocks, 32) and d (rows, blocks), fp32."""
    x32 = x.detach().float()
    rows, k = x32.shape
    blocks = (k + 31) // 32
    xb = torch.nn.functional.pad(x32, (0, blocks * 32 - k)).view(rows, blocks, 32)
    d = xb.abs().amax(-1) / 127.0
    inv = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
    v = (xb * inv.unsqueeze(-1)).double()
    return torch.sign(v) * torch.floor(v.abs() + 0.5), d


def dequantize_q8_0(w):
    """w (out, in) as a q8_0 GGUF tensor holds it: d rounded to fp16 times q."""
    q, d = quantize_q8_0(w)
    return (q * d.half().double().unsqueeze(-1)).reshape(w.shape[0], -1)[:, : w.shape[1]]


def q8_0_matmul(x, w):
    """x @ w.T as aha's --dtype q8_0 computes it (backend/cpu/gemm_q8.hpp): w quantized to q8_0
    (d in fp16), each row of x quantized the same way (d in fp32), each block's sum of q · q
    exact, times the fp32 product of the two scales; the blocks summed here in float64."""
    qx, dx = quantize_q8_0(x)
    qw, dw = quantize_q8_0(w)
    isum = torch.einsum("ibt,jbt->ijb", qx, qw)
    scale = (dw.half().float().unsqueeze(0) * dx.unsqueeze(1)).double()
    return (isum * scale).sum(-1)


def matmul(x, w, precision):
    """x @ w.T in aha's `precision`: False (exact here), True or "bf16" (mixed precision), "q8_0"."""
    if precision == "q8_0":
        return q8_0_matmul(x, w)
    return Bf16Matmul.apply(x, w) if precision else x @ w.T


def linear(x, weights, name, bias, precision=False):
    out = matmul(x, weights[name + ".weight"], precision)
    if bias:
        out = out + weights[name + ".bias"]
    return out


def forward(config, weights, ids, precision=False):
    """Logits float64 [T, vocab] for one sequence of token ids (positions 0..T-1). With
    precision True or "bf16", every matrix product rounds its operands to bf16 (Bf16Matmul); with
    "q8_0", quantizes them as aha's --dtype q8_0 (q8_0_matmul)."""
    model_type = config["model_type"]
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(f"model_type {model_type} is not in this reference")
    if config.get("hidden_act", "silu") != "silu":
        raise ValueError("only hidden_act silu is in this reference")
    hidden = config["hidden_size"]
    n_heads = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_heads
    head_dim = model_head_dim(config)
    eps = config.get("rms_norm_eps", 1e-6)
    n_layers = config["num_hidden_layers"]
    if model_type == "qwen2":
        qkv_bias, o_bias = True, False
    elif model_type in ("llama", "qwen3"):
        qkv_bias = o_bias = bool(config.get("attention_bias", False))
    else:
        qkv_bias = o_bias = False
    mlp_bias = model_type == "llama" and bool(config.get("mlp_bias", False))
    qk_norm = model_type == "qwen3"

    ids = torch.tensor(ids, dtype=torch.long)
    T = ids.shape[0]
    embed = weights["model.embed_tokens.weight"]
    if precision == "q8_0":  # aha reads the rows from its quantized table
        embed = dequantize_q8_0(embed)
    x = embed[ids]  # (T, hidden)

    # RoPE tables: angle[t, i] = t * inv_freq[i], duplicated for the two halves.
    inv_freq = rope_inv_freq(config)
    pos = torch.arange(T, dtype=torch.float64)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)  # (T, head_dim)
    cos, sin = emb.cos(), emb.sin()

    # Causal mask; Mistral additionally limits keys to the last sliding_window positions.
    q_pos = torch.arange(T).unsqueeze(1)
    k_pos = torch.arange(T).unsqueeze(0)
    allowed = k_pos <= q_pos
    window = config.get("sliding_window")
    if model_type == "mistral" and window is not None:
        allowed = allowed & (q_pos - k_pos < window)
    if model_type in ("qwen2", "qwen3") and config.get("use_sliding_window", False):
        raise ValueError("use_sliding_window is not in this reference")

    for layer in range(n_layers):
        p = f"model.layers.{layer}."
        h = rms_norm(x, weights[p + "input_layernorm.weight"], eps)
        q = linear(h, weights, p + "self_attn.q_proj", qkv_bias, precision).view(T, n_heads, head_dim)
        k = linear(h, weights, p + "self_attn.k_proj", qkv_bias, precision).view(T, n_kv, head_dim)
        v = linear(h, weights, p + "self_attn.v_proj", qkv_bias, precision).view(T, n_kv, head_dim)
        if qk_norm:
            q = rms_norm(q, weights[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, weights[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)  # (heads, T, hd)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # GQA: query head i reads key/value head i // (n_heads / n_kv) (repeat_kv).
        k = k.repeat_interleave(n_heads // n_kv, dim=0)
        v = v.repeat_interleave(n_heads // n_kv, dim=0)
        scores = (q @ k.transpose(1, 2)) / math.sqrt(head_dim)  # (heads, T, T)
        scores = scores.masked_fill(~allowed, float("-inf"))
        attn = torch.softmax(scores, dim=-1) @ v  # (heads, T, hd)
        attn = attn.transpose(0, 1).reshape(T, n_heads * head_dim)
        x = x + linear(attn, weights, p + "self_attn.o_proj", o_bias, precision)

        h = rms_norm(x, weights[p + "post_attention_layernorm.weight"], eps)
        gate = linear(h, weights, p + "mlp.gate_proj", mlp_bias, precision)
        up = linear(h, weights, p + "mlp.up_proj", mlp_bias, precision)
        x = x + linear(torch.nn.functional.silu(gate) * up, weights, p + "mlp.down_proj", mlp_bias, precision)

    x = rms_norm(x, weights["model.norm.weight"], eps)
    if config.get("tie_word_embeddings", False):
        lm_head = weights["model.embed_tokens.weight"]
    else:
        lm_head = weights["lm_head.weight"]
    return matmul(x, lm_head, precision)


def logits_for_dir(model_dir, ids, precision=False):
    config, weights = load_model_dir(model_dir)
    return forward(config, weights, ids, precision).numpy()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="HF model directory")
    parser.add_argument("--ids", required=True, help="comma-separated token ids")
    parser.add_argument("--out", required=True, help="output .npy file (float64 [T, vocab])")
    args = parser.parse_args(argv)
    ids = [int(t) for t in args.ids.split(",") if t.strip()]
    np.save(args.out, logits_for_dir(args.model, ids))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
