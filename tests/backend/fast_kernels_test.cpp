// The vectorised and threaded kernels against their plain forms: the fused cross-entropy against
// cross_entropy_forward + cross_entropy_backward, RoPE from a table against RoPE from angles,
// SwiGLU's vector lanes against its scalar tail and std::exp, and thread-count independence.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "aha/backend/ops.hpp"
#include "aha/base/threads.hpp"
#include "support/random.hpp"

namespace aha::backend::cpu {
namespace {

using Floats = std::vector<float>;

using test::random_vector;

TEST(CrossEntropyAndEntropy, losses_equal_the_forwards_and_entropies_a_double_reference) {
  const int64_t rows = 4, vocab = 2500;  // several summation blocks and a scalar tail
  const Floats logits = random_vector(rows * vocab, 2, 3.0f);
  const std::vector<int32_t> targets = {3, -100, 2499, 1000};
  Floats losses(rows), got_losses(rows), entropies(rows, -1.0f);
  ops().cross_entropy_forward(losses.data(), logits.data(), targets.data(), rows, vocab);
  ops().cross_entropy_and_entropy(got_losses.data(), entropies.data(), logits.data(), targets.data(), rows, vocab);
  EXPECT_EQ(got_losses, losses);
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] < 0) {
      EXPECT_EQ(entropies[r], 0.0f);
      continue;
    }
    double max = -INFINITY, sum = 0, h = 0;
    for (int64_t i = 0; i < vocab; ++i) max = std::max(max, double(logits[r * vocab + i]));
    for (int64_t i = 0; i < vocab; ++i) sum += std::exp(logits[r * vocab + i] - max);
    for (int64_t i = 0; i < vocab; ++i) {
      const double logp = logits[r * vocab + i] - max - std::log(sum);
      h -= std::exp(logp) * logp;
    }
    EXPECT_GT(h, 1.0);
    EXPECT_NEAR(entropies[r], h, 2e-6 * h) << r;
  }
}

TEST(CrossEntropyFused, equals_forward_then_backward_and_a_double_reference) {
  const int64_t rows = 5, vocab = 2500;  // several summation blocks and a scalar tail
  const Floats logits = random_vector(rows * vocab, 1, 4.0f);
  const std::vector<int32_t> targets = {7, -100, 2499, 0, 1234};
  const Floats dlosses = {0.5f, 1.0f, 0.0f, -2.0f, 1.0f};
  Floats losses(rows), dlogits(logits.size(), 0.0f);
  ops().cross_entropy_forward(losses.data(), logits.data(), targets.data(), rows, vocab);
  ops().cross_entropy_backward(dlogits.data(), dlosses.data(), logits.data(), targets.data(), rows, vocab);

  Floats fused = logits, fused_losses(rows);
  ops().cross_entropy_fused(fused_losses.data(), fused.data(), dlosses.data(), targets.data(), rows, vocab);
  EXPECT_EQ(fused_losses, losses);
  for (size_t i = 0; i < fused.size(); ++i) ASSERT_EQ(fused[i] + 0.0f, dlogits[i] + 0.0f) << i;

  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] < 0) {
      EXPECT_EQ(losses[r], 0.0f);
      continue;
    }
    double max = -INFINITY, sum = 0;
    for (int64_t i = 0; i < vocab; ++i) max = std::max(max, double(logits[r * vocab + i]));
    for (int64_t i = 0; i < vocab; ++i) sum += std::exp(logits[r * vocab + i] - max);
    const double want = std::log(sum) + max - logits[r * vocab + targets[r]];
    EXPECT_NEAR(losses[r], want, 2e-6 * std::fabs(want));
    for (int64_t i = 0; i < vocab; i += 97) {
      const double p = std::exp(logits[r * vocab + i] - max) / sum;
      const double g = dlosses[r] * (p - (i == targets[r] ? 1.0 : 0.0));
      EXPECT_NEAR(fused[r * vocab + i], g, 1e-6 + 1e-5 * std::fabs(g));
    }
  }
}

