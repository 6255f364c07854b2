#include "aha/backend/cpu/gemm_q8.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "aha/base/error.hpp"
#include "aha/base/threads.hpp"
#include "aha/tensor/dtype.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace aha::backend::cpu {
namespace {

constexpr int64_t kGroups = kQ8Block / 4;                      // groups of 4 k per block
constexpr int64_t kPanelBlockBytes = kQ8Block * kQ8PanelRows;  // 512

// A quantized row by row: q (rows, blocks · 32), d (rows, blocks), and each block's Σ q (for
// vpdpbusd, which multiplies the weights' unsigned bytes q + 128).
struct QuantizedRows {
  int64_t blocks = 0;
  std::vector<int8_t> q;
  std::vector<float> d;
  std::vector<int32_t> sum;
  const int8_t* q_at(int64_t i, int64_t b) const { return q.data() + (i * blocks + b) * kQ8Block; }
};

void quantize_rows(QuantizedRows& qa, const float* a, int64_t rows, int64_t k, int64_t blocks) {
  qa.blocks = blocks;
  qa.q.resize(static_cast<size_t>(rows * blocks * kQ8Block));
  qa.d.resize(static_cast<size_t>(rows * blocks));
  qa.sum.resize(static_cast<size_t>(rows * blocks));
  auto quantize = [&](size_t begin, size_t end) {
    float x[kQ8Block];
    for (int64_t i = static_cast<int64_t>(begin); i < static_cast<int64_t>(end); ++i)
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t n = std::min(kQ8Block, k - b * kQ8Block);
        std::copy(a + i * k + b * kQ8Block, a + i * k + b * kQ8Block + n, x);
        std::fill(x + n, x + kQ8Block, 0.0f);
        int8_t* q = qa.q.data() + (i * blocks + b) * kQ8Block;
        qa.d[i * blocks + b] = quantize_q8_block(q, x);
        int32_t s = 0;
        for (int64_t t = 0; t < kQ8Block; ++t) s += q[t];
        qa.sum[i * blocks + b] = s;
      }
  };
  if (rows * k < (1 << 16)) quantize(0, static_cast<size_t>(rows));
  else parallel_for(static_cast<size_t>(rows), quantize);
}

// One task: rows [i0, i1) x panels [p0, p1), each panel's 16 outputs into out16 (rows, 16).
using Kernel = void (*)(const QuantizedRows& a, const PackedQ8& w, int64_t i0, int64_t i1, int64_t p, float* out16);

// The definition, in plain C++: the reference the vector levels are tested against.
void panel_generic(const QuantizedRows& a, const PackedQ8& w, int64_t i0, int64_t i1, int64_t p, float* out16) {
  const int64_t blocks = w.blocks();
  for (int64_t i = i0; i < i1; ++i) {
    float* acc = out16 + (i - i0) * kQ8PanelRows;
    std::fill(acc, acc + kQ8PanelRows, 0.0f);
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t* wq = w.q.data() + (p * blocks + b) * kPanelBlockBytes;
      const uint16_t* wd = w.d.data() + (p * blocks + b) * kQ8PanelRows;
      const int8_t* aq = a.q_at(i, b);
      for (int64_t r = 0; r < kQ8PanelRows; ++r) {
        int32_t isum = 0;
        for (int64_t g = 0; g < kGroups; ++g)
          for (int64_t t = 0; t < 4; ++t) isum += (int32_t{wq[g * 64 + r * 4 + t]} - 128) * aq[g * 4 + t];
        const float scale = tensor::f16_to_f32(wd[r]) * a.d[i * blocks + b];
        acc[r] = std::fma(static_cast<float>(isum), scale, acc[r]);
      }
    }
  }
}

#if defined(__x86_64__)

// avx2 and avx512: |a| times w with a's sign, pairs summed by vpmaddubsw (at most 2 · 127 · 127
// after pack_* clamped q to [-127, 127]: no saturation), then by vpmaddwd into one int32 per row.
void panel_avx2(const QuantizedRows& a, const PackedQ8& w, int64_t i0, int64_t i1, int64_t p, float* out16) {
  const int64_t blocks = w.blocks();
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80)), ones = _mm256_set1_epi16(1);
  for (int64_t i = i0; i < i1; ++i) {
    __m256 acc_lo = _mm256_setzero_ps(), acc_hi = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t* wq = w.q.data() + (p * blocks + b) * kPanelBlockBytes;
      const int8_t* aq = a.q_at(i, b);
      __m256i sum_lo = _mm256_setzero_si256(), sum_hi = _mm256_setzero_si256();
      for (int64_t g = 0; g < kGroups; ++g) {
        int32_t four;
        std::memcpy(&four, aq + g * 4, 4);
        const __m256i av = _mm256_set1_epi32(four), abs_a = _mm256_abs_epi8(av);
        const __m256i lo = _mm256_xor_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(wq + g * 64)), flip);
        const __m256i hi =
            _mm256_xor_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(wq + g * 64 + 32)), flip);
        sum_lo =
            _mm256_add_epi32(sum_lo, _mm256_madd_epi16(_mm256_maddubs_epi16(abs_a, _mm256_sign_epi8(lo, av)), ones));
        sum_hi =
            _mm256_add_epi32(sum_hi, _mm256_madd_epi16(_mm256_maddubs_epi16(abs_a, _mm256_sign_epi8(hi, av)), ones));
      }
      const uint16_t* wd = w.d.data() + (p * blocks + b) * kQ8PanelRows;
      const __m256 da = _mm256_set1_ps(a.d[i * blocks + b]);
      const __m256 d_lo = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wd)));
      const __m256 d_hi = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wd + 8)));
      acc_lo = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum_lo), _mm256_mul_ps(d_lo, da), acc_lo);
      acc_hi = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum_hi), _mm256_mul_ps(d_hi, da), acc_hi);
    }
    _mm256_storeu_ps(out16 + (i - i0) * kQ8PanelRows, acc_lo);
    _mm256_storeu_ps(out16 + (i - i0) * kQ8PanelRows + 8, acc_hi);
  }
}

