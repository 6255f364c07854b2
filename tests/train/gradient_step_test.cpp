// Gradient accumulation: one step over a batch of 4 and one over 2 micro-batches of 2 take the
// same mean token loss and (up to rounding) the same update. Padding-free micro-batches give the
// padded ones' loss to the bit and their update up to the order of the gradients' sums.
#include "aha/train/gradient_step.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

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

// Sequences of 3 to 17 tokens, each with an unlabelled prefix of 0 to 3 (a prompt).
std::vector<data::Sequence> ragged_sequences(int n) {
  RandomStream rng(2, "test");
  std::vector<data::Sequence> seqs(static_cast<size_t>(n));
  for (auto& s : seqs) {
    const int len = 3 + static_cast<int>(rng.below(15)), prompt = static_cast<int>(rng.below(4));
    for (int i = 0; i < len; ++i) s.tokens.push_back(static_cast<int32_t>(rng.below(64)));
    for (int i = 0; i < len; ++i) s.labels.push_back(i >= prompt ? 1 : 0);
  }
  return seqs;
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, static_cast<double>(std::abs(a[i] - b[i])));
  return d;
}

TEST(GradientStep, padding_free_batches_give_the_padded_loss_to_the_bit_and_its_update) {
  const io::ModelConfig config = io::parse_model_config(test::tiny_llama_config(), "config.json");
  const auto seqs = ragged_sequences(10);
  const std::vector<int64_t> first = {0, 1, 2, 3, 4}, second = {5, 6, 7, 8, 9};
  const AdamWOptions options{1e-2, 0.9, 0.999, 1e-8, 0.1};
  for (const bool bf16 : {false, true})
    for (const bool checkpointing : {false, true}) {
      SCOPED_TRACE(fmt::format("bf16 {} checkpointing {}", bf16, checkpointing));
      const model::Weights start = init_weights(config, 0.02, 5);
      model::Weights a = start, b = start;
      GradientStep padded(config, a, checkpointing), free(config, b, checkpointing);
      padded.set_bf16(bf16), free.set_bf16(bf16);
      const auto batches = [&](bool padding_free) {
        return std::vector<data::MicroBatch>{data::make_micro_batch(seqs, first, padding_free),
                                             data::make_micro_batch(seqs, second, padding_free)};
      };
      ASSERT_LT(batches(true)[0].tokens.size(), batches(false)[0].tokens.size());  // there is padding to drop
      const StepResult ra = padded.step(batches(false), options, 1.0), rb = free.step(batches(true), options, 1.0);
      EXPECT_EQ(ra.loss, rb.loss);
      EXPECT_EQ(ra.tokens_in, rb.tokens_in);
      EXPECT_NEAR(ra.grad_norm, rb.grad_norm, 1e-5 * ra.grad_norm);
      // AdamW's first step moves every weight by about lr; the two updates agree far closer.
      const double update = max_abs_difference(start.embed_tokens, a.embed_tokens);
      EXPECT_GT(update, 1e-3);
      EXPECT_LT(max_abs_difference(a.embed_tokens, b.embed_tokens), 1e-3 * update);
      EXPECT_LT(max_abs_difference(a.layers[0].down_proj.weight, b.layers[0].down_proj.weight), 1e-3 * update);
      EXPECT_EQ(padded.mean_loss(seqs, 4), free.mean_loss(seqs, 4, true));
    }
}

}  // namespace
}  // namespace aha::train
