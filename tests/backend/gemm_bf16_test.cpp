// gemm_bf16 at every ISA level this machine offers: values against the double-precision product
// within the error that rounding A to bf16 and summing in fp32 allow, the rounding of A itself,
// and the summation-order guarantees (a row alone equals the row in any batch, at any thread
// count). A level above the machine's is skipped (amx wherever the CPU has no AMX), so run the
// suite on such a machine to cover it. The default path follows AHA_ISA.
#include "aha/backend/cpu/gemm_bf16.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "aha/backend/cpu/gemm_bf16_kernels.hpp"
#include "aha/backend/cpu/reference/matmul_reference.hpp"
#include "aha/base/error.hpp"
#include "aha/base/threads.hpp"
#include "aha/tensor/dtype.hpp"
#include "support/random.hpp"

namespace aha::backend::cpu {

// Test names and messages show a level by its name.
void PrintTo(IsaLevel level, std::ostream* os) { *os << isa_name(level); }

namespace {

using test::random_vector;

// (rows, k, n): single elements, odd k, tails of the 32-column panels and of the 12-row and
// 32-row tiles, more than one 192-row block (200) and more than one 128-pair block of k (600).
const std::vector<std::array<int64_t, 3>> kBf16Shapes = {{1, 1, 1},     {3, 17, 5},    {33, 65, 31},  {64, 256, 256},
                                                         {13, 300, 97}, {200, 70, 33}, {5, 600, 130}, {2, 1, 40}};

std::vector<uint16_t> bf16_weights(size_t n, unsigned seed) {
  const std::vector<float> w = random_vector(n, seed);
  std::vector<uint16_t> bits(n);
  for (size_t i = 0; i < n; ++i) bits[i] = tensor::f32_to_bf16(w[i]);
  return bits;
}

// W (n, k) of random bf16 values from `seed`, packed.
PackedBf16 packed_random_weight(int64_t k, int64_t n, unsigned seed) {
  const std::vector<uint16_t> w = bf16_weights(static_cast<size_t>(n * k), seed);
  PackedBf16 packed;
  pack_bf16_weight(packed, w.data(), k, n);
  return packed;
}

std::vector<float> product(IsaLevel level, const float* a, const PackedBf16& w, int64_t rows) {
  std::vector<float> out(static_cast<size_t>(rows * w.n), -1.0f);
  gemm_bf16(out.data(), a, w, rows, level);
  return out;
}

class GemmBf16Level : public testing::TestWithParam<IsaLevel> {
 protected:
  void SetUp() override {
    if (GetParam() > detected_isa())
      GTEST_SKIP() << "untested here: this CPU offers up to " << isa_name(detected_isa());
  }
};

// The bound. A is rounded to bf16 (8 significant bits, to nearest: relative error at most 2^-8
// per element); W is bf16 already and the products of bf16 values are exact in fp32. The k
// products are then summed in fp32 with at most k roundings of relative error 2^-24 each, so
//   |out - Σ a·w| <= 2^-8 Σ|a·w| + γ_k (1 + 2^-8) Σ|a·w|,  γ_k = k 2^-24 / (1 - k 2^-24),
// which 2^-8 + 2 (k + 1) 2^-24 covers for every k here. vdpbf16ps and AMX flush denormals to
// zero, each term losing at most 2^-126 more. (Were W rounded from fp32 too, 2^-8 would double.)
// Against A rounded first, the same holds without the 2^-8: that checks the rounding itself.
TEST_P(GemmBf16Level, agrees_with_the_fp32_product_within_the_bf16_rounding_bound) {
  for (auto [rows, k, n] : kBf16Shapes) {
    std::vector<float> a = random_vector(rows * k, 1), rounded(a.size());
    for (size_t i = 0; i < a.size(); ++i) rounded[i] = tensor::bf16_to_f32(tensor::f32_to_bf16(a[i]));
    const std::vector<uint16_t> w = bf16_weights(n * k, 2);
    PackedBf16 packed;
    pack_bf16_weight(packed, w.data(), k, n);
    const std::vector<float> out = product(GetParam(), a.data(), packed, rows);
    std::vector<double> exact(out.size()), scale(out.size()), of_rounded(out.size()), rounded_scale(out.size());
    reference::matmul_bf16_forward(exact.data(), scale.data(), a.data(), w.data(), rows, k, n);
    reference::matmul_bf16_forward(of_rounded.data(), rounded_scale.data(), rounded.data(), w.data(), rows, k, n);
    const double summing = 2.0 * static_cast<double>(k + 1) * std::ldexp(1.0, -24);
    const double flushing = static_cast<double>(k) * std::ldexp(1.0, -126);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_LE(std::abs(out[i] - exact[i]), (std::ldexp(1.0, -8) + summing) * scale[i] + flushing)
          << rows << "x" << k << "x" << n << " at " << i;
      ASSERT_LE(std::abs(out[i] - of_rounded[i]), summing * rounded_scale[i] + flushing)
          << "A rounded first, " << rows << "x" << k << "x" << n << " at " << i;
    }
  }
}

TEST_P(GemmBf16Level, a_row_alone_is_bit_identical_to_the_same_row_in_any_batch) {
  const int64_t rows = 300, k = 600, n = 130;
  const std::vector<float> a = random_vector(rows * k, 3);
  const PackedBf16 packed = packed_random_weight(k, n, 4);
  const std::vector<float> batch = product(GetParam(), a.data(), packed, rows);
  for (int64_t r : {0, 1, 11, 12, 15, 16, 31, 32, 191, 192, 299}) {
    const std::vector<float> one = product(GetParam(), a.data() + r * k, packed, 1);
    for (int64_t j = 0; j < n; ++j) ASSERT_EQ(one[j], batch[r * n + j]) << "row " << r << " col " << j;
  }
  // Every prefix of the batch takes another mix of tiles, tails and blocks.
  for (int64_t m : {2, 5, 12, 13, 17, 33, 40, 193}) {
    const std::vector<float> part = product(GetParam(), a.data(), packed, m);
    for (int64_t i = 0; i < m * n; ++i) ASSERT_EQ(part[i], batch[i]) << m << " rows, at " << i;
  }
}

TEST_P(GemmBf16Level, is_bit_identical_for_every_thread_count) {
  const int64_t rows = 200, k = 300, n = 70;
  const std::vector<float> a = random_vector(rows * k, 5);
  const PackedBf16 packed = packed_random_weight(k, n, 6);
  const int threads = num_threads();
  std::vector<std::vector<float>> results;
  for (int t : {1, 2, 3}) {
    set_num_threads(t);
    results.push_back(product(GetParam(), a.data(), packed, rows));
  }
  set_num_threads(threads);
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

// A given transposed (the weight gradient's doutᵀ) is rounded as it is turned: the same bits as
// the product of the transposed copy, with tails of the 16 x 16 blocks in rows and in k, a padded
// leading dimension, and more than the rows a call rounds on one thread (1,000 x 1,100).
TEST_P(GemmBf16Level, a_read_transposed_gives_the_bits_of_its_transposed_copy) {
  for (auto [rows, k, n] :
       std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {37, 45, 33}, {16, 32, 40}, {1000, 1100, 20}}) {
    const int64_t stride = rows + 3;
    const std::vector<float> a_t = random_vector(k * stride, 7);
    std::vector<float> a(static_cast<size_t>(rows * k));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t c = 0; c < k; ++c) a[i * k + c] = a_t[c * stride + i];
    const PackedBf16 packed = packed_random_weight(k, n, 8);
    std::vector<float> out(static_cast<size_t>(rows * n), -1.0f);
    gemm_bf16_transposed_a(out.data(), a_t.data(), stride, packed, rows, GetParam());
    EXPECT_EQ(out, product(GetParam(), a.data(), packed, rows)) << rows << "x" << k << "x" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryLevel, GemmBf16Level,
                         testing::Values(IsaLevel::generic, IsaLevel::avx2, IsaLevel::avx512, IsaLevel::avx512bf16,
                                         IsaLevel::amx),
                         [](const testing::TestParamInfo<IsaLevel>& info) {
                           return std::string(isa_name(info.param));
                         });

// generic, avx2 and avx512 each take one fused multiply-add per k, in order, on exact products.
TEST(GemmBf16, widening_levels_agree_bit_for_bit) {
  for (auto [rows, k, n] : kBf16Shapes) {
    const std::vector<float> a = random_vector(rows * k, 7);
    const PackedBf16 packed = packed_random_weight(k, n, 8);
    const std::vector<float> generic = product(IsaLevel::generic, a.data(), packed, rows);
    for (IsaLevel level : {IsaLevel::avx2, IsaLevel::avx512}) {
      if (level > detected_isa()) continue;
      EXPECT_EQ(product(level, a.data(), packed, rows), generic) << isa_name(level) << " " << rows << "x" << k;
    }
  }
}

TEST(GemmBf16, the_default_path_uses_the_chosen_level) {
  const std::vector<float> a = random_vector(7 * 40, 9);
  const PackedBf16 packed = packed_random_weight(40, 50, 10);
  std::vector<float> out(7 * 50);
  gemm_bf16(out.data(), a.data(), packed, 7);
  EXPECT_EQ(out, product(isa_level(), a.data(), packed, 7));
}

// Ties to even, NaN (kept, made quiet), infinities, overflow to infinity, denormals, signed zeros.
std::vector<float> rounding_cases() {
  std::vector<float> x = {1.0f + 0x1p-8f,
                          1.0f + 3 * 0x1p-8f,
                          -(1.0f + 0x1p-8f),
                          1.0f + 0x1p-8f + 0x1p-20f,
                          0.0f,
                          -0.0f,
                          1e-40f,
                          -3e-39f,
                          3.4e38f,
                          -3.4e38f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()};
  uint32_t nan_bits[] = {0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7fffffffu};
  for (uint32_t bits : nan_bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    x.push_back(f);
  }
  for (float r : random_vector(21, 11, 100.0f)) x.push_back(r);  // 37 values: a 5-lane tail
  return x;
}

TEST(GemmBf16, the_avx512_rounding_of_a_is_tensor_f32_to_bf16) {
#if defined(__x86_64__)
  if (detected_isa() < IsaLevel::avx512) GTEST_SKIP() << "no AVX-512 here";
  const std::vector<float> x = rounding_cases();
  std::vector<uint16_t> bits(x.size() + 1, 0xabcd);
  std::vector<float> widened(x.size() + 1, 5.0f);
  bf16::round_to_bf16_avx512(bits.data(), x.data(), static_cast<int64_t>(x.size()));
  bf16::round_to_bf16_as_f32_avx512(widened.data(), x.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(bits[i], tensor::f32_to_bf16(x[i])) << "value " << i;
    const float want = tensor::bf16_to_f32(tensor::f32_to_bf16(x[i]));
    EXPECT_EQ(std::memcmp(&widened[i], &want, sizeof want), 0) << "value " << i;
  }
  EXPECT_EQ(bits.back(), 0xabcd) << "wrote past n";
  EXPECT_EQ(widened.back(), 5.0f) << "wrote past n";
#else
  GTEST_SKIP() << "not x86-64";
#endif
}

TEST(GemmBf16, packs_pairs_of_k_and_pads_with_zeros) {
  const int64_t k = 3, n = 33;
  std::vector<uint16_t> w(n * k);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint16_t>(i + 1);
  PackedBf16 packed;
  pack_bf16_weight(packed, w.data(), k, n);
  ASSERT_EQ(packed.padded_k(), 32);
  ASSERT_EQ(packed.panels(), 2);
  for (int64_t j = 0; j < 64; ++j)
    for (int64_t kk = 0; kk < 32; ++kk) {
      const uint16_t want = j < n && kk < k ? w[j * k + kk] : 0;
      EXPECT_EQ(packed.panel(j / 32)[(kk / 2) * 64 + (j % 32) * 2 + kk % 2], want) << j << "," << kk;
    }
}

// Packing from fp32 through any view (nn.Linear's W, its transpose, a strided one) gives the bits
// of rounding first and packing the bf16 matrix; the stale contents of a reused buffer go.
TEST(GemmBf16, packs_rounded_fp32_through_any_view_as_the_rounded_matrix) {
  for (auto [k, n] : {std::pair<int64_t, int64_t>{3, 33}, {70, 45}, {64, 32}, {33, 100}}) {
    const std::vector<float> w = random_vector(n * k, 9);  // W (n, k) row-major
    std::vector<uint16_t> bits(w.size());
    for (size_t i = 0; i < w.size(); ++i) bits[i] = tensor::f32_to_bf16(w[i]);
    PackedBf16 want;
    pack_bf16_weight(want, bits.data(), k, n);
    std::vector<float> transposed(w.size()), strided(2 * w.size());
    for (int64_t j = 0; j < n; ++j)
      for (int64_t kk = 0; kk < k; ++kk) transposed[kk * n + j] = strided[2 * (j * k + kk)] = w[j * k + kk];
    for (MatrixView view :
         {MatrixView{w.data(), k, 1}, MatrixView{transposed.data(), 1, n}, MatrixView{strided.data(), 2 * k, 2}}) {
      PackedBf16 got;
      got.data.assign(want.data.size(), 0xffff);
      pack_bf16_rounded(got, view, k, n);
      EXPECT_EQ(got.data, want.data) << k << "x" << n << " strides " << view.row_stride << "," << view.col_stride;
    }
  }
}

TEST(Isa, aha_isa_lowers_the_level_and_never_raises_it) {
  EXPECT_EQ(choose_isa(nullptr, IsaLevel::avx512bf16), IsaLevel::avx512bf16);
  EXPECT_EQ(choose_isa("avx2", IsaLevel::avx512bf16), IsaLevel::avx2);
  EXPECT_EQ(choose_isa("generic", IsaLevel::avx2), IsaLevel::generic);
  EXPECT_EQ(choose_isa("amx", IsaLevel::amx), IsaLevel::amx);
  for (const char* name : {"generic", "avx2", "avx512", "avx512bf16", "amx"})
    EXPECT_EQ(isa_name(*isa_from_name(name)), name);
}

TEST(Isa, aha_isa_above_the_cpu_or_unknown_is_a_bad_input_error) {
  auto message = [](const char* env, IsaLevel detected) -> std::string {
    try {
      choose_isa(env, detected);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      return e.what();
    }
    return "no error";
  };
  const std::string above = message("amx", IsaLevel::avx512bf16);
  EXPECT_NE(above.find("AHA_ISA=amx"), std::string::npos) << above;
  EXPECT_NE(above.find("avx512bf16"), std::string::npos) << above;
  for (const char* bad : {"", "AVX2", "sse4", "avx512 "}) {
    const std::string unknown = message(bad, IsaLevel::avx2);
    EXPECT_NE(unknown.find("AHA_ISA"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find(std::string("'") + bad + "'"), std::string::npos) << unknown;
  }
}

// Linux lists in /proc/cpuinfo the extensions it found and enabled; detection must agree.
TEST(Isa, the_detected_level_matches_the_flags_linux_reports) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::set<std::string> flags;
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      for (std::string word; words >> word;) flags.insert(word);
      break;
    }
  if (flags.empty()) GTEST_SKIP() << "no flags in /proc/cpuinfo";
  auto has = [&](std::initializer_list<const char*> names) {
    for (const char* name : names)
      if (!flags.count(name)) return false;
    return true;
  };
  IsaLevel want = IsaLevel::generic;
  if (has({"avx2", "fma"})) want = IsaLevel::avx2;
  if (want == IsaLevel::avx2 && has({"avx512f", "avx512bw", "avx512vl"})) want = IsaLevel::avx512;
  if (want == IsaLevel::avx512 && has({"avx512_bf16"})) want = IsaLevel::avx512bf16;
  if (want == IsaLevel::avx512bf16 && has({"amx_tile", "amx_bf16"})) want = IsaLevel::amx;
  // Linux may refuse this process the tile data; detection then settles for avx512bf16.
  if (want == IsaLevel::amx && detected_isa() == IsaLevel::avx512bf16) GTEST_SKIP() << "AMX refused by Linux";
  EXPECT_EQ(isa_name(detected_isa()), isa_name(want));
}

}  // namespace
}  // namespace aha::backend::cpu
