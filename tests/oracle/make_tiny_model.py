#!/usr/bin/python3
"""Writes seeded random tiny models in Hugging Face layout, one per named variant.

    /usr/bin/python3 make_tiny_model.py --variant NAME --out DIR
    /usr/bin/python3 make_tiny_model.py --list

A model directory holds config.json and model.safetensors, or for a sharded variant
model-0000i-of-0000n.safetensors + model.safetensors.index.json, written by the
safetensors writer below (no safetensors package is used).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

import hf_reference

# Each variant: config.json fields, plus "dtype" (stored weight type), "shards" (file
# count), "seq_len" (tokens the check feeds) and "seed".
VARIANTS = {
    "llama_gqa": dict(
        config=dict(model_type="llama", hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=2, vocab_size=160,
                    rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False),
        dtype="F32", shards=1, seq_len=32, seed=1),
    "llama_tied_mha": dict(
        config=dict(model_type="llama", hidden_size=32, intermediate_size=80, num_hidden_layers=3,
                    num_attention_heads=4, num_key_value_heads=4, vocab_size=128,
                    rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True),
        dtype="F32", shards=1, seq_len=24, seed=2),
    # rope_theta 500 and head_dim 16 give wavelengths 6.3, 13.6, 29.3, 63.2, 136, 294,
    # 634, 1367; with original_max_position_embeddings 128, low_freq_factor 1 and
    # high_freq_factor 8 the high band (< 16) has 2 pairs, the medium band [16, 128] has
    # 2 and the low band (> 128) has 4: make_model asserts every band is used.
    "llama3_rope_bias": dict(
        config=dict(model_type="llama", hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=2, vocab_size=200,
                    rms_norm_eps=1e-5, rope_theta=500.0, tie_word_embeddings=False,
                    attention_bias=True, mlp_bias=True,
                    rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                      high_freq_factor=8.0, original_max_position_embeddings=128)),
        dtype="F32", shards=1, seq_len=40, seed=3),
    "mistral": dict(
        config=dict(model_type="mistral", hidden_size=64, intermediate_size=112, num_hidden_layers=2,
                    num_attention_heads=8, num_key_value_heads=2, vocab_size=150,
                    rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=4096,
                    tie_word_embeddings=False),
        dtype="F32", shards=1, seq_len=30, seed=4),
    "qwen2_gqa3": dict(
        config=dict(model_type="qwen2", hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                    num_attention_heads=6, num_key_value_heads=2, vocab_size=180,
                    rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                    use_sliding_window=False),
        dtype="F32", shards=1, seq_len=28, seed=5),
    # head_dim 16 while hidden_size / num_attention_heads is 12.
    "qwen3_qknorm": dict(
        config=dict(model_type="qwen3", hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=170,
                    rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False,
                    attention_bias=False, use_sliding_window=False),
        dtype="F32", shards=1, seq_len=36, seed=6),
    "qwen3_bias_bf16": dict(
        config=dict(model_type="qwen3", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=1, head_dim=16, vocab_size=140,
                    rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True,
                    attention_bias=True, use_sliding_window=False),
        dtype="BF16", shards=1, seq_len=26, seed=7),
    "llama_f16": dict(
        config=dict(model_type="llama", hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=2, vocab_size=130,
                    rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False),
        dtype="F16", shards=1, seq_len=22, seed=8),
    "llama_sharded": dict(
        config=dict(model_type="llama", hidden_size=48, intermediate_size=96, num_hidden_layers=3,
                    num_attention_heads=4, num_key_value_heads=2, vocab_size=220,
                    rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False),
        dtype="F32", shards=3, seq_len=34, seed=9),
}

ARCHITECTURES = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                 "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}


def to_dtype_bytes(arr, dtype):
    """Little-endian bytes of a float32 array stored as F32, F16 or BF16 (round to nearest even)."""
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if dtype == "F32":
        return arr.astype("<f4").tobytes()
    if dtype == "F16":
        return arr.astype("<f2").tobytes()
    if dtype == "BF16":
        u = arr.view(np.uint32).astype(np.uint64)
        rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
        return rounded.astype("<u2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    """Writes {name: float32 array} as one safetensors file, every tensor stored as dtype."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        blob = to_dtype_bytes(arr, dtype)
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)


