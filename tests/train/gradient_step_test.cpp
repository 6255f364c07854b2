// Gradient accumulation: one step over a batch of 4 and one over 2 micro-batches of 2 take the
// same mean token loss and (up to rounding) the same update.
#include "aha/train/gradient_step.hpp"

#include <gtest/gtest.h>

#include "aha/base/random.hpp"
#include "aha/train/init_weights.hpp"
#include "support/tiny_model.hpp"

namespace aha::train {
namespace {

std::vector<data::Sequence> random_sequences(int n, int len) {
  RandomStream rng(1, "test");
  std::vector<data::Sequence> seqs(static_cast<size_t>(n));
  for (auto& s : seqs) {
    for (int i = 0; i < len; ++i) s.tokens.push_back(static_cast<int32_t>(rng.below(64)));
    s.labels.assign(static_cast<size_t>(len), 1);
  }
  return seqs;
}

TEST(GradientStep, accumulation_matches_one_big_batch) {
  const io::ModelConfig config = io::parse_model_config(test::tiny_llama_config(), "config.json");
  const auto seqs = random_sequences(4, 12);
  model::Weights a = init_weights(config, 0.02, 5), b = a;
  GradientStep one(config, a, false), two(config, b, true);
  const AdamWOptions options{1e-2, 0.9, 0.999, 1e-8, 0.1};
  const StepResult ra = one.step({data::make_micro_batch(seqs, {0, 1, 2, 3})}, options, 1.0);
  const StepResult rb =
      two.step({data::make_micro_batch(seqs, {0, 1}), data::make_micro_batch(seqs, {2, 3})}, options, 1.0);
  EXPECT_NEAR(ra.loss, rb.loss, 1e-6);
  EXPECT_NEAR(ra.grad_norm, rb.grad_norm, 1e-6 * ra.grad_norm);
  EXPECT_NEAR(ra.loss, std::log(64.0), 0.05);  // small init: near-uniform predictions
  double max_diff = 0;
  for (size_t i = 0; i < a.embed_tokens.size(); ++i)
    max_diff = std::max(max_diff, static_cast<double>(std::abs(a.embed_tokens[i] - b.embed_tokens[i])));
  EXPECT_LT(max_diff, 1e-5);
  EXPECT_NEAR(one.mean_loss(seqs, 3), two.mean_loss(seqs, 4), 1e-6);
}

}  // namespace
}  // namespace aha::train
