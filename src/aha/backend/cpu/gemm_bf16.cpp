#include "aha/backend/cpu/gemm_bf16.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "aha/backend/cpu/gemm_bf16_kernels.hpp"
#include "aha/base/error.hpp"
#include "aha/base/threads.hpp"
#include "aha/tensor/dtype.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace aha::backend::cpu {
namespace {

using bf16::Block;
using bf16::MicroKernels;

// Largest C tile of a register-tiled level: 12 rows x 1 panel, 4 x 2 or 1 x 4.
constexpr int64_t kMaxTileFloats = 12 * 4 * kBf16PanelWidth;

// One micro-tile; one reaching past column n runs on a zero-padded copy of C.
void gemm_bf16_tile(const MicroKernels& kernels, int mr, int np, int64_t q0, int64_t q1, const void* a, int64_t lda,
                    const uint16_t* b, int64_t b_panel, float* c, int64_t ldc, int64_t width, bool load) {
  const bf16::MicroKernel f = kernels.kernel(mr, np);
  const int64_t full = np * kBf16PanelWidth;
  if (width == full) return f(q0, q1, a, lda, b, b_panel, c, ldc, load);
  alignas(64) float buf[kMaxTileFloats];  // the kernel writes all of it; it reads it only to load
  for (int i = 0; i < mr && load; ++i) {
    std::copy_n(c + i * ldc, width, buf + i * full);
    std::fill(buf + i * full + width, buf + (i + 1) * full, 0.0f);
  }
  f(q0, q1, a, lda, b, b_panel, buf, full, load);
  for (int i = 0; i < mr; ++i) std::copy_n(buf + i * full, width, c + i * ldc);
}

// A register-tiled level's task: groups of panels (whose C stays in L2), blocks of k pairs (the
// sums pass through C between them, which keeps them exact), panels, micro-tiles of rows.
void gemm_bf16_block(const Block& blk, const MicroKernels& kernels) {
  const int64_t pairs = (blk.b.k + 1) / 2, b_panel = blk.b.padded_k() * kBf16PanelWidth;
  const int64_t row_bytes = blk.lda * static_cast<int64_t>(kernels.a_bytes);
  const int first_rows = static_cast<int>(std::min<int64_t>(kernels.max_rows, blk.i1 - blk.i0));
  // Rows that fit one tile (decode) reuse no block of W: each tile streams its panels over all of k.
  const int64_t block_pairs = blk.i1 - blk.i0 <= kernels.max_rows ? pairs : bf16::kBlockPairs;
  for (int64_t g0 = blk.p0; g0 < blk.p1; g0 += bf16::kBlockPanels) {
    const int64_t g1 = std::min(blk.p1, g0 + bf16::kBlockPanels);
    for (int64_t q0 = 0; q0 < pairs; q0 += block_pairs) {
      const int64_t q1 = std::min(pairs, q0 + block_pairs);
      for (int64_t p = g0; p < g1;) {
        const int np = kernels.panels_per_tile(first_rows, g1 - p);
        const int64_t col = p * kBf16PanelWidth, width = std::min(np * kBf16PanelWidth, blk.b.n - col);
        for (int64_t i = blk.i0; i < blk.i1; i += kernels.max_rows) {
          const int mr = static_cast<int>(std::min<int64_t>(kernels.max_rows, blk.i1 - i));
          gemm_bf16_tile(kernels, mr, np, q0, q1, static_cast<const std::byte*>(blk.a) + i * row_bytes, blk.lda,
                         blk.b.panel(p), b_panel, blk.c + i * blk.ldc + col, blk.ldc, width, q0 > 0);
        }
        p += np;
      }
    }
  }
}

void run_block(IsaLevel level, const Block& blk) {
  switch (level) {
    case IsaLevel::generic: return gemm_bf16_block(blk, bf16::generic_kernels());
#if defined(__x86_64__)
    case IsaLevel::avx2: return gemm_bf16_block(blk, bf16::avx2_kernels());
    case IsaLevel::avx512: return gemm_bf16_block(blk, bf16::avx512_kernels());
    case IsaLevel::avx512bf16: return gemm_bf16_block(blk, bf16::avx512bf16_kernels());
    case IsaLevel::amx: return bf16::amx_block(blk);
#endif
    default: fail_internal("gemm_bf16: no kernels for this ISA level");
  }
}

#if defined(__x86_64__)

// x shifted by 16 bits in each 32-bit lane. (The masked forms: GCC 12's unmasked shifts start
// from an "undefined" vector that -Wmaybe-uninitialized then reports.)
__attribute__((target("avx512f"))) inline __m512i right_16(__m512i x) { return _mm512_maskz_srli_epi32(0xffff, x, 16); }
__attribute__((target("avx512f"))) inline __m512i left_16(__m512i x) { return _mm512_maskz_slli_epi32(0xffff, x, 16); }

// 16 fp32 to their bf16 bits in the low halves of the lanes, rounded as tensor::f32_to_bf16
// rounds them (to nearest even; a NaN stays a NaN, made quiet).
__attribute__((target("avx512f"))) inline __m512i round_lanes_to_bf16(__m512 x) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(right_16(u), _mm512_set1_epi32(1));
  const __m512i bias = _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff));
  const __m512i rounded = right_16(_mm512_add_epi32(u, bias));
  const __m512i quiet = _mm512_or_si512(right_16(u), _mm512_set1_epi32(0x40));
  const __m512i magnitude = _mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff));
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(magnitude, _mm512_set1_epi32(0x7f800000));
  return _mm512_mask_mov_epi32(rounded, nan, quiet);
}

