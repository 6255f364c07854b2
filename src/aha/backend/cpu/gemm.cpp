#include "aha/backend/cpu/gemm.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "aha/backend/cpu/simd.hpp"
#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

// MR: rows of A per micro-panel, as many as keep a tile's accumulators in registers: 12 rows of
// 2 vectors take 24 of the 32 AVX-512 registers, 3 rows of 4 AVX2 halves 12 of the 16.
#if defined(AHA_SIMD_AVX512)
constexpr int kMaxRows = 12;
#else
constexpr int kMaxRows = 3;
#endif
constexpr int64_t kDepth = 256;      // KC: k per block (a B micro-panel of 32 KB stays in L1)
constexpr int64_t kBlockRows = 144;  // MC: rows of A per packed block (L2-resident)
constexpr int kHalf = simd::kLanes;  // a panel row is two vectors

// C tile (mr, np panels) over kc steps of k: acc[i][v] = fma(a[i][k], b[k][v], acc[i][v]) for
// k in order, from C (`load`) or from 0; then + bias (np * kPanelWidth values) when given.
// a[i][k] is at a[i * a_row + k * a_k]; panel q of b starts at b + q * b_panel.
template <int mr, int np>
void kernel(int64_t kc, const float* a, int64_t a_row, int64_t a_k, const float* b, int64_t b_panel, float* c,
            int64_t ldc, bool load, const float* bias) {
  constexpr int nv = 2 * np;
  simd::F32x16 acc[mr][nv];
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < nv; ++v)
      acc[i][v] = load ? simd::load(c + i * ldc + (v / 2) * kPanelWidth + (v % 2) * kHalf) : simd::zero();
  for (int64_t k = 0; k < kc; ++k) {
    simd::F32x16 bv[nv];
    for (int v = 0; v < nv; ++v) bv[v] = simd::load(b + (v / 2) * b_panel + k * kPanelWidth + (v % 2) * kHalf);
    for (int i = 0; i < mr; ++i) {
      const simd::F32x16 av = simd::broadcast(a[i * a_row + k * a_k]);
      for (int v = 0; v < nv; ++v) acc[i][v] = simd::fma(av, bv[v], acc[i][v]);
    }
  }
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < nv; ++v) {
      simd::F32x16 r = acc[i][v];
      if (bias) r = simd::add(r, simd::load(bias + v * kHalf));
      simd::store(c + i * ldc + (v / 2) * kPanelWidth + (v % 2) * kHalf, r);
    }
}

using Kernel = void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, bool,
                        const float*);

template <int np, int... mr>
constexpr std::array<Kernel, sizeof...(mr)> kernels_for(std::integer_sequence<int, mr...>) {
  return {&kernel<mr + 1, np>...};
}
// kKernels[np index][mr - 1], np = 1, 2, 4 panels at once.
const std::array<std::array<Kernel, kMaxRows>, 3> kKernels = {
    kernels_for<1>(std::make_integer_sequence<int, kMaxRows>{}),
    kernels_for<2>(std::make_integer_sequence<int, kMaxRows>{}),
    kernels_for<4>(std::make_integer_sequence<int, kMaxRows>{})};

// Panels a tile of `mr` rows takes at once: enough accumulators to hide the FMA latency,
// few enough to stay in registers.
int panels_per_tile(int mr, int64_t left) {
  if (mr <= kMaxRows / 6 && left >= 4) return 4;
  if (mr <= kMaxRows / 2 && left >= 2) return 2;
  return 1;
}

// One tile; a tile that reaches past column n runs on a zero-padded copy of C.
void tile(int mr, int np, int64_t kc, const float* a, int64_t a_row, int64_t a_k, const float* b, int64_t b_panel,
          float* c, int64_t ldc, int64_t width, bool load, const float* bias) {
  const Kernel f = kKernels[np == 4 ? 2 : np - 1][mr - 1];
  const int64_t full = np * kPanelWidth;
  if (width == full) return f(kc, a, a_row, a_k, b, b_panel, c, ldc, load, bias);
  alignas(64) float buf[kMaxRows * 4 * kPanelWidth] = {};
  alignas(64) float padded_bias[4 * kPanelWidth] = {};
  for (int i = 0; i < mr && load; ++i) std::copy_n(c + i * ldc, width, buf + i * full);
  if (bias) std::copy_n(bias, width, padded_bias);
  f(kc, a, a_row, a_k, b, b_panel, buf, full, load, bias ? padded_bias : nullptr);
  for (int i = 0; i < mr; ++i) std::copy_n(buf + i * full, width, c + i * ldc);
}

// Packs A rows [i0, i1) x k [k0, k0 + kc) into micro-panels of kMaxRows rows: element (r, k)
// of micro-panel q at q * kc * kMaxRows + k * kMaxRows + r, zero past the last row.
void pack_a(float* out, MatrixView a, int64_t i0, int64_t i1, int64_t k0, int64_t kc) {
  for (int64_t q = 0; q * kMaxRows < i1 - i0; ++q) {
    float* p = out + q * kc * kMaxRows;
    const int64_t r0 = i0 + q * kMaxRows, rows = std::min<int64_t>(kMaxRows, i1 - r0);
    if (rows < kMaxRows) std::fill(p, p + kc * kMaxRows, 0.0f);
    if (a.col_stride == 1) {
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = a.data + (r0 + r) * a.row_stride + k0;
        for (int64_t k = 0; k < kc; ++k) p[k * kMaxRows + r] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = a.data + (k0 + k) * a.col_stride + r0 * a.row_stride;
        for (int64_t r = 0; r < rows; ++r) p[k * kMaxRows + r] = src[r * a.row_stride];
      }
    }
  }
}

