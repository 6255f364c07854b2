#include "aha/backend/cpu/matmul_bf16.hpp"

#include <algorithm>
#include <vector>

#include "aha/backend/cpu/gemm_bf16.hpp"
#include "aha/backend/cpu/matmul.hpp"
#include "aha/base/threads.hpp"

namespace aha::backend::cpu {
namespace {

// Buffers of the calling thread that later calls reuse (training calls with the same shapes).
struct Bf16Scratch {
  PackedBf16 packed;
  AlignedFloats product, transposed;
};

Bf16Scratch& scratch() {
  thread_local Bf16Scratch s;
  return s;
}

// sum (n) += addend (n), threaded.
void add_into(float* sum, const float* addend, int64_t n) {
  parallel_for(static_cast<size_t>(n), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) sum[i] += addend[i];
  });
}

// a (rows, cols) transposed into `out` (cols, rows + padding) in tiles that stay in the L1
// cache; returns the row stride. (The padding keeps the rows off a power of two of bytes apart,
// where the tile's 32 rows would share one set of the cache and evict each other.)
int64_t transpose(AlignedFloats& out, const float* a, int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 32;
  const int64_t stride = rows + 16;
  out.resize(static_cast<size_t>(stride * cols));
  float* dst = out.data();
  parallel_for(static_cast<size_t>((cols + kTile - 1) / kTile), [&](size_t begin, size_t end) {
    for (int64_t j0 = static_cast<int64_t>(begin) * kTile; j0 < std::min(cols, static_cast<int64_t>(end) * kTile);
         j0 += kTile)
      for (int64_t r0 = 0; r0 < rows; r0 += kTile)
        for (int64_t j = j0; j < std::min(cols, j0 + kTile); ++j)
          for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r) dst[j * stride + r] = a[r * cols + j];
  });
  return stride;
}

}  // namespace

void matmul_forward_bf16(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                         int64_t out_dim) {
  Bf16Scratch& s = scratch();
  pack_bf16_rounded(s.packed, {weight, in, 1}, in, out_dim);
  matmul_forward_bf16_packed(out, inp, s.packed, bias, rows);
}

void matmul_forward_bf16_packed(float* out, const float* inp, const PackedBf16& weight, const float* bias,
                                int64_t rows) {
  gemm_bf16(out, inp, weight, rows);
  for (int64_t r = 0; bias && r < rows; ++r)
    for (int64_t j = 0; j < weight.n; ++j) out[r * weight.n + j] += bias[j];
}

void matmul_backward_bf16(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                          const float* weight, int64_t rows, int64_t in, int64_t out_dim) {
  Bf16Scratch& s = scratch();
  if (dinp) {  // dinp (rows, in) += dout (rows, out) · W: B = Wᵀ (in, out) read through W
    pack_bf16_rounded(s.packed, {weight, 1, in}, out_dim, in);
    s.product.resize(static_cast<size_t>(rows * in));
    gemm_bf16(s.product.data(), dout, s.packed, rows);
    add_into(dinp, s.product.data(), rows * in);
  }
  if (dweight) {  // dW (out, in) += doutᵀ (out, rows) · inp (rows, in): B = inpᵀ (in, rows)
    pack_bf16_rounded(s.packed, {inp, 1, in}, rows, in);
    const int64_t stride = transpose(s.transposed, dout, rows, out_dim);
    s.product.resize(static_cast<size_t>(out_dim * in));
    gemm_bf16(s.product.data(), s.transposed.data(), stride, s.packed, out_dim, isa_level());
    add_into(dweight, s.product.data(), out_dim * in);
  }
  if (dbias) matmul_backward(nullptr, nullptr, dbias, dout, inp, weight, rows, in, out_dim);
}

}  // namespace aha::backend::cpu
