#include "aha/tensor/matmul.hpp"

#include <algorithm>
#include <cmath>

#include "aha/base/threads.hpp"
#include "aha/tensor/simd.hpp"

namespace aha::tensor {
namespace {

constexpr int kRowTile = 4;     // activation rows per register tile
constexpr int kWeightTile = 4;  // weight rows per register tile

// A tile of nr activation rows x nw weight rows: nr * nw dot products of length n, each in
// simd::dot's order (lane-wise fused multiply-adds, a fixed fold, then the tail), so a result
// does not depend on the tile it was computed in. out[r * ld + j] = a[r] · w[j] + bias[j].
template <int nr, int nw>
void tile(float* out, int64_t ld, const float* const* a, const float* const* w, const float* bias,
          int64_t n) {
  simd::F32x16 acc[nr][nw];
  for (int r = 0; r < nr; ++r)
    for (int j = 0; j < nw; ++j) acc[r][j] = simd::zero();
  int64_t k = 0;
  for (; k + simd::kLanes <= n; k += simd::kLanes) {
    simd::F32x16 wv[nw];
    for (int j = 0; j < nw; ++j) wv[j] = simd::load(w[j] + k);
    for (int r = 0; r < nr; ++r) {
      const simd::F32x16 av = simd::load(a[r] + k);
      for (int j = 0; j < nw; ++j) acc[r][j] = simd::fma(av, wv[j], acc[r][j]);
    }
  }
  for (int r = 0; r < nr; ++r)
    for (int j = 0; j < nw; ++j) {
      float s = simd::sum(acc[r][j]);
      for (int64_t t = k; t < n; ++t) s = std::fma(a[r][t], w[j][t], s);
      out[r * ld + j] = s + (bias ? bias[j] : 0.0f);
    }
}

template <int nr>
void tile_rows(int nw, float* out, int64_t ld, const float* const* a, const float* const* w,
               const float* bias, int64_t n) {
  switch (nw) {
    case 4: tile<nr, 4>(out, ld, a, w, bias, n); break;
    case 3: tile<nr, 3>(out, ld, a, w, bias, n); break;
    case 2: tile<nr, 2>(out, ld, a, w, bias, n); break;
    default: tile<nr, 1>(out, ld, a, w, bias, n); break;
  }
}

void tile_any(int nr, int nw, float* out, int64_t ld, const float* const* a, const float* const* w,
              const float* bias, int64_t n) {
  switch (nr) {
    case 4: tile_rows<4>(nw, out, ld, a, w, bias, n); break;
    case 3: tile_rows<3>(nw, out, ld, a, w, bias, n); break;
    case 2: tile_rows<2>(nw, out, ld, a, w, bias, n); break;
    default: tile_rows<1>(nw, out, ld, a, w, bias, n); break;
  }
}

}  // namespace

void matmul_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int64_t rows, int64_t in, int64_t out_dim) {
  // Each thread takes whole blocks of kWeightTile weight rows and runs every activation row
  // against a block while it is in cache: the weights are read from memory once per call.
  const int64_t blocks = (out_dim + kWeightTile - 1) / kWeightTile;
  parallel_for(static_cast<size_t>(blocks), [&](size_t begin, size_t end) {
    for (int64_t b = static_cast<int64_t>(begin); b < static_cast<int64_t>(end); ++b) {
      const int64_t j0 = b * kWeightTile;
      const int nw = static_cast<int>(std::min<int64_t>(kWeightTile, out_dim - j0));
      const float* w[kWeightTile];
      for (int j = 0; j < nw; ++j) w[j] = weight + (j0 + j) * in;
      for (int64_t r0 = 0; r0 < rows; r0 += kRowTile) {
        const int nr = static_cast<int>(std::min<int64_t>(kRowTile, rows - r0));
        const float* a[kRowTile];
        for (int r = 0; r < nr; ++r) a[r] = inp + (r0 + r) * in;
        tile_any(nr, nw, out + r0 * out_dim + j0, out_dim, a, w, bias ? bias + j0 : nullptr, in);
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