__mmask16 lanes_left(int64_t n) { return n >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << n) - 1); }

#endif

// Row r of A rounded to bf16 into row r of `dst` (rows lda >= padded k elements apart, zero
// past k): bf16 bits for the levels that multiply bf16, fp32 values for the widening ones. Rows
// past `rows` (AMX's padding) are zeros.
void round_row(IsaLevel level, std::byte* dst, const float* a, int64_t a_stride, int64_t r, int64_t rows, int64_t k,
               int64_t lda) {
  const int64_t valid = r < rows ? k : 0;
  const float* src = a + r * a_stride;
  if (level >= IsaLevel::avx512bf16) {
    uint16_t* out = reinterpret_cast<uint16_t*>(dst) + r * lda;
#if defined(__x86_64__)
    bf16::round_to_bf16_avx512(out, src, valid);
#endif
    std::fill(out + valid, out + lda, uint16_t{0});
    return;
  }
  float* out = reinterpret_cast<float*>(dst) + r * lda;
#if defined(__x86_64__)
  if (level == IsaLevel::avx512) {
    bf16::round_to_bf16_as_f32_avx512(out, src, valid);
    std::fill(out + valid, out + lda, 0.0f);
    return;
  }
#endif
  for (int64_t j = 0; j < valid; ++j) out[j] = tensor::bf16_to_f32(tensor::f32_to_bf16(src[j]));
  std::fill(out + valid, out + lda, 0.0f);
}

// Below this many elements A is rounded on the calling thread: waking the workers costs more
// (tens of microseconds on a virtual machine) than rounding a million values.
constexpr int64_t kSerialRounding = int64_t{1} << 20;

// The calling thread's buffer for A rounded (rows padded to 16 for AMX's tiles, lda elements
// apart), reused by later calls; sets `padded_rows`.
std::byte* rounded_buffer(IsaLevel level, int64_t rows, int64_t lda, int64_t& padded_rows) {
  thread_local std::vector<std::byte, CacheAligned<std::byte>> buffer;
  padded_rows = level == IsaLevel::amx ? (rows + 15) / 16 * 16 : rows;
  const size_t bytes = level >= IsaLevel::avx512bf16 ? sizeof(uint16_t) : sizeof(float);
  const size_t need = static_cast<size_t>(padded_rows * lda) * bytes;
  if (buffer.size() < need) buffer.resize(need);
  return buffer.data();
}

// A (rows, k) rounded to bf16 into rounded_buffer.
const std::byte* round_a(IsaLevel level, const float* a, int64_t a_stride, int64_t rows, int64_t k, int64_t lda) {
  int64_t padded_rows = 0;
  std::byte* dst = rounded_buffer(level, rows, lda, padded_rows);
  auto round_rows = [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) round_row(level, dst, a, a_stride, static_cast<int64_t>(r), rows, k, lda);
  };
  if (padded_rows * k < kSerialRounding) round_rows(0, static_cast<size_t>(padded_rows));
  else parallel_for(static_cast<size_t>(padded_rows), round_rows);
  return dst;
}

