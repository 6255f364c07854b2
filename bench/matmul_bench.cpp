// Matrix product speed: GFLOPS of matmul_forward and matmul_backward (through the op table: the
// copy of the ISA level in use, which AHA_ISA lowers) on the shapes of the training and generation
// workloads, against the machine's fp32 peak measured in the same run
// (independent fused multiply-adds on registers, every thread). One-row shapes are decode:
// bound by reading the weights, so their packed column is the one that matters. Then gemm_bf16
// (bf16 weights) at the ISA level in use (AHA_ISA lowers it), against the bf16 peak of that level
// measured the same way (vdpbf16ps on registers, or TDPBF16PS on tiles) and the fp32 product of
// the same shape.
//   build/bench/matmul_bench [--quick]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "aha/backend/cpu/dispatch.hpp"
#include "aha/backend/cpu/gemm_bf16.hpp"
#include "aha/backend/cpu/isa.hpp"
#include "aha/backend/ops.hpp"
#include "aha/base/threads.hpp"
#include "aha/tensor/dtype.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace aha;
using namespace aha::backend::cpu;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Peaks are the best of this many short runs, as the products' times are the best of several:
// on a machine shared with other work, both then count the runs that had the cores to themselves.
constexpr int kPeakRuns = 30;

// FLOPS of independent FMA chains on every thread, in the vectors of the fp32 kernels in use.
double fp32_peak() {
  constexpr int64_t kSteps = 1'000'000;
  const IsaLevel level = isa_level();
  std::vector<float> sink(static_cast<size_t>(num_threads()));
  double best = 0;
  for (int rep = 0; rep < kPeakRuns; ++rep) {
    std::vector<double> flops(sink.size());
    auto t = Clock::now();
    parallel_for(sink.size(), [&](size_t begin, size_t end) {
      for (size_t b = begin; b < end; ++b) flops[b] = fma_chains_for(level, kSteps, &sink[b]);
    });
    const double seconds = seconds_since(t);
    double total = 0;
    for (double f : flops) total += f;
    best = std::max(best, total / seconds);
  }
  return best;
}

#if defined(__x86_64__)

constexpr int kPeakChains = 24;

// FLOPS of one thread's kPeakChains independent vdpbf16ps chains over `steps` (64 FLOPs each:
// 16 lanes, two products and two sums); sink gets a lane so the loop is kept.
__attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl"))) void dpbf16_chains(int64_t steps, float* sink) {
  __m512 acc[kPeakChains];
  for (int i = 0; i < kPeakChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi32(0x35803580));  // pairs of 2^-20
  const __m512bh y = reinterpret_cast<__m512bh>(_mm512_set1_epi32(0x3f803f80));  // pairs of 1
  for (int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 32
    for (int i = 0; i < kPeakChains; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], x, y);
  }
  __m512 total = acc[0];
  for (int i = 1; i < kPeakChains; ++i) total = _mm512_add_ps(total, acc[i]);
  *sink = _mm512_cvtss_f32(total);
}

// One thread's `steps` rounds of four TDPBF16PS (16 x 16 sums over 32 of k: 16384 FLOPs each) on
// tiles of zeros: the four sum tiles, two of A, two of B.
__attribute__((target("amx-tile,amx-bf16"))) void amx_tiles(int64_t steps) {
  struct alignas(64) {
    uint8_t palette = 1, start_row = 0, reserved[14] = {};
    uint16_t colsb[16] = {64, 64, 64, 64, 64, 64, 64, 64};
    uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
  } config;
  __asm__ volatile("ldtilecfg %0" : : "m"(config) : "memory");
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_zero(4);
  _tile_zero(5);
  _tile_zero(6);
  _tile_zero(7);
  for (int64_t s = 0; s < steps; ++s) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  __asm__ volatile("tilerelease" ::);
}

#endif

