#!/usr/bin/python3
"""A small GGUF writer and numpy block quantizers, written from the format's specification
(https://github.com/ggml-org/ggml/blob/master/docs/gguf.md) and ggml's block definitions, as
the independent side of aha's GGUF tests. No gguf package is used.

    /usr/bin/python3 gguf_write.py --variant NAME --type f32|f16|bf16|q8_0|q4_0|q5_0|q4_K|q6_K --out F.gguf

converts a make_tiny_model.py variant to GGUF the way llama.cpp's converter lays it out
(llama.cpp tensor names, ne[0] the fastest dimension, the `llama` architecture's Q/K rows
permuted), quantizing matrices to --type.
"""
import argparse
import os
import re
import struct
import sys

import numpy as np

sys.dont_write_bytecode = True

# gguf_metadata_value_type
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
SCALAR_FORMATS = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i", FLOAT32: "<f",
                  BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d"}
# ggml_type ids, elements per block, bytes per block
TYPES = {"f32": (0, 1, 4), "f16": (1, 1, 2), "q4_0": (2, 32, 18), "q5_0": (6, 32, 22), "q8_0": (8, 32, 34), "q4_K": (12, 256, 144),
         "q6_K": (14, 256, 210), "bf16": (30, 1, 2)}


def gguf_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf_value(vtype, value):
    if vtype == STRING:
        return gguf_string(value)
    if vtype == ARRAY:
        etype, items = value
        out = struct.pack("<IQ", etype, len(items))
        return out + b"".join(gguf_value(etype, item) for item in items)
    return struct.pack(SCALAR_FORMATS[vtype], value)


def gguf_bytes(metadata, tensors, alignment=32, version=3):
    """The bytes of a GGUF file. metadata: [(key, value_type, value)] (an array's value is
    (element_type, items)); tensors: [(name, ggml_type_name, ne, data_bytes)]."""
    out = bytearray(struct.pack("<IIQQ", 0x46554747, version, len(tensors), len(metadata)))
    for key, vtype, value in metadata:
        out += gguf_string(key) + struct.pack("<I", vtype) + gguf_value(vtype, value)
    offset = 0
    offsets = []
    for name, type_name, ne, data in tensors:
        offsets.append(offset)
        out += gguf_string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", TYPES[type_name][0], offset)
        offset += len(data) + (-len(data) % alignment)
    out += b"\0" * (-len(out) % alignment)
    for (_, _, _, data), start in zip(tensors, offsets):
        out += data + b"\0" * (-len(data) % alignment)
    return bytes(out)


def f16_bits(x):
    return np.asarray(x, dtype=np.float32).astype("<f2")