// Rows [i0, i0 + 16) of A below padded_rows (zeros from `rows` on) from its transpose a_t,
// rounded into `dst` as round_row writes them: 16 x 16 blocks turned in registers (AVX-512),
// the rest one value at a time.
void round_block_transposed(IsaLevel level, std::byte* dst, const float* a_t, int64_t stride, int64_t i0, int64_t rows,
                            int64_t padded_rows, int64_t k, int64_t lda) {
  const bool bits = level >= IsaLevel::avx512bf16;
  int64_t k0 = 0;  // the columns below k0 done in blocks
#if defined(__x86_64__)
  if (level >= IsaLevel::avx512 && i0 + 16 <= rows)
    for (; k0 + 16 <= k; k0 += 16) bf16::round_transposed_16x16(dst, bits, lda, i0, k0, a_t + k0 * stride + i0, stride);
#endif
  for (int64_t i = i0; i < std::min(i0 + 16, padded_rows); ++i)
    for (int64_t c = k0; c < lda; ++c) {
      const uint16_t b = tensor::f32_to_bf16(i < rows && c < k ? a_t[c * stride + i] : 0.0f);
      if (bits) reinterpret_cast<uint16_t*>(dst)[i * lda + c] = b;
      else reinterpret_cast<float*>(dst)[i * lda + c] = tensor::bf16_to_f32(b);
    }
}

// A (rows, k) read from its transpose a_t (k, rows), rounded into rounded_buffer.
const std::byte* round_a_transposed(IsaLevel level, const float* a_t, int64_t stride, int64_t rows, int64_t k,
                                    int64_t lda) {
  int64_t padded_rows = 0;
  std::byte* dst = rounded_buffer(level, rows, lda, padded_rows);
  const int64_t blocks = (padded_rows + 15) / 16;
  auto round_blocks = [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b)
      round_block_transposed(level, dst, a_t, stride, 16 * static_cast<int64_t>(b), rows, padded_rows, k, lda);
  };
  if (padded_rows * k < kSerialRounding) round_blocks(0, static_cast<size_t>(blocks));
  else parallel_for(static_cast<size_t>(blocks), round_blocks);
  return dst;
}

// The tasks: row blocks (equal but for a multiple of 16, AMX's tile rows, so that no thread is
// left with a short block) times column chunks, at least 4 a thread and, where the panels allow,
// a multiple of the thread count: parallel_for hands each thread a contiguous run of tasks.
struct TaskGrid {
  int64_t block_rows, m_blocks, n_chunks;
};

TaskGrid task_grid(int64_t rows, int64_t panels, int threads) {
  const int64_t blocks = (rows + bf16::kBlockRows - 1) / bf16::kBlockRows;
  const int64_t block_rows = ((rows + blocks - 1) / blocks + 15) / 16 * 16;
  const int64_t m_blocks = (rows + block_rows - 1) / block_rows;
  int64_t n_chunks = std::clamp<int64_t>((4 * threads + m_blocks - 1) / m_blocks, 1, panels);
  while ((m_blocks * n_chunks) % threads != 0 && n_chunks < panels) ++n_chunks;
  return {block_rows, m_blocks, n_chunks};
}

}  // namespace

#if defined(__x86_64__)

__attribute__((target("avx512f"))) void bf16::round_to_bf16_avx512(uint16_t* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 mask = lanes_left(n - i);
    _mm512_mask_cvtepi32_storeu_epi16(dst + i, mask, round_lanes_to_bf16(_mm512_maskz_loadu_ps(mask, src + i)));
  }
}

__attribute__((target("avx512f"))) void bf16::round_to_bf16_as_f32_avx512(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 mask = lanes_left(n - i);
    const __m512i bits = round_lanes_to_bf16(_mm512_maskz_loadu_ps(mask, src + i));
    _mm512_mask_storeu_ps(dst + i, mask, _mm512_castsi512_ps(left_16(bits)));
  }
}

__attribute__((target("avx512f"))) void bf16::pack_pair_avx512(uint16_t* dst, const float* even, const float* odd,
                                                               int64_t width) {
  for (int64_t h = 0; h < 2; ++h) {  // 16 columns at a time: (even, odd) bf16 pairs, one per lane
    const __mmask16 mask = lanes_left(std::max<int64_t>(0, width - 16 * h));
    const __m512i low = even ? round_lanes_to_bf16(_mm512_maskz_loadu_ps(mask, even + 16 * h)) : _mm512_setzero_si512();
    const __m512i high = odd ? round_lanes_to_bf16(_mm512_maskz_loadu_ps(mask, odd + 16 * h)) : _mm512_setzero_si512();
    _mm512_storeu_si512(dst + 32 * h, _mm512_maskz_mov_epi32(mask, _mm512_or_si512(low, left_16(high))));
  }
}

