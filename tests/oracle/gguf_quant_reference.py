#!/usr/bin/python3
"""An independent reference of ggml's block formats in numpy: quantizers and dequantizers.

    /usr/bin/python3 gguf_quant_reference.py quantize --type q4_K --n 256 --in rows.f32 --out blocks.bin
    /usr/bin/python3 gguf_quant_reference.py dequantize --type q4_K --n 256 --in blocks.bin --out rows.f32

Rows are n little-endian float32 values each. The quantizers are written from the formats'
definitions (ggml's block structs and the reference C quantizers quantize_row_*_ref in
ggml-quants.c, read, not copied): every step is float32 arithmetic in the C code's order, with
running sums kept sequential (numpy's sum is pairwise and would round differently), so that
the blocks are bit-identical to ggml's. Types: f16, bf16, q8_0, q4_0, q5_0, q4_K, q6_K.
"""
import argparse
import sys

import numpy as np

F = np.float32
GROUP_MAX_EPS = F(1e-15)


def nearest_int(v):
    """Round to nearest, ties to even, as ggml's nearest_int: the integer left in the mantissa
    after adding 1.5 * 2^23 (valid for |v| < 2^22)."""
    shifted = (np.asarray(v, dtype=F) + F(12582912.0)).astype(F)
    return (shifted.view(np.int32) & 0x007FFFFF) - 0x00400000


def f16_bits(v):
    return np.asarray(v, dtype=F).astype(np.float16).view(np.uint16)


def f16_value(bits):
    return np.asarray(bits, dtype=np.uint16).view(np.float16).astype(F)


def bf16_bits(v):
    u = np.asarray(v, dtype=F).view(np.uint32).astype(np.uint64)
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return np.where(nan, (u >> 16) | 0x40, rounded).astype(np.uint16)


def signed_absmax(x):
    """The value of largest magnitude of each row (the first one on a tie, as `amax < |v|`)."""
    return x[np.arange(x.shape[0]), np.argmax(np.abs(x), axis=1)]


def round_away(v):
    """C's roundf: halves away from zero (exact in float64 for float32 inputs)."""
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def quantize_q8_0(x):
    b = x.reshape(-1, 32)
    d = (np.max(np.abs(b), axis=1) / F(127)).astype(F)
    inv = np.where(d != 0, F(1) / np.where(d != 0, d, F(1)), F(0)).astype(F)
    q = round_away((b * inv[:, None]).astype(F)).astype(np.int8)
    return np.concatenate([f16_bits(d)[:, None].view(np.uint8), q.view(np.uint8)], axis=1)


