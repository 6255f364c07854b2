// Forward kernels against hand-computed cases and plain reference loops.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "aha/backend/cpu/reference/attention_reference.hpp"
#include "aha/backend/cpu/reference/matmul_reference.hpp"
#include "aha/backend/ops.hpp"
#include "aha/base/threads.hpp"
#include "support/random.hpp"

namespace aha::backend::cpu {
namespace {

using test::random_vector;

TEST(Matmul, agrees_with_the_reference_loop_on_odd_shapes) {
  for (auto [rows, in, out] : {std::tuple{1, 1, 1}, {1, 64, 10}, {3, 17, 5}, {4, 33, 9}, {7, 100, 31}, {9, 16, 2}}) {
    auto a = random_vector(rows * in, 1), w = random_vector(out * in, 2), b = random_vector(out, 3);
    std::vector<float> fast(rows * out), ref(rows * out);
    for (const float* bias : {static_cast<const float*>(nullptr), static_cast<const float*>(b.data())}) {
      ops().linear_forward(fast.data(), a.data(), w.data(), bias, rows, in, out);
      reference::matmul_forward(ref.data(), a.data(), w.data(), bias, rows, in, out);
      for (size_t i = 0; i < fast.size(); ++i)
        ASSERT_NEAR(fast[i], ref[i], 1e-5f * std::sqrt(static_cast<float>(in)) * 4) << rows << "x" << in << "x" << out;
    }
  }
}

TEST(Matmul, result_is_identical_for_every_thread_count) {
  auto a = random_vector(5 * 70, 4), w = random_vector(40 * 70, 5);
  std::vector<float> one(5 * 40), many(5 * 40);
  set_num_threads(1);
  ops().linear_forward(one.data(), a.data(), w.data(), nullptr, 5, 70, 40);
  set_num_threads(3);
  ops().linear_forward(many.data(), a.data(), w.data(), nullptr, 5, 70, 40);
  set_num_threads(2);
  EXPECT_EQ(one, many);
}

TEST(RmsNorm, hand_computed_row) {
  // x = (3, 4): mean(x²) = 12.5, rstd = 1/sqrt(12.5 + 0.5) = 1/sqrt(13).
  std::vector<float> x = {3, 4}, w = {1, 2}, y(2);
  ops().rmsnorm_forward(y.data(), x.data(), w.data(), 1, 2, 0.5f);
  EXPECT_NEAR(y[0], 3 / std::sqrt(13.0), 1e-6);
  EXPECT_NEAR(y[1], 8 / std::sqrt(13.0), 1e-6);
}

TEST(Rope, rotates_pairs_half_a_head_apart) {
  // head_dim 4: pairs (x0, x2) at inv_freq 1 and (x1, x3) at inv_freq 1/theta^(1/2).
  const double theta = 100.0;
  auto inv = rope_inv_freq(4, theta, {});
  ASSERT_EQ(inv.size(), 2u);
  EXPECT_DOUBLE_EQ(inv[1], 0.1);
  std::vector<float> x = {1, 2, 3, 4};
  const int64_t pos = 3;
  ops().rope_forward(x.data(), &pos, inv.data(), 1, 1, 4);
  EXPECT_NEAR(x[0], 1 * std::cos(3.0) - 3 * std::sin(3.0), 1e-6);
  EXPECT_NEAR(x[2], 3 * std::cos(3.0) + 1 * std::sin(3.0), 1e-6);
  EXPECT_NEAR(x[1], 2 * std::cos(0.3) - 4 * std::sin(0.3), 1e-6);
  EXPECT_NEAR(x[3], 4 * std::cos(0.3) + 2 * std::sin(0.3), 1e-6);
}

TEST(Rope, llama3_scaling_divides_low_frequencies_and_keeps_high_ones) {
  RopeLlama3 s{8.0, 1.0, 4.0, 64.0};
  auto plain = rope_inv_freq(16, 10000.0, {});
  auto scaled = rope_inv_freq(16, 10000.0, s);
  for (size_t i = 0; i < plain.size(); ++i) {
    const double wavelen = 2 * M_PI / plain[i];
    if (wavelen < 64.0 / 4.0) EXPECT_DOUBLE_EQ(scaled[i], plain[i]);
    else if (wavelen > 64.0) EXPECT_DOUBLE_EQ(scaled[i], plain[i] / 8.0);
    else {
      const double smooth = (64.0 / wavelen - 1.0) / 3.0;
      EXPECT_NEAR(scaled[i], (1 - smooth) * plain[i] / 8.0 + smooth * plain[i], 1e-15);
    }
  }
}

TEST(Attention, first_position_returns_its_own_value_and_gqa_shares_kv_heads) {
  // 2 query heads share 1 kv head; one position: softmax over one key is 1.
  std::vector<float> q = random_vector(2 * 4, 6), k = random_vector(4, 7), v = {1, 2, 3, 4}, out(8);
  reference::attention_forward(out.data(), q.data(), k.data(), v.data(), 1, 0, 2, 1, 4);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(out[h * 4 + i], v[i]);
}

TEST(Attention, two_positions_match_a_hand_softmax) {
  // One head, head_dim 2, query at position 1 sees keys 0 and 1.
  std::vector<float> k = {1, 0, 0, 1}, v = {10, 0, 0, 20}, q = {0, 0, 2, 0}, out(4);
  reference::attention_forward(out.data(), q.data(), k.data(), v.data(), 2, 0, 1, 1, 2);
  const double s0 = 2 / std::sqrt(2.0), p0 = std::exp(s0) / (std::exp(s0) + 1.0);
  EXPECT_NEAR(out[2], 10 * p0, 1e-5);
  EXPECT_NEAR(out[3], 20 * (1 - p0), 1e-5);
  EXPECT_FLOAT_EQ(out[0], 10);  // row 0 sees only key 0
}

TEST(Swiglu, silu_of_gate_times_up) {
  std::vector<float> g = {0, 1, -2}, u = {5, 2, 3}, out(3);
  ops().swiglu_forward(out.data(), g.data(), u.data(), 3);
  EXPECT_FLOAT_EQ(out[0], 0);
  EXPECT_NEAR(out[1], 2 / (1 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(out[2], 3 * -2 / (1 + std::exp(2.0)), 1e-6);
}

}  // namespace
}  // namespace aha::backend::cpu
