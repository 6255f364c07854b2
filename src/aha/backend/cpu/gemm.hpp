// A packed, cache-blocked matrix product in the style of BLIS: B is packed into panels of
// kPanelWidth columns, A into micro-panels of a few rows, and a register-tiled microkernel
// broadcasts elements of A against rows of a B panel.
//
// Summation order: every element C[i][j] is one chain of fused multiply-adds over k = 0, 1, ...,
// K-1 in order, started from 0 (or from C[i][j] when accumulating), with the bias added after
// the chain. The order does not depend on M, on the tile or block an element falls in, or on
// the thread count, so a row computed alone is bit-identical to the same row in a batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "aha/backend/cpu/level.hpp"

namespace aha::backend::cpu {

// Columns of B per packed panel (two 16-lane vectors).
constexpr int64_t kPanelWidth = 32;

// Allocates on 64-byte boundaries, so that packed panels start on cache lines.
template <class T>
struct CacheAligned {
  using value_type = T;
  CacheAligned() = default;
  template <class U>
  CacheAligned(const CacheAligned<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{64}); }
  friend bool operator==(const CacheAligned&, const CacheAligned&) { return true; }
};
using AlignedFloats = std::vector<float, CacheAligned<float>>;

// A matrix read through strides: element (i, j) is data[i * row_stride + j * col_stride].
struct MatrixView {
  const float* data;
  int64_t row_stride, col_stride;
};

// B (k, n) in panels: panel p holds columns p*kPanelWidth .. +kPanelWidth for every k, row
// after row, zero-padded past n. Element (k, j) of panel p is at p*k*kPanelWidth + k*kPanelWidth + j.
struct PackedPanels {
  int64_t k = 0, n = 0;
  AlignedFloats data;
  int64_t panels() const { return (n + kPanelWidth - 1) / kPanelWidth; }
  const float* panel(int64_t p) const { return data.data() + p * k * kPanelWidth; }
};

}  // namespace aha::backend::cpu

namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {

// Packs B (k, n), read through `b`, into panels (threaded).
void pack_panels(PackedPanels& out, MatrixView b, int64_t k, int64_t n);

// The weight of an nn.Linear, W (n, k) row-major, packed as B = Wᵀ (k, n).
PackedPanels pack_linear_weight(const float* weight, int64_t in, int64_t out);

// C (m, b.n; row stride ldc) = (accumulate ? C : 0) + A (m, b.k) · B, then + bias (b.n) when
// bias is not null. Threaded with parallel_for.
void gemm(float* c, int64_t ldc, MatrixView a, const PackedPanels& b, int64_t m, const float* bias, bool accumulate);

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