// C rows [i0, i1) x panels [p0, p1): the BLIS loops over k blocks, panels and micro-panels.
void block(float* c, int64_t ldc, MatrixView a, const PackedPanels& b, int64_t i0, int64_t i1, int64_t p0, int64_t p1,
           const float* bias, bool accumulate, bool pack) {
  thread_local AlignedFloats packed;
  // Rows read in place take all of k at once: each panel is then read front to back, one
  // stream per panel, which is what matters when B comes from DRAM (decode).
  const int64_t depth = pack ? kDepth : b.k;
  for (int64_t k0 = 0; k0 < b.k; k0 += depth) {
    const int64_t kc = std::min(depth, b.k - k0);
    const float* a0;
    int64_t a_row, a_k, a_step;  // a_step: from one micro-panel to the next
    if (pack) {
      const size_t need = static_cast<size_t>(((i1 - i0 + kMaxRows - 1) / kMaxRows) * kMaxRows * kc);
      if (packed.size() < need) packed.resize(need);
      pack_a(packed.data(), a, i0, i1, k0, kc);
      a0 = packed.data(), a_row = 1, a_k = kMaxRows, a_step = kc * kMaxRows;
    } else {
      a0 = a.data + i0 * a.row_stride + k0 * a.col_stride;
      a_row = a.row_stride, a_k = a.col_stride, a_step = kMaxRows * a.row_stride;
    }
    const bool load = accumulate || k0 > 0, last = k0 + kc == b.k;
    for (int64_t p = p0; p < p1;) {
      const int np = panels_per_tile(static_cast<int>(std::min<int64_t>(kMaxRows, i1 - i0)), p1 - p);
      const int64_t col = p * kPanelWidth, width = std::min(np * kPanelWidth, b.n - col);
      const float* bp = b.panel(p) + k0 * kPanelWidth;
      for (int64_t i = i0, q = 0; i < i1; i += kMaxRows, ++q) {
        const int mr = static_cast<int>(std::min<int64_t>(kMaxRows, i1 - i));
        tile(mr, np, kc, a0 + q * a_step, a_row, a_k, bp, b.k * kPanelWidth, c + i * ldc + col, ldc, width, load,
             last && bias ? bias + col : nullptr);
      }
      p += np;
    }
  }
}

}  // namespace

void pack_panels(PackedPanels& out, MatrixView b, int64_t k, int64_t n) {
  out.k = k;
  out.n = n;
  const size_t need = static_cast<size_t>(out.panels() * k * kPanelWidth);
  if (out.data.size() < need) out.data.resize(need);
  parallel_for(static_cast<size_t>(out.panels()), [&](size_t begin, size_t end) {
    for (int64_t p = static_cast<int64_t>(begin); p < static_cast<int64_t>(end); ++p) {
      float* dst = out.data.data() + p * k * kPanelWidth;
      const int64_t j0 = p * kPanelWidth, width = std::min(kPanelWidth, n - j0);
      if (width < kPanelWidth) std::fill(dst, dst + k * kPanelWidth, 0.0f);
      if (b.row_stride == 1) {  // columns of B are contiguous (B = Wᵀ)
        for (int64_t j = 0; j < width; ++j) {
          const float* src = b.data + (j0 + j) * b.col_stride;
          for (int64_t kk = 0; kk < k; ++kk) dst[kk * kPanelWidth + j] = src[kk];
        }
      } else {
        for (int64_t kk = 0; kk < k; ++kk) {
          const float* src = b.data + kk * b.row_stride + j0 * b.col_stride;
          for (int64_t j = 0; j < width; ++j) dst[kk * kPanelWidth + j] = src[j * b.col_stride];
        }
      }
    }
  });
}

PackedPanels pack_linear_weight(const float* weight, int64_t in, int64_t out) {
  PackedPanels packed;
  pack_panels(packed, {weight, 1, in}, in, out);
  return packed;
}

void gemm(float* c, int64_t ldc, MatrixView a, const PackedPanels& b, int64_t m, const float* bias, bool accumulate) {
  if (m <= 0 || b.n <= 0) return;
  if (b.k == 0) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < b.n; ++j) {
        const float base = accumulate ? c[i * ldc + j] : 0.0f;
        c[i * ldc + j] = bias ? base + bias[j] : base;
      }
    return;
  }
  // A few row-major rows are read in place; more rows, or a transposed A, are packed.
  const bool pack = m > kMaxRows || a.col_stride != 1;
  const int64_t m_blocks = (m + kBlockRows - 1) / kBlockRows, panels = b.panels();
  const int64_t n_chunks = std::clamp<int64_t>((4 * num_threads() + m_blocks - 1) / m_blocks, 1, panels);
  parallel_for(static_cast<size_t>(m_blocks * n_chunks), [&](size_t begin, size_t end) {
    for (int64_t t = static_cast<int64_t>(begin); t < static_cast<int64_t>(end); ++t) {
      const int64_t mb = t / n_chunks, nb = t % n_chunks;
      const int64_t i0 = mb * kBlockRows, i1 = std::min(m, i0 + kBlockRows);
      block(c, ldc, a, b, i0, i1, panels * nb / n_chunks, panels * (nb + 1) / n_chunks, bias, accumulate, pack);
    }
  });
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
