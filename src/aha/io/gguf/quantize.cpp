#include "aha/io/gguf/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "aha/base/error.hpp"
#include "aha/tensor/dtype.hpp"

namespace aha::io::gguf {
namespace {

constexpr float kGroupMaxEps = 1e-15f;  // ggml's GROUP_MAX_EPS: a sub-block below it is all zero

// Round to nearest, ties to even, for |f| < 2^22: adding 1.5·2^23 leaves the integer in the
// mantissa (ggml's nearest_int).
int nearest_int(float f) {
  const float shifted = f + 12582912.f;
  int32_t bits;
  std::memcpy(&bits, &shifted, 4);
  return (bits & 0x007fffff) - 0x00400000;
}

void store_f16(uint8_t* out, float value) {
  const uint16_t h = tensor::f32_to_f16(value);
  out[0] = static_cast<uint8_t>(h & 0xff);
  out[1] = static_cast<uint8_t>(h >> 8);
}

// The IEEE half stored little-endian at `at`, as float.
float load_f16(const uint8_t* at) { return tensor::f16_to_f32(static_cast<uint16_t>(at[0] | (at[1] << 8))); }

// The element of largest magnitude in x (32): its value (the first one on a tie).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  return max;
}

// ggml's make_qkx2_quants for q4_K: the scale and minimum (returned as -min in `the_min`) of
// x (n) ≈ scale·L + min with L in [0, nmax], minimising the weighted squared error over a grid
// of nstep + 1 candidate inverse scales; L gets the levels.
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min, uint8_t* Laux,
                       float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    const float diff = scale * L[i] + min - x[i];
    best_error += weights[i] * (diff * diff);
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::max(0, std::min(nmax, nearest_int(iscale * (x[i] - min))));
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D <= 0) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float cur_error = 0;
    for (int i = 0; i < n; ++i) {
      const float diff = this_scale * Laux[i] + this_min - x[i];
      cur_error += weights[i] * (diff * diff);
    }
    if (cur_error < best_error) {
      std::copy(Laux, Laux + n, L);
      best_error = cur_error;
      scale = this_scale;
      min = this_min;
    }
  }
  *the_min = -min;
  return scale;
}

// Levels L (n) in [-nmax, nmax - 1] + nmax under inverse scale `iscale`, with the weighted sums
// Σ w·x·l and Σ w·l² (w = x², make_qx_quants' rmse_type 1).
void qx_levels(int n, int nmax, const float* x, float iscale, int8_t* L, float* sumlx, float* suml2) {
  *sumlx = *suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::max(-nmax, std::min(nmax - 1, nearest_int(iscale * x[i])));
    if (L) L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    *sumlx += w * x[i] * l;
    *suml2 += w * l * l;
  }
}

// ggml's make_qx_quants with rmse_type 1 and no importance weights (q6_K): the scale of x (n)
// ≈ scale·(L - nmax), searched over 18 inverse scales around -nmax / max.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  if (amax < kGroupMaxEps) {
    std::fill(L, L + n, 0);
    return 0.f;
  }
  float sumlx, suml2;
  qx_levels(n, nmax, x, -nmax / max, L, &sumlx, &suml2);
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    const float iscale = -(nmax + 0.1f * is) / max;
    qx_levels(n, nmax, x, iscale, nullptr, &sumlx, &suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      qx_levels(n, nmax, x, iscale, L, &sumlx, &suml2);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

void check_blocks(int64_t n, int64_t block, const char* type) {
  if (n % block != 0)
    throw Error(ErrorKind::internal, fmt::format("gguf: {} values are not a whole number of {} blocks", n, type));
}

}  // namespace

void quantize_q8_0(const float* x, int64_t n, uint8_t* out) {
  check_blocks(n, kQK, "q8_0");
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK, out += kBlockBytesQ8_0) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    store_f16(out, d);
    for (int j = 0; j < kQK; ++j) out[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
  }
}

void quantize_q4_0(const float* x, int64_t n, uint8_t* out) {
  check_blocks(n, kQK, "q4_0");
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK, out += kBlockBytesQ4_0) {
    const float d = signed_absmax(x, kQK) / -8;
    const float id = d ? 1.0f / d : 0.0f;
    store_f16(out, d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
      const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j + kQK / 2] * id + 8.5f)));
      out[2 + j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_q5_0(const float* x, int64_t n, uint8_t* out) {
  check_blocks(n, kQK, "q5_0");
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK, out += kBlockBytesQ5_0) {
    const float d = signed_absmax(x, kQK) / -16;
    const float id = d ? 1.0f / d : 0.0f;
    store_f16(out, d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f)));
      const int q1 = std::min(31, static_cast<int>(static_cast<int8_t>(x[j + kQK / 2] * id + 16.5f)));
      out[6 + j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>((q0 & 0x10) >> 4) << j;
      qh |= static_cast<uint32_t>((q1 & 0x10) >> 4) << (j + kQK / 2);
    }
    for (int k = 0; k < 4; ++k) out[2 + k] = static_cast<uint8_t>(qh >> (8 * k));
  }
}

