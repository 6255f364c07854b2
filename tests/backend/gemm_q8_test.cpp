// gemm_q8 at every ISA level this machine offers, against the definition in gemm_q8.hpp written
// again here from ggml's q8_0 format (blocks of 32, d = max|x| / 127, q = round half away from
// zero, the weights' d in fp16): every level gives exactly the chain the header defines, a row
// alone equals the row in any batch and at any thread count, and the product stays within
// q8_0's error of the double-precision one.
#include "aha/backend/cpu/gemm_q8.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "aha/base/threads.hpp"
#include "aha/tensor/dtype.hpp"
#include "support/random.hpp"

namespace aha::backend::cpu {
namespace {

using test::random_vector;

// (rows, k, n): one element, k not a whole block, panel tails (n % 16), row tiles of 4 and of
// 64, a k of many blocks.
const std::vector<std::array<int64_t, 3>> kQ8Shapes = {{1, 1, 1},    {3, 17, 5},   {5, 64, 16},  {9, 100, 33},
                                                     {70, 96, 40}, {1, 896, 48}, {4, 320, 17}, {2, 32, 1}};

std::vector<IsaLevel> levels() {
  std::vector<IsaLevel> out;
  for (IsaLevel l : {IsaLevel::generic, IsaLevel::avx2, IsaLevel::avx512, IsaLevel::avx512bf16, IsaLevel::amx})
    if (l <= detected_isa()) out.push_back(l);
  return out;
}

// One block quantized by the format's definition.
struct Block {
  std::array<int8_t, 32> q{};
  float d = 0;
};

Block quantize(const float* x, int64_t n) {
  Block blk;
  float amax = 0;
  for (int64_t t = 0; t < n; ++t) amax = std::max(amax, std::fabs(x[t]));
  blk.d = amax / 127.0f;
  const float id = blk.d != 0 ? 1.0f / blk.d : 0.0f;
  for (int64_t t = 0; t < n; ++t) blk.q[t] = static_cast<int8_t>(std::round(x[t] * id));
  return blk;
}

// out[i][j] by gemm_q8.hpp's chain: blocks in order, fma(isum, dw · da, acc).
std::vector<float> defined_product(const std::vector<float>& a, const std::vector<float>& w, int64_t rows, int64_t k,
                                   int64_t n) {
  std::vector<float> out(static_cast<size_t>(rows * n));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0;
      for (int64_t c0 = 0; c0 < k; c0 += 32) {
        const int64_t len = std::min<int64_t>(32, k - c0);
        const Block qa = quantize(a.data() + i * k + c0, len), qw = quantize(w.data() + j * k + c0, len);
        int32_t isum = 0;
        for (int64_t t = 0; t < len; ++t) isum += int32_t{qa.q[t]} * qw.q[t];
        const float dw = tensor::f16_to_f32(tensor::f32_to_f16(qw.d));
        acc = std::fma(static_cast<float>(isum), dw * qa.d, acc);
      }
      out[i * n + j] = acc;
    }
  return out;
}

std::vector<float> product(IsaLevel level, const float* a, const PackedQ8& w, int64_t rows) {
  std::vector<float> out(static_cast<size_t>(rows * w.n), -1.0f);
  gemm_q8(out.data(), a, w, rows, level);
  return out;
}

TEST(GemmQ8, BlockQuantizationRoundsHalfAwayFromZeroAsGgml) {
  float x[32] = {127.0f, 2.5f, -2.5f, 0.5f, -0.49f, 126.5f};
  int8_t q[32];
  EXPECT_EQ(quantize_q8_block(q, x), 1.0f);  // d = 127 / 127
  const int8_t expected[6] = {127, 3, -3, 1, 0, 127};
  for (int t = 0; t < 6; ++t) EXPECT_EQ(q[t], expected[t]) << t;
  for (int t = 6; t < 32; ++t) EXPECT_EQ(q[t], 0);
  float zeros[32] = {};
  EXPECT_EQ(quantize_q8_block(q, zeros), 0.0f);
  for (int t = 0; t < 32; ++t) EXPECT_EQ(q[t], 0);
}

TEST(GemmQ8, EveryLevelGivesTheDefinedChain) {
  for (const auto& [rows, k, n] : kQ8Shapes) {
    const std::vector<float> a = random_vector(static_cast<size_t>(rows * k), 11);
    const std::vector<float> w = random_vector(static_cast<size_t>(n * k), 12);
    PackedQ8 packed;
    pack_q8_weight(packed, w.data(), k, n);
    const std::vector<float> expected = defined_product(a, w, rows, k, n);
    for (IsaLevel level : levels()) {
      const std::vector<float> got = product(level, a.data(), packed, rows);
      for (size_t x = 0; x < got.size(); ++x)
        ASSERT_EQ(got[x], expected[x]) << isa_name(level) << " shape " << rows << "x" << k << "x" << n << " at " << x;
    }
  }
}

TEST(GemmQ8, StaysWithinQ80ErrorOfTheDoubleProduct) {
  const int64_t rows = 3, k = 896, n = 40;
  const std::vector<float> a = random_vector(static_cast<size_t>(rows * k), 21);
  const std::vector<float> w = random_vector(static_cast<size_t>(n * k), 22);
  PackedQ8 packed;
  pack_q8_weight(packed, w.data(), k, n);
  const std::vector<float> got = product(isa_level(), a.data(), packed, rows);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      // Each value moves by at most half a step (d / 2 = max|x| / 254) of its block.
      double exact = 0, bound = 0;
      for (int64_t c = 0; c < k; ++c) {
        const double av = a[i * k + c], wv = w[j * k + c];
        exact += av * wv;
        bound += (std::fabs(av) + std::fabs(wv)) / 254.0 * 1.01 + 1.0 / (254.0 * 254.0);
      }
      EXPECT_NEAR(got[i * n + j], exact, bound) << i << "," << j;
    }
}

