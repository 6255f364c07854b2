#include "aha/tensor/matmul.hpp"

#include <cmath>

#include "aha/base/threads.hpp"
#include "aha/tensor/simd.hpp"

namespace aha::tensor {
namespace {

constexpr int kRowBlock = 4;

// Dot products of `nrows` activation rows with one weight row, each in simd::dot's order
// (lane-wise fused multiply-adds, a fixed fold, then the tail), whatever nrows is.
template <int nrows>
void dot_rows(float* sums, const float* const* a, const float* w, int64_t n) {
  simd::F32x16 acc[nrows];
  for (int r = 0; r < nrows; ++r) acc[r] = simd::zero();
  int64_t k = 0;
  for (; k + simd::kLanes <= n; k += simd::kLanes) {
    const simd::F32x16 wv = simd::load(w + k);
    for (int r = 0; r < nrows; ++r) acc[r] = simd::fma(simd::load(a[r] + k), wv, acc[r]);
  }
  for (int r = 0; r < nrows; ++r) {
    float s = simd::sum(acc[r]);
    for (int64_t t = k; t < n; ++t) s = std::fma(a[r][t], w[t], s);
    sums[r] = s;
  }
}

}  // namespace

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int64_t rows, int64_t in, int64_t out_dim) {
  parallel_for(static_cast<size_t>(out_dim), [&](size_t begin, size_t end) {
    for (int64_t r0 = 0; r0 < rows; r0 += kRowBlock) {
      const int64_t nr = rows - r0 < kRowBlock ? rows - r0 : kRowBlock;
      const float* a[kRowBlock];
      for (int64_t r = 0; r < nr; ++r) a[r] = inp + (r0 + r) * in;
      for (size_t j = begin; j < end; ++j) {
        float sums[kRowBlock];
        const float* w = weight + static_cast<int64_t>(j) * in;
        switch (nr) {
          case 4: dot_rows<4>(sums, a, w, in); break;
          case 3: dot_rows<3>(sums, a, w, in); break;
          case 2: dot_rows<2>(sums, a, w, in); break;
          default: dot_rows<1>(sums, a, w, in); break;
        }
        const float b = bias ? bias[j] : 0.0f;
        for (int64_t r = 0; r < nr; ++r) out[(r0 + r) * out_dim + static_cast<int64_t>(j)] = sums[r] + b;
      }
    }
  });
}

void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t rows, int64_t in, int64_t out_dim) {
  if (dinp)
    parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        float* di = dinp + static_cast<int64_t>(r) * in;
        const float* d = dout + static_cast<int64_t>(r) * out_dim;
        for (int64_t j = 0; j < out_dim; ++j) {
          const float g = d[j];
          const float* w = weight + j * in;
          for (int64_t k = 0; k < in; ++k) di[k] += g * w[k];
        }
      }
    });
  if (dweight || dbias)
    parallel_for(static_cast<size_t>(out_dim), [&](size_t begin, size_t end) {
      for (size_t j = begin; j < end; ++j) {
        float* dw = dweight ? dweight + static_cast<int64_t>(j) * in : nullptr;
        float bias_sum = 0.0f;
        for (int64_t r = 0; r < rows; ++r) {
          const float g = dout[r * out_dim + static_cast<int64_t>(j)];
          bias_sum += g;
          if (!dw) continue;
          const float* x = inp + r * in;
          for (int64_t k = 0; k < in; ++k) dw[k] += g * x[k];
        }
        if (dbias) dbias[j] += bias_sum;
      }
    });
}

void matmul_forward_reference(float* out, const float* inp, const float* weight, const float* bias,
                              int64_t rows, int64_t in, int64_t out_dim) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < out_dim; ++j) {
      double s = bias ? bias[j] : 0.0;
      for (int64_t k = 0; k < in; ++k) s += static_cast<double>(inp[r * in + k]) * weight[j * in + k];
      out[r * out_dim + j] = static_cast<float>(s);
    }
}

}  // namespace aha::tensor
