// aha's block quantizers against tests/oracle/gguf_quant_reference.py, an independent numpy
// reference written from the formats' definitions: the blocks must be bit-identical, and the
// reference's dequantizer must give back the input within each format's precision.
#include "aha/io/gguf/quantize.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <cmath>
#include <cstring>

#include <random>

#include "aha/base/file.hpp"
#include "aha/tensor/dtype.hpp"
#include "support/temp_dir.hpp"

namespace aha::io::gguf {
namespace {

constexpr int64_t kRow = 512;  // two q4_K/q6_K super-blocks, sixteen q8_0 blocks

// Rows that exercise the quantizers' corners, each kRow values: several scales, all zeros,
// values below ggml's GROUP_MAX_EPS, outliers, one sign only, constants, sparse rows, ties.
std::vector<float> test_rows() {
  std::mt19937 rng(18);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> x;
  auto row = [&](auto value) {
    for (int64_t i = 0; i < kRow; ++i) x.push_back(value(i));
  };
  for (const float scale : {1.0f, 1e-3f, 3e2f, 0.02f}) row([&](int64_t) { return scale * normal(rng); });
  row([](int64_t) { return 0.0f; });
  row([](int64_t) { return 1e-20f; });
  row([&](int64_t i) { return i % 97 == 0 ? 60.0f * normal(rng) : normal(rng); });  // outliers
  row([&](int64_t) { return -uniform(rng); });                                      // negative only
  row([&](int64_t) { return 0.5f + uniform(rng); });                                // positive only
  row([](int64_t) { return 0.75f; });                                               // constant
  row([&](int64_t i) { return i % 7 == 0 ? normal(rng) : 0.0f; });                  // sparse
  row([](int64_t i) { return static_cast<float>(i % 32) - 16.0f; });                // ties at .5 steps
  row([&](int64_t i) { return (i / 32) % 2 ? 0.0f : normal(rng); });                // zero sub-blocks
  return x;
}

// Runs the reference in `mode` on the file `in` and returns the bytes it wrote.
std::string run_reference(const test::TempDir& dir, const std::string& mode, const std::string& type,
                          const std::string& in) {
  const std::string out = dir.file(mode + "-" + type + ".bin");
  const auto [status, log] = test::run_shell(
      fmt::format("OPENBLAS_CORETYPE=Haswell /usr/bin/python3 {}/tests/oracle/gguf_quant_reference.py {} --type {} "
                  "--n {} --in {} --out {}",
                  AHA_SOURCE_DIR, mode, type, kRow, in, out));
  EXPECT_EQ(status, 0) << log;
  return status == 0 ? read_file(out) : "";
}

struct Case {
  const char* name;
  TensorType type;
  double max_relative_rms;  // the reference's dequantized rows against the input
};

class GgufQuantize : public ::testing::TestWithParam<Case> {};

TEST_P(GgufQuantize, blocks_are_bit_identical_to_the_numpy_reference) {
  const Case c = GetParam();
  const std::vector<float> x = test_rows();
  test::TempDir dir;
  write_file_atomic(dir.file("rows.f32"), std::string_view(reinterpret_cast<const char*>(x.data()), x.size() * 4));
  const std::string ours = encode_row(c.type, x.data(), static_cast<int64_t>(x.size()));
  const std::string theirs = run_reference(dir, "quantize", c.name, dir.file("rows.f32"));
  ASSERT_EQ(ours.size(), theirs.size());
  const size_t block = block_bytes(c.type);
  int differing = 0;
  for (size_t b = 0; b < ours.size() / block; ++b)
    if (ours.compare(b * block, block, theirs, b * block, block) != 0 && differing++ < 3)
      ADD_FAILURE() << c.name << " block " << b << " (row " << b * block_elements(c.type) / kRow << ") differs";
  EXPECT_EQ(differing, 0);

  // What the blocks mean: the reference's dequantizer gives the rows back within the format's
  // precision (all-zero rows exactly).
  write_file_atomic(dir.file("blocks.bin"), ours);
  const std::string back = run_reference(dir, "dequantize", c.name, dir.file("blocks.bin"));
  ASSERT_EQ(back.size(), x.size() * 4);
  std::vector<float> y(x.size());
  std::memcpy(y.data(), back.data(), back.size());
  for (size_t r = 0; r < x.size() / kRow; ++r) {
    double err = 0, norm = 0;
    for (int64_t i = 0; i < kRow; ++i) {
      const double v = x[r * kRow + i], d = y[r * kRow + i] - v;
      err += d * d;
      norm += v * v;
    }
    if (norm < 1e-30) EXPECT_LE(err, 4 * norm) << c.name << " row " << r;  // zeros, and values below the formats' range
    else EXPECT_LT(std::sqrt(err / norm), c.max_relative_rms) << c.name << " row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, GgufQuantize,
                         ::testing::Values(Case{"f16", TensorType::kF16, 1e-3}, Case{"bf16", TensorType::kBF16, 5e-3},
                                           Case{"q8_0", TensorType::kQ8_0, 0.02}, Case{"q4_0", TensorType::kQ4_0, 0.2},
                                           Case{"q5_0", TensorType::kQ5_0, 0.1}, Case{"q4_K", TensorType::kQ4_K, 0.12},
                                           Case{"q6_K", TensorType::kQ6_K, 0.04}),
                         [](const auto& info) { return std::string(info.param.name); });

// A q8_0 block by hand: x_j = j - 16 has max |x| 16, so d = 16/127 and q_j = round(127 (j - 16) / 16).
TEST(GgufQuantizeByHand, q8_0_block_of_a_ramp) {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16);
  uint8_t block[kBlockBytesQ8_0];
  quantize_q8_0(x.data(), 32, block);
  EXPECT_EQ(block[0] | (block[1] << 8), tensor::f32_to_f16(16.0f / 127.0f));
  EXPECT_EQ(static_cast<int8_t>(block[2 + 0]), -127);
  EXPECT_EQ(static_cast<int8_t>(block[2 + 16]), 0);
  EXPECT_EQ(static_cast<int8_t>(block[2 + 17]), 8);    // 127/16 = 7.94
  EXPECT_EQ(static_cast<int8_t>(block[2 + 31]), 119);  // 15 · 127/16 = 119.06
}

// A q4_0 block by hand: the element of largest magnitude (-4) gets d = -4 / -8 = 0.5, so
// q = min(15, trunc(x / 0.5 + 8.5)): -4 -> 0, 0 -> 8, 3.6 -> 15 (7.2 + 8.5 = 15.7), 1.2 -> 10.
TEST(GgufQuantizeByHand, q4_0_block_takes_the_sign_of_its_largest_element) {
  std::vector<float> x(32, 0.0f);
  x[0] = -4.0f;
  x[1] = 3.6f;
  x[16] = 1.2f;
  uint8_t block[kBlockBytesQ4_0];
  quantize_q4_0(x.data(), 32, block);
  EXPECT_EQ(block[0] | (block[1] << 8), tensor::f32_to_f16(0.5f));
  EXPECT_EQ(block[2] & 0xf, 0);   // x[0]
  EXPECT_EQ(block[2] >> 4, 10);   // x[16]
  EXPECT_EQ(block[3] & 0xf, 15);  // x[1]
  EXPECT_EQ(block[4] & 0xf, 8);   // x[2] = 0
}

}  // namespace
}  // namespace aha::io::gguf