__attribute__((target("avx512f"))) void bf16::pack_column_avx512(uint16_t* dst, const float* src, int64_t k,
                                                                 int64_t pairs) {
  // Pair q of the column goes to dst[q * 64] (as one 32-bit lane): 16 pairs per scatter.
  const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(2 * kBf16PanelWidth * sizeof(uint16_t)));
  for (int64_t q0 = 0; q0 < pairs; q0 += 16) {
    const int64_t k0 = 2 * q0;
    const __mmask16 low = lanes_left(std::max<int64_t>(0, k - k0)),
                    high = lanes_left(std::max<int64_t>(0, k - k0 - 16));
    // (The maskz forms: GCC 12's unmasked ones start from an "undefined" vector it then reports.)
    const __m256i a = _mm512_maskz_cvtepi32_epi16(0xffff, round_lanes_to_bf16(_mm512_maskz_loadu_ps(low, src + k0)));
    const __m256i b =
        _mm512_maskz_cvtepi32_epi16(0xffff, round_lanes_to_bf16(_mm512_maskz_loadu_ps(high, src + k0 + 16)));
    const __m512i low_half = _mm512_maskz_inserti64x4(0xff, _mm512_setzero_si512(), a, 0);
    const __m512i both = _mm512_maskz_inserti64x4(0xff, low_half, b, 1);
    _mm512_i32scatter_epi32(dst + q0 * 2 * kBf16PanelWidth, offsets, both, 1);
  }
}