def round_half_away(x):
    """C's roundf: halves away from zero (numpy's round goes to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


# ---------------------------------------------------------------------------------------------
# Quantizers (each writes the block layout of ggml's block_* struct) and dequantizers (ggml's
# dequantize_row_* formulas, in float32 with ggml's order of operations).

def quantize_q8_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    d = np.abs(b).max(axis=1) / 127.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = round_half_away(b * inv[:, None]).astype(np.int8)
    blocks = np.zeros((b.shape[0], 34), np.uint8)
    blocks[:, 0:2] = f16_bits(d).view(np.uint8).reshape(-1, 2)
    blocks[:, 2:] = q.view(np.uint8)
    return blocks.tobytes()


def dequantize_q8_0(data, n):
    blocks = np.frombuffer(data, np.uint8).reshape(-1, 34)
    d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
    q = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
    return (q * d).reshape(n)


def quantize_q4_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    idx = np.abs(b).argmax(axis=1)
    signed_max = b[np.arange(b.shape[0]), idx]
    d = signed_max / -8.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(15, np.trunc(b * inv[:, None] + 8.5)).astype(np.uint8)
    blocks = np.zeros((b.shape[0], 18), np.uint8)
    blocks[:, 0:2] = f16_bits(d).view(np.uint8).reshape(-1, 2)
    blocks[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return blocks.tobytes()


def dequantize_q4_0(data, n):
    blocks = np.frombuffer(data, np.uint8).reshape(-1, 18)
    d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([(qs & 0x0F).astype(np.int32) - 8, (qs >> 4).astype(np.int32) - 8], axis=1)
    return (q.astype(np.float32) * d).reshape(n)


def quantize_q5_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    idx = np.abs(b).argmax(axis=1)
    d = b[np.arange(b.shape[0]), idx] / np.float32(-16.0)
    inv = np.divide(np.float32(1.0), d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(31, np.trunc(b * inv[:, None] + np.float32(16.5))).astype(np.uint32)
    qh = np.zeros(b.shape[0], np.uint32)
    for j in range(32):
        qh |= ((q[:, j] >> 4) & 1) << j
    blocks = np.zeros((b.shape[0], 22), np.uint8)
    blocks[:, 0:2] = f16_bits(d).view(np.uint8).reshape(-1, 2)
    blocks[:, 2:6] = qh.astype("<u4").view(np.uint8).reshape(-1, 4)
    blocks[:, 6:] = (q[:, :16] & 0x0F) | ((q[:, 16:] & 0x0F) << 4)
    return blocks.tobytes()


def dequantize_q5_0(data, n):
    blocks = np.frombuffer(data, np.uint8).reshape(-1, 22)
    d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
    qh = blocks[:, 2:6].copy().view("<u4").astype(np.uint32)
    qs = blocks[:, 6:].astype(np.int32)
    bits = (qh >> np.arange(32, dtype=np.uint32)) & 1
    q = np.concatenate([(qs & 0x0F) | (bits[:, :16] << 4), (qs >> 4) | (bits[:, 16:] << 4)], axis=1) - 16
    return (q.astype(np.float32) * d).reshape(n)


def pack_q4_k_scales(sc, m):
    """12 bytes holding eight 6-bit scales and mins (the inverse of ggml's get_scale_min_k4)."""
    out = np.zeros((sc.shape[0], 12), np.uint8)
    for j in range(4):
        out[:, j] = (sc[:, j] & 63) | ((sc[:, j + 4] >> 4) << 6)
        out[:, j + 4] = (m[:, j] & 63) | ((m[:, j + 4] >> 4) << 6)
        out[:, j + 8] = (sc[:, j + 4] & 0x0F) | ((m[:, j + 4] & 0x0F) << 4)
    return out


def unpack_q4_k_scales(s):
    sc = np.zeros((s.shape[0], 8), np.int32)
    m = np.zeros((s.shape[0], 8), np.int32)
    for j in range(8):
        if j < 4:
            sc[:, j] = s[:, j] & 63
            m[:, j] = s[:, j + 4] & 63
        else:
            sc[:, j] = (s[:, j + 4] & 0x0F) | ((s[:, j - 4] >> 6) << 4)
            m[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc, m


def quantize_q4_k(x):
    """A plain (not ggml's searched) q4_K quantization: sub-block scale (max - min) / 15, min -min."""
    b = x.reshape(-1, 8, 32).astype(np.float32)
    lo = np.minimum(b.min(axis=2), 0.0)
    scale = (b.max(axis=2) - lo) / 15.0
    d = np.maximum(scale.max(axis=1), 1e-8) / 63.0
    dmin = np.maximum(-lo.min(axis=1), 1e-8) / 63.0
    d16, dmin16 = f16_bits(d), f16_bits(dmin)
    d, dmin = d16.astype(np.float32), dmin16.astype(np.float32)
    sc = np.clip(round_half_away(scale / d[:, None]), 1, 63).astype(np.uint8)
    m = np.clip(round_half_away(-lo / dmin[:, None]), 0, 63).astype(np.uint8)
    step = (d[:, None] * sc)[:, :, None]
    q = np.clip(round_half_away((b + (dmin[:, None] * m)[:, :, None]) / step), 0, 15).astype(np.uint8)
    blocks = np.zeros((b.shape[0], 144), np.uint8)
    blocks[:, 0:2] = d16.view(np.uint8).reshape(-1, 2)
    blocks[:, 2:4] = dmin16.view(np.uint8).reshape(-1, 2)
    blocks[:, 4:16] = pack_q4_k_scales(sc, m)
    for pair in range(4):
        blocks[:, 16 + 32 * pair:48 + 32 * pair] = q[:, 2 * pair] | (q[:, 2 * pair + 1] << 4)
    return blocks.tobytes()


def dequantize_q4_k(data, n):
    blocks = np.frombuffer(data, np.uint8).reshape(-1, 144)
    d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
    dmin = blocks[:, 2:4].copy().view("<f2").astype(np.float32)
    sc, m = unpack_q4_k_scales(blocks[:, 4:16])
    out = np.zeros((blocks.shape[0], 8, 32), np.float32)
    for j in range(8):
        qs = blocks[:, 16 + 32 * (j // 2):48 + 32 * (j // 2)]
        q = (qs & 0x0F) if j % 2 == 0 else (qs >> 4)
        scale = d[:, 0] * sc[:, j].astype(np.float32)
        mins = dmin[:, 0] * m[:, j].astype(np.float32)
        out[:, j] = scale[:, None] * q.astype(np.float32) - mins[:, None]
    return out.reshape(n)


def quantize_q6_k(x):
    """A plain q6_K quantization: sub-block scale max|x| / 31, scales to int8 by d = max / 127."""
    b = x.reshape(-1, 16, 16).astype(np.float32)
    scale = np.abs(b).max(axis=2) / 31.0
    d16 = f16_bits(np.maximum(scale.max(axis=1), 1e-8) / 127.0)
    d = d16.astype(np.float32)
    sc = np.clip(round_half_away(scale / d[:, None]), 1, 127).astype(np.int8)
    step = (d[:, None] * sc.astype(np.float32))[:, :, None]
    q = (np.clip(round_half_away(b / step), -32, 31) + 32).astype(np.uint8).reshape(-1, 256)
    blocks = np.zeros((b.shape[0], 210), np.uint8)
    for half in range(2):
        y = q[:, 128 * half:128 * (half + 1)]
        q1, q2, q3, q4 = y[:, 0:32], y[:, 32:64], y[:, 64:96], y[:, 96:128]
        blocks[:, 64 * half:64 * half + 32] = (q1 & 0x0F) | ((q3 & 0x0F) << 4)
        blocks[:, 64 * half + 32:64 * half + 64] = (q2 & 0x0F) | ((q4 & 0x0F) << 4)
        blocks[:, 128 + 32 * half:160 + 32 * half] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)
    blocks[:, 192:208] = sc.view(np.uint8)
    blocks[:, 208:210] = d16.view(np.uint8).reshape(-1, 2)
    return blocks.tobytes()


def dequantize_q6_k(data, n):
    blocks = np.frombuffer(data, np.uint8).reshape(-1, 210)
    d = blocks[:, 208:210].copy().view("<f2").astype(np.float32)[:, 0]
    sc = blocks[:, 192:208].copy().view(np.int8).astype(np.float32)
    out = np.zeros((blocks.shape[0], 256), np.float32)
    for half in range(2):
        ql = blocks[:, 64 * half:64 * half + 64].astype(np.int32)
        qh = blocks[:, 128 + 32 * half:160 + 32 * half].astype(np.int32)
        quarters = [(ql[:, :32] & 0x0F) | ((qh & 3) << 4), (ql[:, 32:] & 0x0F) | (((qh >> 2) & 3) << 4),
                    (ql[:, :32] >> 4) | (((qh >> 4) & 3) << 4), (ql[:, 32:] >> 4) | (((qh >> 6) & 3) << 4)]
        for k, q in enumerate(quarters):
            for part in range(2):  # 16 elements share one scale
                s = sc[:, 8 * half + 2 * k + part]
                cols = slice(128 * half + 32 * k + 16 * part, 128 * half + 32 * k + 16 * part + 16)
                out[:, cols] = (d * s)[:, None] * (q[:, 16 * part:16 * part + 16] - 32).astype(np.float32)
    return out.reshape(n)


QUANTIZERS = {"q8_0": (quantize_q8_0, dequantize_q8_0), "q4_0": (quantize_q4_0, dequantize_q4_0),
              "q5_0": (quantize_q5_0, dequantize_q5_0),
              "q4_K": (quantize_q4_k, dequantize_q4_k), "q6_K": (quantize_q6_k, dequantize_q6_k)}


def encode_tensor(arr, type_name):
    """(bytes, float32 array the bytes decode to) of `arr` stored as `type_name`."""
    flat = np.ascontiguousarray(arr, dtype=np.float32).reshape(-1)
    if type_name == "f32":
        return flat.astype("<f4").tobytes(), flat
    if type_name == "f16":
        h = flat.astype("<f2")
        return h.tobytes(), h.astype(np.float32)
    if type_name == "bf16":
        u = flat.view(np.uint32).astype(np.uint64)
        bits = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
        return bits.tobytes(), (bits.astype(np.uint32) << 16).view(np.float32)
    quantize, dequantize = QUANTIZERS[type_name]
    data = quantize(flat)
    return data, dequantize(data, flat.size)


# ---------------------------------------------------------------------------------------------
# HF model -> GGUF, as llama.cpp's converter names and lays it out.

LAYER_NAMES = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
               "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
               "self_attn.k_norm": "attn_k_norm", "post_attention_layernorm": "ffn_norm",
               "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
TOP_NAMES = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}


def gguf_name(hf_name):
    if hf_name in TOP_NAMES:
        return TOP_NAMES[hf_name]
    m = re.fullmatch(r"model\.layers\.(\d+)\.(.+)\.(weight|bias)", hf_name)
    return f"blk.{m.group(1)}.{LAYER_NAMES[m.group(2)]}.{m.group(3)}"


def permute(w, n_head):
    """llama.cpp's LlamaModel.permute: within each head, rows [first half, second half] interleaved."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, n_head):
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def model_metadata(config, extra=()):
    arch = "llama" if config["model_type"] in ("llama", "mistral") else config["model_type"]
    heads = config["num_attention_heads"]
    head_dim = config.get("head_dim", config["hidden_size"] // heads)
    md = [("general.architecture", STRING, arch), ("general.alignment", UINT32, 32),
          (f"{arch}.context_length", UINT32, config.get("max_position_embeddings", 2048)),
          (f"{arch}.embedding_length", UINT32, config["hidden_size"]),
          (f"{arch}.block_count", UINT32, config["num_hidden_layers"]),
          (f"{arch}.feed_forward_length", UINT32, config["intermediate_size"]),
          (f"{arch}.attention.head_count", UINT32, heads),
          (f"{arch}.attention.head_count_kv", UINT32, config.get("num_key_value_heads", heads)),
          (f"{arch}.attention.layer_norm_rms_epsilon", FLOAT32, config["rms_norm_eps"]),
          (f"{arch}.rope.freq_base", FLOAT32, config["rope_theta"]),
          (f"{arch}.attention.key_length", UINT32, head_dim),
          (f"{arch}.attention.value_length", UINT32, head_dim)]
    if "bos_token_id" in config:
        md.append(("tokenizer.ggml.bos_token_id", UINT32, config["bos_token_id"]))
    if "eos_token_id" in config:
        md.append(("tokenizer.ggml.eos_token_id", UINT32, config["eos_token_id"]))
    return md + list(extra)


def convert(config, weights, type_name, extra_metadata=()):
    """(GGUF bytes, HF weights as the GGUF's tensors decode) for HF `weights`: matrices stored as
    `type_name` (where their rows are whole blocks, else f32), vectors as f32 (as llama.cpp keeps them)."""
    llama = config["model_type"] in ("llama", "mistral")
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    tensors, decoded = [], {}
    for hf_name, arr in weights.items():
        name = gguf_name(hf_name)
        if llama and ".attn_q." in name:
            arr = permute(arr, heads)
        if llama and ".attn_k." in name:
            arr = permute(arr, kv_heads)
        t = type_name if arr.ndim == 2 else "f32"
        if t in QUANTIZERS and arr.shape[-1] % TYPES[t][1] != 0:
            t = "f32"
        data, values = encode_tensor(arr, t)
        values = values.reshape(arr.shape)
        if llama and ".attn_q." in name:
            values = unpermute(values, heads)
        if llama and ".attn_k." in name:
            values = unpermute(values, kv_heads)
        decoded[hf_name] = values
        tensors.append((name, t, list(reversed(arr.shape)), data))
    return gguf_bytes(model_metadata(config, extra_metadata), tensors), decoded


def main(argv):
    import make_tiny_model
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", required=True, choices=sorted(make_tiny_model.VARIANTS))
    parser.add_argument("--type", default="f32", choices=sorted(TYPES))
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    spec = make_tiny_model.VARIANTS[args.variant]
    config = dict(spec["config"], bos_token_id=1, eos_token_id=2)
    weights = make_tiny_model.random_weights(config, np.random.default_rng(spec["seed"]))
    with open(args.out, "wb") as f:
        f.write(convert(config, weights, args.type)[0])
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv[1:]))