// avx512bf16 and amx: vpdpbusd of the weights' bytes q + 128 with a's int8, then 128 · Σ a off.
// Up to 4 rows share each load of the panel; two chains per row halve vpdpbusd's latency chain.
template <int R>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void rows_vnni(const QuantizedRows& a,
                                                                               const PackedQ8& w, int64_t i, int64_t p,
                                                                               float* out) {
  const int64_t blocks = w.blocks();
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* wq = w.q.data() + (p * blocks + b) * kPanelBlockBytes;
    __m512i even[R], odd[R];
    for (int r = 0; r < R; ++r) even[r] = odd[r] = _mm512_setzero_si512();
    for (int64_t g = 0; g < kGroups; g += 2) {
      const __m512i w0 = _mm512_load_si512(wq + g * 64), w1 = _mm512_load_si512(wq + g * 64 + 64);
      for (int r = 0; r < R; ++r) {
        // Each 4 bytes of a read on their own, so that they are broadcast from memory: read as one
        // 8-byte word they went through a general register, two µops each, the loop's bottleneck.
        int32_t four0, four1;
        std::memcpy(&four0, a.q_at(i + r, b) + g * 4, 4);
        std::memcpy(&four1, a.q_at(i + r, b) + g * 4 + 4, 4);
        even[r] = _mm512_dpbusd_epi32(even[r], w0, _mm512_set1_epi32(four0));
        odd[r] = _mm512_dpbusd_epi32(odd[r], w1, _mm512_set1_epi32(four1));
      }
    }
    const __m512 dw = _mm512_maskz_cvtph_ps(
        0xffff, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.d.data() + (p * blocks + b) * kQ8PanelRows)));
    for (int r = 0; r < R; ++r) {
      const int64_t at = (i + r) * blocks + b;
      const __m512i isum = _mm512_sub_epi32(_mm512_add_epi32(even[r], odd[r]), _mm512_set1_epi32(a.sum[at] * 128));
      acc[r] =
          _mm512_fmadd_ps(_mm512_maskz_cvtepi32_ps(0xffff, isum), _mm512_mul_ps(dw, _mm512_set1_ps(a.d[at])), acc[r]);
    }
  }
  for (int r = 0; r < R; ++r) _mm512_storeu_ps(out + r * kQ8PanelRows, acc[r]);
}

void panel_vnni(const QuantizedRows& a, const PackedQ8& w, int64_t i0, int64_t i1, int64_t p, float* out16) {
  int64_t i = i0;
  for (; i + 4 <= i1; i += 4) rows_vnni<4>(a, w, i, p, out16 + (i - i0) * kQ8PanelRows);
  for (; i < i1; ++i) rows_vnni<1>(a, w, i, p, out16 + (i - i0) * kQ8PanelRows);
}

#endif

Kernel kernel_for(IsaLevel level) {
#if defined(__x86_64__)
  if (level >= IsaLevel::avx512bf16) return panel_vnni;
  if (level >= IsaLevel::avx2) return panel_avx2;
#endif
  (void)level;
  return panel_generic;
}

// Bytes q + 128 of one row's block (32 values) into its place in the panel; q clamped to -127
// (ggml's quantizer never writes -128; the avx2 sign trick could not negate it).
void place_block(PackedQ8& packed, int64_t row, int64_t b, const int8_t* q, uint16_t d) {
  const int64_t p = row / kQ8PanelRows, r = row % kQ8PanelRows;
  uint8_t* dst = packed.q.data() + (p * packed.blocks() + b) * kPanelBlockBytes + r * 4;
  for (int64_t g = 0; g < kGroups; ++g)
    for (int64_t t = 0; t < 4; ++t) dst[g * 64 + t] = static_cast<uint8_t>(std::max<int32_t>(q[g * 4 + t], -127) + 128);
  packed.d[(p * packed.blocks() + b) * kQ8PanelRows + r] = d;
}

