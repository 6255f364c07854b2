#include "aha/tensor/matmul.hpp"

#include "aha/base/threads.hpp"

namespace aha::tensor {
namespace {

constexpr int kLanes = 16;  // independent partial sums: one AVX-512 register of floats
constexpr int kRowBlock = 4;

// Dot products of `nrows` activation rows with one weight row; the same summation order
// (kLanes strided partial sums, then a pairwise fold, then the tail) for every caller.
template <int nrows>
void dot_rows(float* sums, const float* const* a, const float* w, int64_t n) {
  float acc[nrows][kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (int r = 0; r < nrows; ++r)
      for (int l = 0; l < kLanes; ++l) acc[r][l] += a[r][k + l] * w[k + l];
  for (int r = 0; r < nrows; ++r) {
    for (int width = kLanes / 2; width > 0; width /= 2)
      for (int l = 0; l < width; ++l) acc[r][l] += acc[r][l + width];
    float s = acc[r][0];
    for (int64_t t = k; t < n; ++t) s += a[r][t] * w[t];
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
