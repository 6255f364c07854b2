// rollout_quantization: q8_0 on a tiny model. The engine's sampling log-probs are the model's own
// (what the training forward computes) when the policy samples, and differ a little when a q8_0
// copy does; a run logs TRL's sampling/ metrics, learns, and the correction changes its update.
#include <gtest/gtest.h>

#include <cmath>

#include "aha/model/decoder.hpp"
#include "aha/rl/grpo.hpp"
#include "aha/rl/grpo_update.hpp"
#include "aha/rl/sampling_correction.hpp"
#include "rl/grpo_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "train/fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;
using train::testing::slurp;

// tiny_grpo_config with rollout_quantization: q8_0.
struct QuantizedFixture : grpo_testing::TinyGrpoRun {
  GrpoConfig config(const std::string& out) const {
    GrpoConfig c = TinyGrpoRun::config(out);
    c.rollout_quantization = "q8_0";
    return c;
  }
};

// |old_logp − sampling_logp| over every token of two groups sampled by a `dtype` copy of the model.
std::vector<double> mismatch(const QuantizedFixture& f, model::ComputeDType dtype) {
  GrpoConfig c = f.config("unused");
  c.max_completion_length = 16;
  GrpoInputs in = f.inputs();
  const model::Model sampler(in.model_config, in.weights, dtype);
  const RolloutSource source{&in.model_config, &sampler, in.tokenizer.get(), &in.prompts,
                             &in.rewards,      {1.0},    in.eos_ids};
  Rollout r = generate_groups(c, source, 0, 0, {0, 1});
  GrpoUpdate update(c, in.model_config, in.weights, nullptr);
  update.fill_old_logps(r, in.prompts);
  std::vector<double> d;
  for (const Completion& x : r.completions) {
    EXPECT_EQ(x.sampling_logp.size(), x.ids.size());
    for (size_t i = 0; i < x.ids.size(); ++i) d.push_back(std::fabs(x.old_logp[i] - x.sampling_logp[i]));
  }
  return d;
}

TEST(GrpoQuantizedRollout, the_engines_sampling_logprobs_are_the_models_own_and_a_q8_0_copys_differ_a_little) {
  QuantizedFixture f;
  const std::vector<double> same = mismatch(f, model::ComputeDType::float32);
  ASSERT_GT(same.size(), 16u);
  for (double d : same) EXPECT_LT(d, 1e-5);  // the same model: only the kernels' order differs
  const std::vector<double> q8 = mismatch(f, model::ComputeDType::q8_0);
  double mean = 0, max = 0;
  for (double d : q8) mean += d / static_cast<double>(q8.size()), max = std::max(max, d);
  testing::Test::RecordProperty("q8_0_mismatch", fmt::format("mean {:.2e}, max {:.2e}", mean, max));
  EXPECT_GT(mean, 1e-4);  // the quantized sampler is another distribution...
  EXPECT_LT(max, 0.2);    // ...close to the model's
}

TEST(GrpoQuantizedRollout, a_q8_0_run_logs_the_mismatch_learns_and_the_correction_changes_the_update) {
  QuantizedFixture f;
  const GrpoConfig c = f.config("q8");
  GrpoInputs in = f.inputs();
  run_grpo(c, in, {});
  const auto lines = read_json_lines(c.output_dir + "/metrics.jsonl");
  ASSERT_EQ(lines.size(), 30u);
  const double before = grpo_testing::mean_reward(lines, 0, 5), after = grpo_testing::mean_reward(lines, 25, 30);
  EXPECT_GT(after, before + 0.3) << before << " -> " << after;
  for (const Json& line : lines) {
    const double mean = line["sampling/sampling_logp_difference/mean"].get<double>();
    EXPECT_GT(mean, 0.0);
    EXPECT_LT(mean, 0.2);
    EXPECT_GE(line["sampling/sampling_logp_difference/max"].get<double>(), mean);
    const double lo = line["sampling/importance_sampling_ratio/min"].get<double>();
    EXPECT_GT(lo, 0.0);
    EXPECT_LE(lo, line["sampling/importance_sampling_ratio/mean"].get<double>());
    EXPECT_LE(line["sampling/importance_sampling_ratio/max"].get<double>(), c.vllm_importance_sampling_cap);
  }
  // Without quantization nothing is logged under sampling/; without the correction the update differs.
  GrpoConfig plain = c, uncorrected = c, corrected = c;
  plain.rollout_quantization = "none";
  plain.max_steps = uncorrected.max_steps = corrected.max_steps = 2;
  plain.output_dir = f.dir.file("plain");
  uncorrected.output_dir = f.dir.file("uncorrected");
  corrected.output_dir = f.dir.file("corrected");
  uncorrected.vllm_importance_sampling_correction = false;
  for (const GrpoConfig* run : {&plain, &uncorrected, &corrected}) {
    GrpoInputs fresh = f.inputs();
    run_grpo(*run, fresh, {});
  }
  EXPECT_FALSE(
      read_json_lines(plain.output_dir + "/metrics.jsonl")[0].contains("sampling/importance_sampling_ratio/mean"));
  EXPECT_TRUE(read_json_lines(uncorrected.output_dir + "/metrics.jsonl")[0].contains(
      "sampling/importance_sampling_ratio/mean"));
  EXPECT_NE(slurp(uncorrected.output_dir + "/model.safetensors"), slurp(corrected.output_dir + "/model.safetensors"));
}

}  // namespace
}  // namespace aha::rl
