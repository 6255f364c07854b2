#include "aha/backend/cpu/matmul_bf16.hpp"

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

// a (rows, cols) transposed into `out` (cols, rows).
void transpose(AlignedFloats& out, const float* a, int64_t rows, int64_t cols) {
  out.resize(static_cast<size_t>(rows * cols));
  parallel_for(static_cast<size_t>(cols), [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j)
      for (int64_t r = 0; r < rows; ++r) out[j * rows + r] = a[r * cols + static_cast<int64_t>(j)];
  });
}

}  // namespace

void matmul_forward_bf16(float* out, const float* inp, const float* weight, const float* bias, int64_t rows,
                         int64_t in, int64_t out_dim) {
  Bf16Scratch& s = scratch();
  pack_bf16_rounded(s.packed, {weight, in, 1}, in, out_dim);
  gemm_bf16(out, inp, s.packed, rows);
  for (int64_t r = 0; bias && r < rows; ++r)
    for (int64_t j = 0; j < out_dim; ++j) out[r * out_dim + j] += bias[j];
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
    transpose(s.transposed, dout, rows, out_dim);
    s.product.resize(static_cast<size_t>(out_dim * in));
    gemm_bf16(s.product.data(), s.transposed.data(), s.packed, out_dim);
    add_into(dweight, s.product.data(), out_dim * in);
  }
  if (dbias) matmul_backward(nullptr, nullptr, dbias, dout, inp, weight, rows, in, out_dim);
}

}  // namespace aha::backend::cpu