__attribute__((target("avx512f"))) void bf16::round_transposed_16x16(std::byte* dst, bool bits, int64_t lda, int64_t i0,
                                                                     int64_t k0, const float* src, int64_t stride) {
  // src's 16 rows (k0..k0+15, each holding rows i0..i0+15 of A) turned into A's rows: pairs of
  // rows interleaved, then 4x4 blocks within each 128-bit lane, then the lanes. (The maskz forms:
  // GCC 12's unmasked ones start from an "undefined" vector that -Wuninitialized then reports.)
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * stride);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_maskz_unpacklo_ps(0xffff, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_maskz_unpackhi_ps(0xffff, r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_maskz_shuffle_ps(0xffff, t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 1] = _mm512_maskz_shuffle_ps(0xffff, t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * i + 2] = _mm512_maskz_shuffle_ps(0xffff, t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 3] = _mm512_maskz_shuffle_ps(0xffff, t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_maskz_shuffle_f32x4(0xffff, r[i], r[4 + i], 0x88);
    t[4 + i] = _mm512_maskz_shuffle_f32x4(0xffff, r[i], r[4 + i], 0xdd);
    t[8 + i] = _mm512_maskz_shuffle_f32x4(0xffff, r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_maskz_shuffle_f32x4(0xffff, r[8 + i], r[12 + i], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_maskz_shuffle_f32x4(0xffff, t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_maskz_shuffle_f32x4(0xffff, t[i], t[8 + i], 0xdd);
    r[4 + i] = _mm512_maskz_shuffle_f32x4(0xffff, t[4 + i], t[12 + i], 0x88);
    r[12 + i] = _mm512_maskz_shuffle_f32x4(0xffff, t[4 + i], t[12 + i], 0xdd);
  }
  for (int i = 0; i < 16; ++i) {  // r[i]: row i0 + i of A, columns k0..k0+15
    const __m512i rounded = round_lanes_to_bf16(r[i]);
    const int64_t at = (i0 + i) * lda + k0;
    if (bits)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(reinterpret_cast<uint16_t*>(dst) + at),
                          _mm512_maskz_cvtepi32_epi16(0xffff, rounded));
    else _mm512_storeu_ps(reinterpret_cast<float*>(dst) + at, _mm512_castsi512_ps(left_16(rounded)));
  }
}

#endif

namespace {

// Zeros where a panel of `packed` holds no value: the pairs of k past `k`, and the columns past
// `width`.
void zero_padding(uint16_t* panel, const PackedBf16& packed, int64_t width) {
  const int64_t pair_values = 2 * kBf16PanelWidth, used_pairs = (packed.k + 1) / 2;
  std::fill(panel + used_pairs * pair_values, panel + packed.padded_k() / 2 * pair_values, uint16_t{0});
  if (width == kBf16PanelWidth) return;
  for (int64_t q = 0; q < used_pairs; ++q)
    std::fill(panel + q * pair_values + 2 * width, panel + (q + 1) * pair_values, uint16_t{0});
}

// The panels of `packed` (k, n set) allocated, reusing its memory; each `pack(p, dst, j0, width)`
// on the threads.
template <class PackPanel>
void pack_panels_bf16(PackedBf16& packed, PackPanel&& pack) {
  const int64_t panel_size = packed.padded_k() * kBf16PanelWidth;
  const size_t need = static_cast<size_t>(packed.panels() * panel_size);
  if (packed.data.size() < need) packed.data.resize(need);
  parallel_for(static_cast<size_t>(packed.panels()), [&](size_t begin, size_t end) {
    for (int64_t p = static_cast<int64_t>(begin); p < static_cast<int64_t>(end); ++p) {
      const int64_t j0 = p * kBf16PanelWidth, width = std::min(kBf16PanelWidth, packed.n - j0);
      uint16_t* dst = packed.data.data() + p * panel_size;
      zero_padding(dst, packed, width);
      pack(dst, j0, width);
    }
  });
}

}  // namespace

void pack_bf16_weight(PackedBf16& packed, const uint16_t* weight, int64_t in, int64_t out) {
  packed.k = in, packed.n = out;
  pack_panels_bf16(packed, [&](uint16_t* dst, int64_t j0, int64_t width) {
    // Column j's pair q of k is one 32-bit word of its row of W, read along the row.
    const int64_t pairs = in / 2;
    for (int64_t j = 0; j < width; ++j)
      for (int64_t q = 0; q < pairs; ++q)
        std::memcpy(dst + q * 2 * kBf16PanelWidth + 2 * j, weight + (j0 + j) * in + 2 * q, 4);
    if (in % 2 == 0) return;
    for (int64_t j = 0; j < width; ++j) {  // an odd k: the last pair is (w[j][k - 1], 0)
      uint16_t* last = dst + pairs * 2 * kBf16PanelWidth + 2 * j;
      last[0] = weight[(j0 + j) * in + in - 1], last[1] = 0;
    }
  });
}

void pack_bf16_transposed(PackedBf16& packed, const uint16_t* weight, int64_t in, int64_t out) {
  packed.k = out, packed.n = in;
  pack_panels_bf16(packed, [&](uint16_t* dst, int64_t j0, int64_t width) {
    for (int64_t q = 0; q < (out + 1) / 2; ++q) {  // the pair (2q, 2q + 1) of k: rows 2q and 2q + 1 of W
      const uint16_t* even = weight + 2 * q * in + j0;
      const uint16_t* odd = 2 * q + 1 < out ? even + in : nullptr;
      uint32_t pairs[kBf16PanelWidth];
      for (int64_t j = 0; j < width; ++j) pairs[j] = even[j] | (odd ? uint32_t{odd[j]} << 16 : 0u);
      std::memcpy(dst + q * 2 * kBf16PanelWidth, pairs, static_cast<size_t>(width) * sizeof(uint32_t));
    }
  });
}

void pack_bf16_rounded(PackedBf16& packed, MatrixView w, int64_t k, int64_t n) {
  packed.k = k, packed.n = n;
  const int64_t panel_size = packed.padded_k() * kBf16PanelWidth, pairs = packed.padded_k() / 2;
  const size_t need = static_cast<size_t>(packed.panels() * panel_size);
  if (packed.data.size() < need) packed.data.resize(need);
  const bool avx512 = isa_level() >= IsaLevel::avx512, vector_rows = avx512 && w.row_stride == 1;
  parallel_for(static_cast<size_t>(packed.panels()), [&](size_t begin, size_t end) {
    for (int64_t p = static_cast<int64_t>(begin); p < static_cast<int64_t>(end); ++p) {
      const int64_t j0 = p * kBf16PanelWidth, width = std::min(kBf16PanelWidth, n - j0);
#if defined(__x86_64__)
      if (avx512 && w.col_stride == 1) {  // each column's k contiguous (nn.Linear's W)
        uint16_t* dst = packed.data.data() + p * panel_size;
        if (width < kBf16PanelWidth) std::fill(dst, dst + panel_size, uint16_t{0});
        for (int64_t j = 0; j < width; ++j)
          bf16::pack_column_avx512(dst + 2 * j, w.data + (j0 + j) * w.row_stride, k, pairs);
        continue;
      }
#endif
      for (int64_t q = 0; q < pairs; ++q) {  // the pair (2q, 2q + 1) of k of every column
        uint16_t* dst = packed.data.data() + p * panel_size + q * 2 * kBf16PanelWidth;
        const float* even = 2 * q < k ? w.data + j0 * w.row_stride + 2 * q * w.col_stride : nullptr;
        const float* odd = 2 * q + 1 < k ? even + w.col_stride : nullptr;
#if defined(__x86_64__)
        if (vector_rows) {
          bf16::pack_pair_avx512(dst, even, odd, width);
          continue;
        }
#endif
        for (int64_t j = 0; j < kBf16PanelWidth; ++j) {
          dst[2 * j] = even && j < width ? tensor::f32_to_bf16(even[j * w.row_stride]) : 0;
          dst[2 * j + 1] = odd && j < width ? tensor::f32_to_bf16(odd[j * w.row_stride]) : 0;
        }
      }
    }
  });
}

void unpack_bf16_rows(float* out, const PackedBf16& w, const int32_t* ids, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t j = ids[r];
    const uint16_t* column = w.panel(j / kBf16PanelWidth) + 2 * (j % kBf16PanelWidth);
    float* dst = out + r * w.k;
    for (int64_t k = 0; k < w.k; ++k) dst[k] = tensor::bf16_to_f32(column[(k / 2) * 2 * kBf16PanelWidth + k % 2]);
  }
}

void gemm_bf16(float* out, const float* a, const PackedBf16& w, int64_t rows) {
  gemm_bf16(out, a, w.k, w, rows, isa_level());
}

void gemm_bf16(float* out, const float* a, const PackedBf16& w, int64_t rows, IsaLevel level) {
  gemm_bf16(out, a, w.k, w, rows, level);
}

namespace {

// One cache line more than k per row of rounded A: with rows a power of two of bytes apart (k =
// 2048), the 12 rows a micro-tile reads would share one set of the L1 cache and evict each other.
int64_t rounded_stride(const PackedBf16& w) { return w.padded_k() + kBf16Depth; }

// False when there is nothing to multiply (out filled); fails for a level above the CPU's.
bool start_product(float* out, const PackedBf16& w, int64_t rows, IsaLevel level) {
  if (level > detected_isa())
    fail_internal(fmt::format("gemm_bf16: level {} is above this CPU's {}", isa_name(level), isa_name(detected_isa())));
  if (rows <= 0 || w.n <= 0) return false;
  if (w.k > 0) return true;
  std::fill(out, out + rows * w.n, 0.0f);
  return false;
}

// out = rounded A (rows lda apart) · W on the tasks of task_grid.
void run_tasks(float* out, const std::byte* rounded, int64_t lda, const PackedBf16& w, int64_t rows, IsaLevel level) {
  const TaskGrid grid = task_grid(rows, w.panels(), num_threads());
  parallel_for(static_cast<size_t>(grid.m_blocks * grid.n_chunks), [&](size_t begin, size_t end) {
    for (int64_t t = static_cast<int64_t>(begin); t < static_cast<int64_t>(end); ++t) {
      const int64_t mb = t / grid.n_chunks, nb = t % grid.n_chunks, panels = w.panels();
      const int64_t i0 = mb * grid.block_rows, i1 = std::min(rows, i0 + grid.block_rows);
      run_block(level,
                {out, w.n, rounded, lda, w, i0, i1, panels * nb / grid.n_chunks, panels * (nb + 1) / grid.n_chunks});
    }
  });
}

}  // namespace

void gemm_bf16(float* out, const float* a, int64_t a_stride, const PackedBf16& w, int64_t rows, IsaLevel level) {
  if (!start_product(out, w, rows, level)) return;
  const int64_t lda = rounded_stride(w);
  run_tasks(out, round_a(level, a, a_stride, rows, w.k, lda), lda, w, rows, level);
}

void gemm_bf16_transposed_a(float* out, const float* a_t, int64_t a_t_stride, const PackedBf16& w, int64_t rows,
                            IsaLevel level) {
  if (!start_product(out, w, rows, level)) return;
  const int64_t lda = rounded_stride(w);
  run_tasks(out, round_a_transposed(level, a_t, a_t_stride, rows, w.k, lda), lda, w, rows, level);
}

}  // namespace aha::backend::cpu
