#include "aha/backend/cpu/matmul_bf16.hpp"

#include <algorithm>
#include <vector>

#include "aha/backend/cpu/gemm_bf16.hpp"
#include "aha/backend/cpu/isa.hpp"
#include "aha/backend/cpu/matmul.hpp"
#include "aha/base/threads.hpp"

namespace aha::backend::cpu {
namespace {

// Buffers of the calling thread that later calls reuse (training calls with the same shapes).
struct Bf16Scratch {
  PackedBf16 packed;
  AlignedFloats product;
};

Bf16Scratch& scratch() {
  thread_local Bf16Scratch s;
  return s;
}

// v's memory for at least n floats, grown but never shrunk or refilled: calls alternate shapes.
float* at_least(AlignedFloats& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  return v.data();
}

// sum (n) += addend (n), threaded.
void add_into(float* sum, const float* addend, int64_t n) {
  parallel_for(static_cast<size_t>(n), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) sum[i] += addend[i];
  });
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
    float* product = at_least(s.product, rows * in);
    gemm_bf16(product, dout, s.packed, rows);
    add_into(dinp, product, rows * in);
  }
  if (dweight) {  // dW (out, in) += doutᵀ (out, rows) · inp (rows, in): B = inpᵀ (in, rows)
    pack_bf16_rounded(s.packed, {inp, 1, in}, rows, in);
    float* product = at_least(s.product, out_dim * in);
    gemm_bf16_transposed_a(product, dout, out_dim, s.packed, out_dim, isa_level());
    add_into(dweight, product, out_dim * in);
  }
  if (dbias) matmul_backward(nullptr, nullptr, dbias, dout, inp, weight, rows, in, out_dim);
}

}  // namespace aha::backend::cpu