def quantize_q4_0_like(x, levels):
    """q4_0 (levels 16) and q5_0 (levels 32): d = -max / (levels/2), q = min(levels-1, trunc(x/d + levels/2 + 0.5))."""
    b = x.reshape(-1, 32)
    d = (signed_absmax(b) / F(-levels // 2)).astype(F)
    inv = np.where(d != 0, F(1) / np.where(d != 0, d, F(1)), F(0)).astype(F)
    v = ((b * inv[:, None]).astype(F) + F(levels // 2 + 0.5)).astype(F)
    q = np.minimum(levels - 1, np.trunc(v).astype(np.int64))
    return d, q


def quantize_q4_0(x):
    d, q = quantize_q4_0_like(x, 16)
    qs = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    return np.concatenate([f16_bits(d)[:, None].view(np.uint8), qs], axis=1)


def quantize_q5_0(x):
    d, q = quantize_q4_0_like(x, 32)
    qs = ((q[:, :16] & 0x0F) | ((q[:, 16:] & 0x0F) << 4)).astype(np.uint8)
    qh = np.zeros(q.shape[0], dtype=np.uint64)
    for j in range(32):
        qh |= ((q[:, j] >> 4) & 1).astype(np.uint64) << np.uint64(j)
    qh_bytes = qh.astype(np.uint32).view(np.uint8).reshape(-1, 4)
    return np.concatenate([f16_bits(d)[:, None].view(np.uint8), qh_bytes, qs], axis=1)


def make_qkx2_quants(x, w, nmax, rmin, rdelta, nstep):
    """Rows of x (m, n) ≈ scale * L + min with L in [0, nmax]: ggml's make_qkx2_quants with squared error."""
    m, n = x.shape
    lo = x[:, 0].copy()
    hi = x[:, 0].copy()
    sum_w = w[:, 0].copy()
    sum_x = (sum_w * x[:, 0]).astype(F)
    for i in range(1, n):
        lo = np.minimum(lo, x[:, i])
        hi = np.maximum(hi, x[:, i])
        sum_w = (sum_w + w[:, i]).astype(F)
        sum_x = (sum_x + (w[:, i] * x[:, i]).astype(F)).astype(F)
    lo = np.where(lo > 0, F(0), lo).astype(F)
    flat = hi == lo
    span = np.where(flat, F(1), (hi - lo).astype(F)).astype(F)
    iscale = (F(nmax) / span).astype(F)
    scale = (F(1) / iscale).astype(F)
    L = np.clip(nearest_int((iscale[:, None] * (x - lo[:, None]).astype(F)).astype(F)), 0, nmax)
    best = np.zeros(m, dtype=F)
    for i in range(n):
        diff = ((scale * L[:, i].astype(F)).astype(F) + lo).astype(F) - x[:, i]
        best = (best + (w[:, i] * (diff * diff).astype(F)).astype(F)).astype(F)
    for step in range(nstep + 1):
        # The C code's `min` changes when a step wins, and later steps start from it.
        span = np.where(flat, F(1), (hi - lo).astype(F)).astype(F)
        iscale = ((F(rmin) + (F(rdelta) * F(step)).astype(F)).astype(F) + F(nmax)).astype(F) / span
        iscale = iscale.astype(F)
        Laux = np.clip(nearest_int((iscale[:, None] * (x - lo[:, None]).astype(F)).astype(F)), 0, nmax)
        sum_l = np.zeros(m, dtype=F)
        sum_l2 = np.zeros(m, dtype=F)
        sum_xl = np.zeros(m, dtype=F)
        for i in range(n):
            wl = (w[:, i] * Laux[:, i].astype(F)).astype(F)
            sum_l = (sum_l + wl).astype(F)
            sum_l2 = (sum_l2 + (wl * Laux[:, i].astype(F)).astype(F)).astype(F)
            sum_xl = (sum_xl + (wl * x[:, i]).astype(F)).astype(F)
        D = ((sum_w * sum_l2).astype(F) - (sum_l * sum_l).astype(F)).astype(F)
        ok = D > 0
        Ds = np.where(ok, D, F(1)).astype(F)
        this_scale = (((sum_w * sum_xl).astype(F) - (sum_x * sum_l).astype(F)).astype(F) / Ds).astype(F)
        this_min = (((sum_l2 * sum_x).astype(F) - (sum_l * sum_xl).astype(F)).astype(F) / Ds).astype(F)
        positive = this_min > 0
        this_min = np.where(positive, F(0), this_min).astype(F)
        l2 = np.where(sum_l2 != 0, sum_l2, F(1)).astype(F)
        this_scale = np.where(positive, (sum_xl / l2).astype(F), this_scale).astype(F)
        cur = np.zeros(m, dtype=F)
        for i in range(n):
            diff = ((this_scale * Laux[:, i].astype(F)).astype(F) + this_min).astype(F) - x[:, i]
            cur = (cur + (w[:, i] * (diff * diff).astype(F)).astype(F)).astype(F)
        better = ok & (cur < best) & ~flat
        L = np.where(better[:, None], Laux, L)
        best = np.where(better, cur, best)
        scale = np.where(better, this_scale, scale)
        lo = np.where(better, this_min, lo)
    L = np.where(flat[:, None], 0, L)
    scale = np.where(flat, F(0), scale).astype(F)
    return scale, (-lo).astype(F), L


def quantize_q4_K(x):
    blocks = x.reshape(-1, 256)
    nb = blocks.shape[0]
    sub = blocks.reshape(-1, 32)
    sum_x2 = np.zeros(sub.shape[0], dtype=F)
    for i in range(32):
        sum_x2 = (sum_x2 + (sub[:, i] * sub[:, i]).astype(F)).astype(F)
    av_x = np.sqrt((sum_x2 / F(32)).astype(F)).astype(F)
    weights = (av_x[:, None] + np.abs(sub)).astype(F)
    scales, mins, L = make_qkx2_quants(sub, weights, 15, -1.0, 0.1, 20)
    scales, mins, L = scales.reshape(nb, 8), mins.reshape(nb, 8), L.reshape(nb, 256)
    # `if (v > max) max = v` from 0: a -0.0 minimum leaves +0.0.
    max_scale = np.where(scales.max(axis=1) > 0, scales.max(axis=1), F(0)).astype(F)
    max_min = np.where(mins.max(axis=1) > 0, mins.max(axis=1), F(0)).astype(F)
    inv_scale = np.where(max_scale > 0, F(63) / np.where(max_scale > 0, max_scale, F(1)), F(0)).astype(F)
    inv_min = np.where(max_min > 0, F(63) / np.where(max_min > 0, max_min, F(1)), F(0)).astype(F)
    ls = np.minimum(63, nearest_int((inv_scale[:, None] * scales).astype(F)) & 0xFF)
    lm = np.minimum(63, nearest_int((inv_min[:, None] * mins).astype(F)) & 0xFF)
    d_bits = f16_bits((max_scale / F(63)).astype(F))
    dmin_bits = f16_bits((max_min / F(63)).astype(F))
    d = (f16_value(d_bits)[:, None] * ls.astype(F)).astype(F)
    dm = (f16_value(dmin_bits)[:, None] * lm.astype(F)).astype(F)
    xs = blocks.reshape(nb, 8, 32)
    safe_d = np.where(d != 0, d, F(1)).astype(F)
    requant = np.clip(nearest_int(((xs + dm[:, :, None]).astype(F) / safe_d[:, :, None]).astype(F)), 0, 15)
    L = np.where((d != 0)[:, :, None], requant, L.reshape(nb, 8, 32)).reshape(nb, 256)
    packed = np.zeros((nb, 12), dtype=np.int64)
    packed[:, 0:4] = ls[:, 0:4] | ((ls[:, 4:8] >> 4) << 6)
    packed[:, 4:8] = lm[:, 0:4] | ((lm[:, 4:8] >> 4) << 6)
    packed[:, 8:12] = (ls[:, 4:8] & 0xF) | ((lm[:, 4:8] & 0xF) << 4)
    groups = L.reshape(nb, 4, 64)
    qs = (groups[:, :, :32] | (groups[:, :, 32:] << 4)).reshape(nb, 128)
    return np.concatenate([d_bits[:, None].view(np.uint8), dmin_bits[:, None].view(np.uint8),
                           packed.astype(np.uint8), qs.astype(np.uint8)], axis=1)


def qx_sums(x, iscale, nmax):
    m, n = x.shape
    L = np.clip(nearest_int((iscale[:, None] * x).astype(F)), -nmax, nmax - 1)
    sumlx = np.zeros(m, dtype=F)
    suml2 = np.zeros(m, dtype=F)
    for i in range(n):
        w = (x[:, i] * x[:, i]).astype(F)
        l = L[:, i].astype(F)
        sumlx = (sumlx + ((w * x[:, i]).astype(F) * l).astype(F)).astype(F)
        suml2 = (suml2 + ((w * l).astype(F) * l).astype(F)).astype(F)
    return L + nmax, sumlx, suml2


def make_qx_quants(x, nmax):
    """Rows of x (m, n) ≈ scale * (L - nmax): ggml's make_qx_quants with rmse_type 1, no weights."""
    amax = np.max(np.abs(x), axis=1)
    mx = signed_absmax(x)
    zero = amax < GROUP_MAX_EPS
    mx_safe = np.where(zero, F(1), mx).astype(F)
    L, sumlx, suml2 = qx_sums(x, (F(-nmax) / mx_safe).astype(F), nmax)
    scale = np.where(suml2 != 0, sumlx / np.where(suml2 != 0, suml2, F(1)), F(0)).astype(F)
    best = (scale * sumlx).astype(F)
    for step in range(-9, 10):
        if step == 0:
            continue
        iscale = (-(F(nmax) + (F(0.1) * F(step)).astype(F)).astype(F) / mx_safe).astype(F)
        Lc, sx, s2 = qx_sums(x, iscale, nmax)
        better = (s2 > 0) & ((sx * sx).astype(F) > (best * s2).astype(F))
        L = np.where(better[:, None], Lc, L)
        new_scale = (sx / np.where(s2 > 0, s2, F(1))).astype(F)
        scale = np.where(better, new_scale, scale).astype(F)
        best = np.where(better, (new_scale * sx).astype(F), best).astype(F)
    L = np.where(zero[:, None], 0, L)
    return np.where(zero, F(0), scale).astype(F), L


def quantize_q6_K(x):
    blocks = x.reshape(-1, 256)
    nb = blocks.shape[0]
    scales, L = make_qx_quants(blocks.reshape(-1, 16), 32)
    scales, L = scales.reshape(nb, 16), L.reshape(nb, 16, 16)
    max_scale = signed_absmax(scales)
    zero = np.abs(max_scale) < GROUP_MAX_EPS
    iscale = (F(-128) / np.where(zero, F(1), max_scale)).astype(F)
    d_bits = np.where(zero, np.uint16(0), f16_bits((F(1) / iscale).astype(F)))
    sc = np.minimum(127, nearest_int((iscale[:, None] * scales).astype(F)))
    sc = np.where(zero[:, None], 0, sc)
    d = (f16_value(d_bits)[:, None] * sc.astype(F)).astype(F)
    safe_d = np.where(d != 0, d, F(1)).astype(F)
    requant = np.clip(nearest_int((blocks.reshape(nb, 16, 16) / safe_d[:, :, None]).astype(F)), -32, 31) + 32
    L = np.where((d != 0)[:, :, None], requant, L).reshape(nb, 256)
    L = np.where(zero[:, None], 0, L)
    ql = np.zeros((nb, 128), dtype=np.int64)
    qh = np.zeros((nb, 64), dtype=np.int64)
    for half in range(2):
        part = L[:, 128 * half:128 * (half + 1)]
        a, b, c, e = part[:, 0:32], part[:, 32:64], part[:, 64:96], part[:, 96:128]
        ql[:, 64 * half:64 * half + 32] = (a & 0xF) | ((c & 0xF) << 4)
        ql[:, 64 * half + 32:64 * half + 64] = (b & 0xF) | ((e & 0xF) << 4)
        qh[:, 32 * half:32 * half + 32] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6)
    return np.concatenate([ql.astype(np.uint8), qh.astype(np.uint8), sc.astype(np.int8).view(np.uint8),
                           d_bits[:, None].view(np.uint8)], axis=1)


def dequantize(kind, data, n):
    if kind == "f16":
        return data.view(np.float16).astype(F)
    if kind == "bf16":
        return (data.view(np.uint16).astype(np.uint32) << 16).view(F)
    if kind in ("q8_0", "q4_0", "q5_0"):
        size = {"q8_0": 34, "q4_0": 18, "q5_0": 22}[kind]
        b = data.reshape(-1, size)
        d = f16_value(b[:, 0:2].copy().view(np.uint16)[:, 0])
        if kind == "q8_0":
            q = b[:, 2:].view(np.int8).astype(F)
        elif kind == "q4_0":
            q = np.concatenate([b[:, 2:] & 0xF, b[:, 2:] >> 4], axis=1).astype(F) - F(8)
        else:
            qh = b[:, 2:6].copy().view(np.uint32)[:, 0].astype(np.int64)
            low = np.concatenate([b[:, 6:] & 0xF, b[:, 6:] >> 4], axis=1).astype(np.int64)
            high = (qh[:, None] >> np.arange(32)) & 1
            q = (low | (high << 4)).astype(F) - F(16)
        return (d[:, None] * q).astype(F).reshape(-1)
    if kind == "q4_K":
        b = data.reshape(-1, 144)
        d = f16_value(b[:, 0:2].copy().view(np.uint16)[:, 0])
        dmin = f16_value(b[:, 2:4].copy().view(np.uint16)[:, 0])
        s = b[:, 4:16].astype(np.int64)
        sc = np.concatenate([s[:, 0:4] & 63, (s[:, 8:12] & 0xF) | ((s[:, 0:4] >> 6) << 4)], axis=1)
        mn = np.concatenate([s[:, 4:8] & 63, (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)], axis=1)
        qs = b[:, 16:].reshape(-1, 4, 32).astype(np.int64)
        q = np.stack([qs & 0xF, qs >> 4], axis=2).reshape(-1, 8, 32).astype(F)
        y = (d[:, None, None] * sc[:, :, None].astype(F)) * q - (dmin[:, None, None] * mn[:, :, None].astype(F))
        return y.astype(F).reshape(-1)
    if kind == "q6_K":
        b = data.reshape(-1, 210)
        ql, qh = b[:, 0:128].astype(np.int64), b[:, 128:192].astype(np.int64)
        sc = b[:, 192:208].view(np.int8).astype(F)
        d = f16_value(b[:, 208:210].copy().view(np.uint16)[:, 0])
        y = np.zeros((b.shape[0], 256), dtype=F)
        for half in range(2):
            l_lo, l_hi, h = ql[:, 64 * half:64 * half + 32], ql[:, 64 * half + 32:64 * half + 64], qh[:, 32 * half:32 * half + 32]
            parts = [(l_lo & 0xF) | ((h & 3) << 4), (l_hi & 0xF) | (((h >> 2) & 3) << 4),
                     (l_lo >> 4) | (((h >> 4) & 3) << 4), (l_hi >> 4) | (((h >> 6) & 3) << 4)]
            for k, q in enumerate(parts):
                at = 128 * half + 32 * k
                s = np.repeat(sc[:, 8 * half + 2 * k:8 * half + 2 * k + 2], 16, axis=1)
                y[:, at:at + 32] = (d[:, None] * s) * (q - 32).astype(F)
        return y.reshape(-1)
    raise SystemExit(f"unknown type {kind}")


QUANTIZERS = {"f16": lambda x: f16_bits(x).view(np.uint8), "bf16": lambda x: bf16_bits(x).view(np.uint8),
              "q8_0": quantize_q8_0, "q4_0": quantize_q4_0, "q5_0": quantize_q5_0,
              "q4_K": quantize_q4_K, "q6_K": quantize_q6_K}


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["quantize", "dequantize"])
    parser.add_argument("--type", required=True, choices=sorted(QUANTIZERS))
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--in", dest="inp", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.mode == "quantize":
        x = np.fromfile(args.inp, dtype="<f4").astype(F)
        out = np.ascontiguousarray(QUANTIZERS[args.type](x)).astype(np.uint8)
        out.tofile(args.out)
    else:
        data = np.fromfile(args.inp, dtype=np.uint8)
        dequantize(args.type, data, args.n).astype("<f4").tofile(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
