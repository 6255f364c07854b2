#include "aha/io/gguf/dequantize.hpp"

#include <cstring>

#include "aha/base/error.hpp"
#include "aha/tensor/dtype.hpp"

namespace aha::io::gguf {
namespace {

float f16_at(const uint8_t* p) { return tensor::f16_to_f32(static_cast<uint16_t>(p[0] | (p[1] << 8))); }

// q8_0: x = d * q.
void dequantize_q8_0(const uint8_t* block, float* y) {
  const float d = f16_at(block);
  for (int64_t i = 0; i < kQK; ++i) y[i] = static_cast<float>(static_cast<int8_t>(block[2 + i])) * d;
}

// q4_0: x = (q - 8) * d; byte i holds x[i] in its low nibble and x[i + 16] in its high one.
void dequantize_q4_0(const uint8_t* block, float* y) {
  const float d = f16_at(block);
  const uint8_t* qs = block + 2;
  for (int64_t i = 0; i < kQK / 2; ++i) {
    y[i] = static_cast<float>((qs[i] & 0x0F) - 8) * d;
    y[i + kQK / 2] = static_cast<float>((qs[i] >> 4) - 8) * d;
  }
}

// q5_0: x = (q - 16) * d, q's low 4 bits as q4_0's nibbles and its 5th bit in qh (bit i for x[i]).
void dequantize_q5_0(const uint8_t* block, float* y) {
  const float d = f16_at(block);
  const uint32_t qh = block[2] | (block[3] << 8) | (block[4] << 16) | (static_cast<uint32_t>(block[5]) << 24);
  const uint8_t* qs = block + 6;
  for (int64_t i = 0; i < kQK / 2; ++i) {
    const int low = static_cast<int>((qs[i] & 0x0F) | (((qh >> i) & 1) << 4));
    const int high = static_cast<int>((qs[i] >> 4) | (((qh >> (i + 16)) & 1) << 4));
    y[i] = static_cast<float>(low - 16) * d;
    y[i + kQK / 2] = static_cast<float>(high - 16) * d;
  }
}

// The 6-bit scale and min of sub-block j of a q4_K block (ggml's get_scale_min_k4).
void q4_k_scale_min(int j, const uint8_t* q, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// q4_K: 8 sub-blocks of 32, x = d * scale_j * q - dmin * min_j; each 32 bytes of qs hold two
// sub-blocks, the first in the low nibbles.
void dequantize_q4_k(const uint8_t* block, float* y) {
  const float d = f16_at(block), dmin = f16_at(block + 2);
  const uint8_t* scales = block + 4;
  const uint8_t* q = block + 16;
  for (int j = 0; j < 8; j += 2) {
    uint8_t sc, m;
    q4_k_scale_min(j, scales, sc, m);
    const float d1 = d * sc, m1 = dmin * m;
    q4_k_scale_min(j + 1, scales, sc, m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>(q[l] & 0x0F) - m1;
    for (int l = 0; l < 32; ++l) y[32 + l] = d2 * static_cast<float>(q[l] >> 4) - m2;
    q += 32;
    y += 64;
  }
}

// q6_K: 16 sub-blocks of 16, x = d * scale_j * (q - 32), q's low 4 bits in ql and high 2 in qh.
void dequantize_q6_k(const uint8_t* block, float* y) {
  const uint8_t* ql = block;
  const uint8_t* qh = block + 128;
  const int8_t* sc = reinterpret_cast<const int8_t*>(block + 192);
  const float d = f16_at(block + 208);
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

}  // namespace

void dequantize_row(TensorType type, const uint8_t* src, int64_t n, float* out) {
  const int64_t block = block_elements(type);
  if (n < 0 || n % block != 0) fail_internal("dequantize_row: not a whole number of blocks");
  const size_t count = static_cast<size_t>(n);
  switch (type) {
    case TensorType::kF32: std::memcpy(out, src, count * 4); return;
    case TensorType::kF16: return tensor::convert_to_f32(tensor::DType::F16, src, out, count);
    case TensorType::kBF16: return tensor::convert_to_f32(tensor::DType::BF16, src, out, count);
    default: break;
  }
  void (*one)(const uint8_t*, float*) = nullptr;
  switch (type) {
    case TensorType::kQ8_0: one = dequantize_q8_0; break;
    case TensorType::kQ4_0: one = dequantize_q4_0; break;
    case TensorType::kQ5_0: one = dequantize_q5_0; break;
    case TensorType::kQ4_K: one = dequantize_q4_k; break;
    case TensorType::kQ6_K: one = dequantize_q6_k; break;
    default: fail_internal("dequantize_row: unknown tensor type");
  }
  const size_t bytes = block_bytes(type);
  for (int64_t b = 0; b < n / block; ++b) one(src + static_cast<size_t>(b) * bytes, out + b * block);
}

}  // namespace aha::io::gguf