// The bf16 peak of `level` on every thread: vdpbf16ps chains or AMX tiles; the widening levels
// multiply in fp32, so theirs is the fp32 peak.
double bf16_peak(IsaLevel level, double fp32) {
#if defined(__x86_64__)
  if (level < IsaLevel::avx512bf16) return fp32;
  const bool amx = level == IsaLevel::amx;
  const int64_t steps = amx ? 100'000 : 1'000'000;
  const double flops_per_step = amx ? 4.0 * 16384 : 64.0 * kPeakChains;
  std::vector<float> sink(static_cast<size_t>(num_threads()));
  double best = 0;
  for (int rep = 0; rep < kPeakRuns; ++rep) {
    auto t = Clock::now();
    parallel_for(sink.size(), [&](size_t begin, size_t) {
      if (amx) amx_tiles(steps);
      else dpbf16_chains(steps, &sink[begin]);
    });
    best = std::max(best, flops_per_step * steps * static_cast<double>(sink.size()) / seconds_since(t));
  }
  return best;
#else
  (void)level;
  return fp32;
#endif
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

// gemm_bf16 against the bf16 peak and against the fp32 product (weights packed) of each shape.
void bf16_table(bool quick, double fp32_peak) {
  const IsaLevel level = isa_level();
  const backend::Ops& fp32 = backend::cpu_ops();
  const double peak = bf16_peak(level, fp32_peak);
  fmt::print("\nbf16 kernels: {}; measured bf16 peak: {:.0f} GFLOPS ({:.1f}x fp32)\n", isa_name(level), peak / 1e9,
             peak / fp32_peak);
  struct Shape {
    int64_t rows, in, out;
  };
  std::vector<Shape> shapes = {{256, 256, 256},   {512, 512, 512},   {1024, 1024, 1024}, {2048, 2048, 2048},
                               {1024, 896, 4864}, {1024, 4864, 896}, {64, 896, 4864},    {1, 896, 4864}};
  if (quick) shapes.resize(2);
  fmt::print("{:>22}  {:>16}  {:>16}  {:>10}\n", "rows x in x out", "bf16 (of peak)", "fp32, packed", "bf16/fp32");
  for (const Shape& s : shapes) {
    auto x = random_vector(s.rows * s.in, 1), w = random_vector(s.out * s.in, 2);
    std::vector<uint16_t> w_bf16(w.size());
    for (size_t i = 0; i < w.size(); ++i) w_bf16[i] = tensor::f32_to_bf16(w[i]);
    std::vector<float> y(s.rows * s.out);
    const double flops = 2.0 * s.rows * s.in * s.out;
    const int reps = flops > 1e10 ? 3 : 20;
    PackedBf16 packed_bf16;
    pack_bf16_weight(packed_bf16, w_bf16.data(), s.in, s.out);
    const double bf16 = best_time(reps, [&] { gemm_bf16(y.data(), x.data(), packed_bf16, s.rows, level); });
    backend::PreparedLinear packed;
    fp32.linear_prepare(packed, w.data(), nullptr, s.in, s.out);
    const double fp32_time = best_time(reps, [&] { fp32.linear_forward_prepared(y.data(), x.data(), packed, s.rows); });
    fmt::print("{:>22}  {:6.0f} GF {:4.0f}%  {:6.0f} GF {:4.0f}%  {:9.2f}x\n",
               fmt::format("{}x{}x{}", s.rows, s.in, s.out), flops / bf16 / 1e9, 100 * flops / bf16 / peak,
               flops / fp32_time / 1e9, 100 * flops / fp32_time / fp32_peak, fp32_time / bf16);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const double peak = fp32_peak();
  const backend::Ops& ops = backend::cpu_ops();
  fmt::print("threads: {}; ISA level: {}; measured fp32 peak: {:.0f} GFLOPS\n", num_threads(), isa_name(isa_level()),
             peak / 1e9);
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
        best_time(reps, [&] { ops.linear_forward(y.data(), x.data(), w.data(), nullptr, s.rows, s.in, s.out); });
    // Inference packs the weights once at load (matmul_forward packs them every call).
    backend::PreparedLinear packed;
    ops.linear_prepare(packed, w.data(), nullptr, s.in, s.out);
    const double fwd_packed = best_time(reps, [&] { ops.linear_forward_prepared(y.data(), x.data(), packed, s.rows); });
    const double bwd = best_time(reps, [&] {
      ops.linear_backward(dx.data(), dw.data(), nullptr, dy.data(), x.data(), w.data(), s.rows, s.in, s.out);
    });
    fmt::print("{:>22}  {:6.0f} GF {:4.0f}%  {:6.0f} GF {:4.0f}%  {:6.0f} GF {:4.0f}%\n",
               fmt::format("{}x{}x{}", s.rows, s.in, s.out), flops / fwd / 1e9, 100 * flops / fwd / peak,
               flops / fwd_packed / 1e9, 100 * flops / fwd_packed / peak, 2 * flops / bwd / 1e9,
               200 * flops / bwd / peak);
  }
  bf16_table(quick, peak);
  return 0;
}
