// Matrix product speed: GFLOPS of matmul_forward and matmul_backward on the shapes of the
// training and generation workloads, against the machine's fp32 peak measured in the same run
// (independent fused multiply-adds on registers, every thread). One-row shapes are decode:
// bound by reading the weights, so their packed column is the one that matters.
//   build/bench/matmul_bench [--quick]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include "aha/backend/cpu/matmul.hpp"
#include "aha/backend/cpu/simd.hpp"
#include "aha/base/threads.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace aha;
using namespace aha::backend::cpu;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// FLOPS of 24 independent FMA chains per thread (enough to hide the FMA latency).
double fp32_peak() {
  constexpr int kChains = 24;
  constexpr int64_t kSteps = 20'000'000;
  std::vector<float> sink(static_cast<size_t>(num_threads()));
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    auto t = Clock::now();
    parallel_for(sink.size(), [&](size_t begin, size_t end) {
      simd::F32x16 acc[kChains];
      for (int i = 0; i < kChains; ++i) acc[i] = simd::broadcast(static_cast<float>(begin + i));
      const simd::F32x16 x = simd::broadcast(0.999999f), y = simd::broadcast(1e-7f);
      for (int64_t s = 0; s < kSteps; ++s) {
#pragma GCC unroll 32
        for (int i = 0; i < kChains; ++i) acc[i] = simd::fma(acc[i], x, y);
      }
      simd::F32x16 total = acc[0];
      for (int i = 1; i < kChains; ++i) total = simd::add(total, acc[i]);
      alignas(64) float lanes[simd::kLanes];
      simd::store(lanes, total);
      for (size_t b = begin; b < end; ++b) sink[b] = lanes[0];
    });
    const double flops = 2.0 * simd::kLanes * kChains * kSteps * static_cast<double>(sink.size());
    best = std::max(best, flops / seconds_since(t));
  }
  return best;
}

std::vector<float> random_vector(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// Best-of-`reps` seconds of fn().
template <class Fn>
double best_time(int reps, Fn fn) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    auto t = Clock::now();
    fn();
    best = std::min(best, seconds_since(t));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const double peak = fp32_peak();
  fmt::print("threads: {}; measured fp32 peak: {:.0f} GFLOPS\n", num_threads(), peak / 1e9);
  struct Shape {
    int64_t rows, in, out;
  };
  std::vector<Shape> shapes = {{4096, 512, 1376}, {4096, 1376, 512}, {4096, 512, 32000}, {1024, 512, 512},
                               {64, 512, 1376},   {64, 512, 32000},  {1, 512, 1376},     {1, 1024, 2816}};
  if (quick) shapes.resize(2);
  fmt::print("{:>22}  {:>16}  {:>16}  {:>16}\n", "rows x in x out", "forward", "forward, packed", "backward (dx+dW)");
  for (const Shape& s : shapes) {
    auto x = random_vector(s.rows * s.in, 1), w = random_vector(s.out * s.in, 2), dy = random_vector(s.rows * s.out, 3);
    std::vector<float> y(s.rows * s.out), dx(s.rows * s.in), dw(s.out * s.in);
    const double flops = 2.0 * s.rows * s.in * s.out;
    const int reps = flops > 1e10 ? 3 : 20;
    const double fwd =
        best_time(reps, [&] { matmul_forward(y.data(), x.data(), w.data(), nullptr, s.rows, s.in, s.out); });
    // Inference packs the weights once at load (matmul_forward packs them every call).
    const PackedPanels packed = pack_linear_weight(w.data(), s.in, s.out);
    const double fwd_packed =
        best_time(reps, [&] { matmul_forward_packed(y.data(), x.data(), packed, nullptr, s.rows); });
    const double bwd = best_time(reps, [&] {
      matmul_backward(dx.data(), dw.data(), nullptr, dy.data(), x.data(), w.data(), s.rows, s.in, s.out);
    });
    fmt::print("{:>22}  {:6.0f} GF {:4.0f}%  {:6.0f} GF {:4.0f}%  {:6.0f} GF {:4.0f}%\n",
               fmt::format("{}x{}x{}", s.rows, s.in, s.out), flops / fwd / 1e9, 100 * flops / fwd / peak,
               flops / fwd_packed / 1e9, 100 * flops / fwd_packed / peak, 2 * flops / bwd / 1e9,
               200 * flops / bwd / peak);
  }
  return 0;
}