TEST(GemmQ8, RowAloneEqualsRowInBatchAtAnyThreadCount) {
  const int64_t rows = 67, k = 200, n = 70;
  const std::vector<float> a = random_vector(static_cast<size_t>(rows * k), 31);
  const std::vector<float> w = random_vector(static_cast<size_t>(n * k), 32);
  PackedQ8 packed;
  pack_q8_weight(packed, w.data(), k, n);
  const int before = num_threads();
  for (IsaLevel level : levels()) {
    set_num_threads(1);
    const std::vector<float> batch = product(level, a.data(), packed, rows);
    set_num_threads(3);
    EXPECT_EQ(product(level, a.data(), packed, rows), batch) << isa_name(level);
    for (int64_t i : {0, 5, 66}) {
      const std::vector<float> alone = product(level, a.data() + i * k, packed, 1);
      for (int64_t j = 0; j < n; ++j) ASSERT_EQ(alone[j], batch[i * n + j]) << isa_name(level) << " row " << i;
    }
  }
  set_num_threads(before);
}

// A Q8_0 tensor as GGUF stores it: per row, blocks of fp16 d then 32 int8.
std::vector<uint8_t> ggml_blocks(const std::vector<float>& w, int64_t k, int64_t n) {
  std::vector<uint8_t> out;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t c0 = 0; c0 < k; c0 += 32) {
      const Block blk = quantize(w.data() + j * k + c0, 32);
      const uint16_t d = tensor::f32_to_f16(blk.d);
      const auto* bytes = reinterpret_cast<const uint8_t*>(&d);
      out.insert(out.end(), bytes, bytes + 2);
      out.insert(out.end(), reinterpret_cast<const uint8_t*>(blk.q.data()),
                 reinterpret_cast<const uint8_t*>(blk.q.data()) + 32);
    }
  return out;
}

TEST(GemmQ8, GgufBlocksPackAsTheQuantizedFloats) {
  const int64_t k = 96, n = 20;
  const std::vector<float> w = random_vector(static_cast<size_t>(n * k), 41);
  PackedQ8 from_floats, from_blocks;
  pack_q8_weight(from_floats, w.data(), k, n);
  const std::vector<uint8_t> blocks = ggml_blocks(w, k, n);
  pack_q8_blocks(from_blocks, blocks.data(), k, n);
  EXPECT_EQ(from_blocks.q, from_floats.q);
  EXPECT_EQ(from_blocks.d, from_floats.d);
  // Dequantized rows are d · q exactly.
  const int32_t ids[2] = {19, 3};
  std::vector<float> rows(2 * k);
  unpack_q8_rows(rows.data(), from_blocks, ids, 2);
  for (int r = 0; r < 2; ++r)
    for (int64_t c = 0; c < k; ++c) {
      const uint8_t* block = blocks.data() + (ids[r] * (k / 32) + c / 32) * 34;
      uint16_t d;
      std::memcpy(&d, block, 2);
      ASSERT_EQ(rows[r * k + c], tensor::f16_to_f32(d) * static_cast<int8_t>(block[2 + c % 32])) << r << "," << c;
    }
}

TEST(GemmQ8, MinusOneTwentyEightInAFileIsReadAsMinusOneTwentySeven) {
  std::vector<uint8_t> block(34, 0);
  const uint16_t one = tensor::f32_to_f16(1.0f);
  std::memcpy(block.data(), &one, 2);
  block[2] = 0x80;  // q = -128, which ggml's quantizer never writes
  PackedQ8 packed;
  pack_q8_blocks(packed, block.data(), 32, 1);
  const int32_t id = 0;
  std::vector<float> row(32);
  unpack_q8_rows(row.data(), packed, &id, 1);
  EXPECT_EQ(row[0], -127.0f);
  std::vector<float> a(32, 0.0f);
  a[0] = 1.0f;
  for (IsaLevel level : levels()) EXPECT_EQ(product(level, a.data(), packed, 1)[0], -127.0f) << isa_name(level);
}

}  // namespace
}  // namespace aha::backend::cpu
