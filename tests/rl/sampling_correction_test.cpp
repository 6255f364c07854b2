// The sampler correction of quantized rollouts (TRL's vllm_importance_sampling_*) on cases worked by
// hand, its metrics, and the config keys' defaults and errors.
#include <gtest/gtest.h>

#include <cmath>

#include "aha/base/error.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/rl/sampling_correction.hpp"

namespace aha::rl {
namespace {

using Mode = SamplingCorrection;

std::vector<double> weights(Mode mode, double cap, std::vector<double> mask = {1, 1}) {
  // d = old − sampling = 0.5 and −1 per token; their sum −0.5.
  const std::vector<float> old = {-1.0f, -2.0f}, sampling = {-1.5f, -1.0f};
  return sampling_weights(old, sampling, mask, mode, cap);
}

TEST(SamplingCorrection, token_and_sequence_ratios_truncated_or_masked_at_the_cap_by_hand) {
  const double e_half = std::exp(0.5), e_minus_one = std::exp(-1.0), e_minus_half = std::exp(-0.5);
  EXPECT_EQ(weights(Mode::token_truncate, 3.0), (std::vector<double>{e_half, e_minus_one}));
  EXPECT_EQ(weights(Mode::token_truncate, 1.5), (std::vector<double>{1.5, e_minus_one}));
  EXPECT_EQ(weights(Mode::token_mask, 1.5), (std::vector<double>{0.0, e_minus_one}));
  EXPECT_EQ(weights(Mode::sequence_truncate, 3.0), (std::vector<double>{e_minus_half, e_minus_half}));
  EXPECT_EQ(weights(Mode::sequence_mask, 3.0), (std::vector<double>{e_minus_half, e_minus_half}));
  EXPECT_EQ(weights(Mode::sequence_truncate, 0.5), (std::vector<double>{0.5, 0.5}));
  EXPECT_EQ(weights(Mode::sequence_mask, 0.5), (std::vector<double>{0.0, 0.0}));
  // A masked token counts for nothing: ratio 1 alone, left out of the sequence's sum.
  EXPECT_EQ(weights(Mode::token_truncate, 3.0, {0, 1}), (std::vector<double>{1.0, e_minus_one}));
  EXPECT_EQ(weights(Mode::sequence_mask, 3.0, {1, 0}), (std::vector<double>{e_half, e_half}));
}

TEST(SamplingCorrection, metrics_as_trl_logs_them) {
  Completion a, b, truncated;
  a.ids = {1, 2}, a.old_logp = {-1.0f, -2.0f}, a.sampling_logp = {-1.5f, -1.0f};  // |d| 0.5, 1
  b.ids = {3}, b.old_logp = {-0.25f}, b.sampling_logp = {-0.5f};                  // |d| 0.25
  truncated.ids = {4}, truncated.old_logp = {0.0f}, truncated.sampling_logp = {-9.0f};
  const std::vector<Completion> all = {a, b, truncated};
  const std::vector<double> masks = {1, 1, 0};
  const Json token = sampling_metrics(all, masks, Mode::token_truncate, 1.5);
  EXPECT_DOUBLE_EQ(token["sampling/sampling_logp_difference/mean"].get<double>(), (0.5 + 1 + 0.25) / 3);
  EXPECT_DOUBLE_EQ(token["sampling/sampling_logp_difference/max"].get<double>(), 1.0);
  // Over the counted tokens: 1.5 (capped e^0.5), e^-1, e^0.25.
  EXPECT_DOUBLE_EQ(token["sampling/importance_sampling_ratio/min"].get<double>(), std::exp(-1.0));
  EXPECT_DOUBLE_EQ(token["sampling/importance_sampling_ratio/max"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(token["sampling/importance_sampling_ratio/mean"].get<double>(),
                   (1.5 + std::exp(-1.0) + std::exp(0.25)) / 3);
  // The sequence modes: one ratio per completion, the masked one's exp(0) = 1 included (TRL flattens all).
  const Json sequence = sampling_metrics(all, masks, Mode::sequence_mask, 3.0);
  EXPECT_DOUBLE_EQ(sequence["sampling/importance_sampling_ratio/min"].get<double>(), std::exp(-0.5));
  EXPECT_DOUBLE_EQ(sequence["sampling/importance_sampling_ratio/max"].get<double>(), std::exp(0.25));
  EXPECT_DOUBLE_EQ(sequence["sampling/importance_sampling_ratio/mean"].get<double>(),
                   (std::exp(-0.5) + std::exp(0.25) + 1.0) / 3);
  // Nothing counted: zeros, as TRL logs an empty selection.
  const Json none = sampling_metrics({truncated}, {0}, Mode::token_mask, 3.0);
  EXPECT_EQ(none["sampling/sampling_logp_difference/mean"].get<double>(), 0.0);
  EXPECT_EQ(none["sampling/importance_sampling_ratio/max"].get<double>(), 0.0);
}

TEST(SamplingCorrection, the_keys_have_trls_defaults_and_bad_values_name_the_key) {
  const GrpoConfig defaults;
  EXPECT_EQ(defaults.rollout_quantization, "none");
  EXPECT_TRUE(defaults.vllm_importance_sampling_correction);
  EXPECT_EQ(defaults.vllm_importance_sampling_mode, "sequence_mask");
  EXPECT_EQ(defaults.vllm_importance_sampling_cap, 3.0);
  EXPECT_EQ(parse_sampling_correction("token_mask", "k"), Mode::token_mask);
  GrpoConfig c;
  c.model_name_or_path = "m";
  c.output_dir = "out";
  c.dataset_task = "counting";
  c.reward_funcs = {{"accuracy"}};
  c.per_device_train_batch_size = 8;
  validate(c, "c.yaml");
  auto error_of = [&](auto change) {
    GrpoConfig bad = c;
    change(bad);
    try {
      validate(bad, "c.yaml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of([](GrpoConfig& b) { b.rollout_quantization = "q4_0"; }),
            "c.yaml: rollout_quantization: must be none or q8_0, got \"q4_0\"");
  EXPECT_EQ(error_of([](GrpoConfig& b) { b.vllm_importance_sampling_mode = "token"; }),
            "c.yaml: vllm_importance_sampling_mode: must be token_truncate, token_mask, sequence_truncate or "
            "sequence_mask, got \"token\"");
  EXPECT_EQ(error_of([](GrpoConfig& b) { b.vllm_importance_sampling_cap = 0; }),
            "c.yaml: vllm_importance_sampling_cap: must be a positive number (TRL's default 3)");
}

}  // namespace
}  // namespace aha::rl