def random_weights(config, rng):
    """HF-named float32 tensors with scales that keep activations and logits O(1)-O(10)."""
    hidden = config["hidden_size"]
    inter = config["intermediate_size"]
    n_heads = config["num_attention_heads"]
    n_kv = config["num_key_value_heads"]
    head_dim = hf_reference.model_head_dim(config)
    vocab = config["vocab_size"]
    model_type = config["model_type"]
    qkv_bias = model_type == "qwen2" or config.get("attention_bias", False)
    o_bias = model_type != "qwen2" and config.get("attention_bias", False)
    mlp_bias = config.get("mlp_bias", False)

    def mat(rows, cols, gain=1.0):
        return (rng.standard_normal((rows, cols)) * gain / np.sqrt(cols)).astype(np.float32)

    def norm(n):
        return (1.0 + 0.2 * rng.standard_normal(n)).astype(np.float32)

    def bias(n):
        return (0.2 * rng.standard_normal(n)).astype(np.float32)

    # A tied LM head is the embedding: std 0.5 keeps those logits in the same range.
    embed_std = 0.5 if config.get("tie_word_embeddings", False) else 1.0
    w = {"model.embed_tokens.weight": (embed_std * rng.standard_normal((vocab, hidden))).astype(np.float32)}
    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        w[p + "input_layernorm.weight"] = norm(hidden)
        # Gain 2 on q and k makes attention far from uniform.
        for name, rows, gain in (("q_proj", n_heads * head_dim, 2.0), ("k_proj", n_kv * head_dim, 2.0),
                                 ("v_proj", n_kv * head_dim, 1.0)):
            w[p + f"self_attn.{name}.weight"] = mat(rows, hidden, gain)
            if qkv_bias:
                w[p + f"self_attn.{name}.bias"] = bias(rows)
        w[p + "self_attn.o_proj.weight"] = mat(hidden, n_heads * head_dim)
        if o_bias:
            w[p + "self_attn.o_proj.bias"] = bias(hidden)
        if model_type == "qwen3":
            w[p + "self_attn.q_norm.weight"] = norm(head_dim)
            w[p + "self_attn.k_norm.weight"] = norm(head_dim)
        w[p + "post_attention_layernorm.weight"] = norm(hidden)
        w[p + "mlp.gate_proj.weight"] = mat(inter, hidden, 1.5)
        w[p + "mlp.up_proj.weight"] = mat(inter, hidden, 1.5)
        w[p + "mlp.down_proj.weight"] = mat(hidden, inter)
        if mlp_bias:
            w[p + "mlp.gate_proj.bias"] = bias(inter)
            w[p + "mlp.up_proj.bias"] = bias(inter)
            w[p + "mlp.down_proj.bias"] = bias(hidden)
    w["model.norm.weight"] = norm(hidden)
    if not config.get("tie_word_embeddings", False):
        w["lm_head.weight"] = mat(vocab, hidden, 2.5)
    return w


def make_model(variant, out_dir):
    """Writes variant's model into out_dir; returns (config, seq_len, seed)."""
    spec = VARIANTS[variant]
    config = dict(spec["config"])
    config.update(architectures=[ARCHITECTURES[config["model_type"]]], hidden_act="silu",
                  max_position_embeddings=512, bos_token_id=1, eos_token_id=2,
                  torch_dtype={"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[spec["dtype"]])
    if "rope_scaling" in config:
        high, medium, low = hf_reference.rope_bands(config)
        assert high > 0 and medium > 0 and low > 0, (variant, high, medium, low)
    rng = np.random.default_rng(spec["seed"])
    weights = random_weights(config, rng)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    shards = spec["shards"]
    if shards == 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), weights, spec["dtype"])
    else:
        names = list(weights)
        weight_map = {}
        total = 0
        for i in range(shards):
            file_name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            part = {n: weights[n] for n in names[i::shards]}
            write_safetensors(os.path.join(out_dir, file_name), part, spec["dtype"])
            for n, arr in part.items():
                weight_map[n] = file_name
                total += len(to_dtype_bytes(arr, spec["dtype"]))
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f, indent=2)
    return config, spec["seq_len"], spec["seed"]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS))
    parser.add_argument("--out", help="model directory to write")
    parser.add_argument("--list", action="store_true", help="print the variant names")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(VARIANTS))
        return 0
    if not args.variant or not args.out:
        parser.error("--variant and --out are required")
    make_model(args.variant, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
