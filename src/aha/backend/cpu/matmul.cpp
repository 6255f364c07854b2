#include "aha/backend/cpu/matmul.hpp"

#include <algorithm>
#include <vector>

#include "aha/backend/cpu/gemm.hpp"
#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

// Packing buffers reused across calls of the calling thread (a large B is tens of MB: reusing
// it spares the page faults of a fresh allocation every call).
PackedPanels& scratch_panels() {
  thread_local PackedPanels panels;
  return panels;
}

}  // namespace

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                    int64_t out_dim) {
  PackedPanels& w = scratch_panels();
  pack_panels(w, {weight, 1, in}, in, out_dim);
  gemm(out, out_dim, {inp, in, 1}, w, rows, bias, false);
}

void matmul_forward_packed(float* out, const float* inp, const PackedPanels& weight, const float* bias, int64_t rows) {
  gemm(out, weight.n, {inp, weight.k, 1}, weight, rows, bias, false);
}

void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t rows, int64_t in, int64_t out_dim) {
  PackedPanels& b = scratch_panels();
  if (dinp) {  // dinp (rows, in) += dout (rows, out) · W (out, in)
    pack_panels(b, {weight, in, 1}, out_dim, in);
    gemm(dinp, in, {dout, out_dim, 1}, b, rows, nullptr, true);
  }
  if (dweight) {  // dW (out, in) += doutᵀ (out, rows) · inp (rows, in)
    pack_panels(b, {inp, in, 1}, rows, in);
    gemm(dweight, in, {dout, 1, out_dim}, b, out_dim, nullptr, true);
  }
  if (dbias) {  // column sums, each summed over rows in order
    std::vector<float> sums(static_cast<size_t>(out_dim));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < out_dim; ++j) sums[j] += dout[r * out_dim + j];
    for (int64_t j = 0; j < out_dim; ++j) dbias[j] += sums[j];
  }
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