TEST(RopeTable, rotates_exactly_as_rope_from_angles) {
  const int64_t rows = 12, heads = 3, hd = 16, seq = 6;
  const std::vector<double> inv = rope_inv_freq(hd, 10000.0, {});
  std::vector<int64_t> positions(rows);
  for (int64_t r = 0; r < rows; ++r) positions[r] = r % seq;
  const RopeTable table = rope_table(inv.data(), seq, hd);
  Floats a = random_vector(rows * heads * hd, 2), b = a;
  ops().rope_forward(a.data(), positions.data(), inv.data(), rows, heads, hd);
  ops().rope_forward_table(b.data(), table, positions.data(), rows, heads, hd);
  EXPECT_EQ(a, b);
  ops().rope_backward(a.data(), positions.data(), inv.data(), rows, heads, hd);
  ops().rope_backward_table(b.data(), table, positions.data(), rows, heads, hd);
  EXPECT_EQ(a, b);
}

TEST(Swiglu, vector_lanes_equal_the_scalar_tail_and_std_exp_within_rounding) {
  // 17 elements: one vector and a scalar tail; element 16 repeats element 3.
  Floats g = random_vector(17, 3, 3.0f), u = random_vector(17, 4), d = random_vector(17, 5);
  g[16] = g[3], u[16] = u[3], d[16] = d[3];
  Floats out(17), dg(17, 0.0f), du(17, 0.0f);
  ops().swiglu_forward(out.data(), g.data(), u.data(), 17);
  ops().swiglu_backward(dg.data(), du.data(), d.data(), g.data(), u.data(), 17);
  EXPECT_EQ(out[16], out[3]);
  EXPECT_EQ(dg[16], dg[3]);
  EXPECT_EQ(du[16], du[3]);
  for (int i = 0; i < 17; ++i) {
    const double sig = 1.0 / (1.0 + std::exp(-double(g[i])));
    EXPECT_NEAR(out[i], g[i] * sig * u[i], 1e-6 * (1 + std::fabs(g[i] * u[i])));
    EXPECT_NEAR(du[i], d[i] * g[i] * sig, 1e-6 * (1 + std::fabs(g[i] * d[i])));
  }
}

TEST(FastKernels, swiglu_and_rmsnorm_are_identical_for_every_thread_count) {
  const int64_t rows = 300, dim = 96, n = rows * dim;  // above the threading threshold
  const Floats x = random_vector(n, 6), u = random_vector(n, 7), w = random_vector(dim, 8);
  const Floats dy = random_vector(n, 9);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Floats out(n), dx(n, 0.0f), dw(dim, 0.0f), dg(n, 0.0f), du(n, 0.0f), y(n);
    ops().swiglu_forward(out.data(), x.data(), u.data(), n);
    ops().swiglu_backward(dg.data(), du.data(), dy.data(), x.data(), u.data(), n);
    ops().rmsnorm_forward(y.data(), x.data(), w.data(), rows, dim, 1e-5f);
    ops().rmsnorm_backward(dx.data(), dw.data(), dy.data(), x.data(), w.data(), rows, dim, 1e-5f);
    for (const Floats* f : {&dx, &dw, &dg, &du, &y}) out.insert(out.end(), f->begin(), f->end());
    return out;
  };
  const Floats one = run(1), three = run(3);
  set_num_threads(2);
  EXPECT_EQ(one, three);
}

}  // namespace
}  // namespace aha::backend::cpu

namespace aha::backend::cpu {
namespace {

// A NaN logit anywhere in a row makes its loss NaN (the trainer then skips the update).
TEST(CrossEntropyFused, a_nan_logit_gives_a_nan_loss) {
  const int64_t vocab = 40;
  Floats logits(2 * vocab, 0.5f);
  logits[3] = NAN;           // in a vector block
  logits[vocab + 35] = NAN;  // in the scalar tail
  const std::vector<int32_t> targets = {1, 2};
  const Floats dlosses = {1.0f, 1.0f};
  Floats losses(2);
  ops().cross_entropy_forward(losses.data(), logits.data(), targets.data(), 2, vocab);
  EXPECT_TRUE(std::isnan(losses[0]) && std::isnan(losses[1]));
  ops().cross_entropy_fused(losses.data(), logits.data(), dlosses.data(), targets.data(), 2, vocab);
  EXPECT_TRUE(std::isnan(losses[0]) && std::isnan(losses[1]));
}

}  // namespace
}  // namespace aha::backend::cpu