// Sizes packed for W (out, in), every byte q = 0 (128) and every scale 0.
void reset(PackedQ8& packed, int64_t in, int64_t out) {
  packed.k = in, packed.n = out;
  packed.q.assign(static_cast<size_t>(packed.panels() * packed.blocks() * kPanelBlockBytes), 128);
  packed.d.assign(static_cast<size_t>(packed.panels() * packed.blocks() * kQ8PanelRows), 0);
}

}  // namespace

float quantize_q8_block(int8_t q[kQ8Block], const float x[kQ8Block]) {
  float amax = 0.0f;
  for (int64_t t = 0; t < kQ8Block; ++t) amax = std::max(amax, std::fabs(x[t]));
  const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int64_t t = 0; t < kQ8Block; ++t) q[t] = static_cast<int8_t>(std::round(x[t] * id));
  return d;
}

void pack_q8_weight(PackedQ8& packed, const float* weight, int64_t in, int64_t out) {
  reset(packed, in, out);
  parallel_for(static_cast<size_t>(out), [&](size_t begin, size_t end) {
    float x[kQ8Block];
    int8_t q[kQ8Block];
    for (int64_t j = static_cast<int64_t>(begin); j < static_cast<int64_t>(end); ++j)
      for (int64_t b = 0; b < packed.blocks(); ++b) {
        const int64_t n = std::min(kQ8Block, in - b * kQ8Block);
        std::copy(weight + j * in + b * kQ8Block, weight + j * in + b * kQ8Block + n, x);
        std::fill(x + n, x + kQ8Block, 0.0f);
        const float d = quantize_q8_block(q, x);
        place_block(packed, j, b, q, tensor::f32_to_f16(d));
      }
  });
}

void pack_q8_blocks(PackedQ8& packed, const uint8_t* blocks, int64_t in, int64_t out) {
  if (in % kQ8Block != 0) fail_internal(fmt::format("pack_q8_blocks: in {} is not a multiple of 32", in));
  reset(packed, in, out);
  constexpr size_t kBlockBytes = 2 + kQ8Block;
  parallel_for(static_cast<size_t>(out), [&](size_t begin, size_t end) {
    for (int64_t j = static_cast<int64_t>(begin); j < static_cast<int64_t>(end); ++j)
      for (int64_t b = 0; b < packed.blocks(); ++b) {
        const uint8_t* block = blocks + (j * packed.blocks() + b) * kBlockBytes;
        uint16_t d;
        std::memcpy(&d, block, 2);
        place_block(packed, j, b, reinterpret_cast<const int8_t*>(block + 2), d);
      }
  });
}

void unpack_q8_rows(float* out, const PackedQ8& w, const int32_t* ids, int64_t rows) {
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t p = ids[i] / kQ8PanelRows, r = ids[i] % kQ8PanelRows;
    for (int64_t c = 0; c < w.k; ++c) {
      const int64_t b = c / kQ8Block, g = c % kQ8Block / 4, t = c % 4;
      const int32_t q = int32_t{w.q[(p * w.blocks() + b) * kPanelBlockBytes + g * 64 + r * 4 + t]} - 128;
      out[i * w.k + c] = tensor::f16_to_f32(w.d[(p * w.blocks() + b) * kQ8PanelRows + r]) * static_cast<float>(q);
    }
  }
}

void gemm_q8(float* out, const float* a, const PackedQ8& w, int64_t rows) { gemm_q8(out, a, w, rows, isa_level()); }

void gemm_q8(float* out, const float* a, const PackedQ8& w, int64_t rows, IsaLevel level) {
  if (level > detected_isa())
    fail_internal(fmt::format("gemm_q8: level {} is above this CPU's {}", isa_name(level), isa_name(detected_isa())));
  if (rows <= 0 || w.n <= 0) return;
  QuantizedRows qa;
  quantize_rows(qa, a, rows, w.k, w.blocks());
  const Kernel kernel = kernel_for(level);
  // Row tiles of at most 64 keep a panel's outputs (64 x 16 floats) and its weights in L1/L2.
  constexpr int64_t kTileRows = 64;
  parallel_for(static_cast<size_t>(w.panels()), [&](size_t begin, size_t end) {
    std::vector<float> out16(static_cast<size_t>(kTileRows * kQ8PanelRows));
    for (int64_t p = static_cast<int64_t>(begin); p < static_cast<int64_t>(end); ++p)
      for (int64_t i0 = 0; i0 < rows; i0 += kTileRows) {
        const int64_t i1 = std::min(rows, i0 + kTileRows), cols = std::min(kQ8PanelRows, w.n - p * kQ8PanelRows);
        kernel(qa, w, i0, i1, p, out16.data());
        for (int64_t i = i0; i < i1; ++i)
          std::copy(out16.data() + (i - i0) * kQ8PanelRows, out16.data() + (i - i0) * kQ8PanelRows + cols,
                    out + i * w.n + p * kQ8PanelRows);
      }
  });
}

}  // namespace aha::backend::cpu