void quantize_q4_K(const float* x, int64_t n, uint8_t* out) {
  check_blocks(n, kQK_K, "q4_K");
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K, out += kBlockBytesQ4_K) {
    uint8_t L[kQK_K], Laux[32];
    float weights[32], mins[8], scales[8];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
      const float* xs = x + 32 * j;
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
      scales[j] = make_qkx2_quants(32, 15, xs, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    // 6-bit scales and mins: j < 4 in the low 6 bits of bytes j and j + 4; j >= 4 split into a
    // low nibble in byte j + 4 and the top 2 bits in bytes j - 4 (scale) and j (min).
    uint8_t* packed = out + 4;
    std::memset(packed, 0, 12);
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
      m[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
      if (j < 4) {
        packed[j] = sc[j];
        packed[j + 4] = m[j];
      } else {
        packed[j + 4] = static_cast<uint8_t>((sc[j] & 0xf) | ((m[j] & 0xf) << 4));
        packed[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
        packed[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
      }
    }
    store_f16(out, max_scale / 63.f);
    store_f16(out + 2, max_min / 63.f);
    // Requantize with the stored (rounded) scales; a sub-block whose scale is 0 keeps its levels.
    for (int j = 0; j < 8; ++j) {
      const float d = load_f16(out) * sc[j];
      if (!d) continue;
      const float dm = load_f16(out + 2) * m[j];
      for (int i = 0; i < 32; ++i)
        L[32 * j + i] = static_cast<uint8_t>(std::max(0, std::min(15, nearest_int((x[32 * j + i] + dm) / d))));
    }
    // qs: 64-element groups, byte l of a group's 32 holding element l (low) and l + 32 (high).
    uint8_t* q = out + 16;
    for (int j = 0; j < kQK_K; j += 64, q += 32)
      for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
  }
}

void quantize_q6_K(const float* x, int64_t n, uint8_t* out) {
  check_blocks(n, kQK_K, "q6_K");
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K, out += kBlockBytesQ6_K) {
    int8_t L[kQK_K];
    float scales[16];
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < 16; ++ib) {
      scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      if (std::fabs(scales[ib]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    std::memset(out, 0, kBlockBytesQ6_K);
    uint8_t* ql = out;
    uint8_t* qh = out + 128;
    auto* sc = reinterpret_cast<int8_t*>(out + 192);
    if (max_abs_scale < kGroupMaxEps) continue;  // all zero, d = 0
    const float iscale = -128.f / max_scale;
    store_f16(out + 208, 1 / iscale);
    for (int ib = 0; ib < 16; ++ib) sc[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
    for (int j = 0; j < 16; ++j) {
      const float d = load_f16(out + 208) * sc[j];
      if (!d) continue;  // keeps make_qx_quants' levels
      for (int i = 0; i < 16; ++i)
        L[16 * j + i] = static_cast<int8_t>(std::max(-32, std::min(31, nearest_int(x[16 * j + i] / d))) + 32);
    }
    // ql: per 128 elements, byte l holds element l (low nibble) and l + 64 (high), byte l + 32
    // elements l + 32 and l + 96; qh: byte l holds the top 2 bits of l, l + 32, l + 64, l + 96.
    for (int j = 0; j < kQK_K; j += 128, ql += 64, qh += 32)
      for (int l = 0; l < 32; ++l) {
        const auto at = [&](int k) { return static_cast<uint8_t>(L[j + l + k]); };
        ql[l] = static_cast<uint8_t>((at(0) & 0xf) | ((at(64) & 0xf) << 4));
        ql[l + 32] = static_cast<uint8_t>((at(32) & 0xf) | ((at(96) & 0xf) << 4));
        qh[l] = static_cast<uint8_t>((at(0) >> 4) | ((at(32) >> 4) << 2) | ((at(64) >> 4) << 4) | ((at(96) >> 4) << 6));
      }
  }
}

std::string encode_row(TensorType type, const float* x, int64_t n) {
  check_blocks(n, block_elements(type), std::string(tensor_type_name(type)).c_str());
  std::string out(static_cast<size_t>(n / block_elements(type)) * block_bytes(type), '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  switch (type) {
    case TensorType::kF32: std::memcpy(p, x, out.size()); break;
    case TensorType::kF16:
    case TensorType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == TensorType::kF16 ? tensor::f32_to_f16(x[i]) : tensor::f32_to_bf16(x[i]);
        p[2 * i] = static_cast<uint8_t>(h & 0xff);
        p[2 * i + 1] = static_cast<uint8_t>(h >> 8);
      }
      break;
    case TensorType::kQ8_0: quantize_q8_0(x, n, p); break;
    case TensorType::kQ4_0: quantize_q4_0(x, n, p); break;
    case TensorType::kQ5_0: quantize_q5_0(x, n, p); break;
    case TensorType::kQ4_K: quantize_q4_K(x, n, p); break;
    case TensorType::kQ6_K: quantize_q6_K(x, n, p); break;
  }
  return out;
}

}  // namespace aha::io::gguf
