// GRPO's metrics with TRL's meanings: completion statistics worked by hand, the logging window's
// means against the per-step lines of the same run, num_tokens counted once per generation, and
// dynamic_sampling's sampled values beside the filtered batch's.
#include "aha/rl/grpo_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "rl/grpo_fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;

Completion completion(int64_t prompt, size_t length, bool truncated, double reward) {
  Completion x;
  x.prompt = prompt;
  x.ids.assign(length, 7);
  x.truncated = truncated;
  x.rewards = {reward, std::nan("")};
  x.reward = reward;
  return x;
}

TEST(GrpoMetrics, completion_statistics_match_hand_computed_values) {
  std::vector<GrpoPrompt> prompts(2);
  prompts[1].truncated = true;
  // Two groups of two: lengths 3 (cut), 1, 2, 5 (cut); rewards 1, 0, 1, 1.
  const std::vector<Completion> batch = {completion(0, 3, true, 1), completion(0, 1, false, 0),
                                         completion(1, 2, false, 1), completion(1, 5, true, 1)};
  const Json m = completion_metrics(batch, prompts, {"a", "b"}, 2, ScaleRewards::group, "x/");
  EXPECT_DOUBLE_EQ(m["x/reward"].get<double>(), 0.75);
  // Group stds (unbiased): [1, 0] -> sqrt(1/2); [1, 1] -> 0; their mean.
  EXPECT_DOUBLE_EQ(m["x/reward_std"].get<double>(), std::sqrt(0.5) / 2);
  EXPECT_DOUBLE_EQ(m["x/frac_reward_zero_std"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(m["x/rewards/a/mean"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(m["x/rewards/a/std"].get<double>(), 0.5);  // unbiased std of 1, 0, 1, 1
  EXPECT_EQ(m["x/rewards/b/mean"].get<double>(), 0.0);        // every score NaN: none counted
  EXPECT_EQ(m["x/prompts/truncated"], 1);
  EXPECT_DOUBLE_EQ(m["x/completions/mean_length"].get<double>(), 11.0 / 4);
  EXPECT_EQ(m["x/completions/min_length"].get<double>(), 1.0);
  EXPECT_EQ(m["x/completions/max_length"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(m["x/completions/clipped_ratio"].get<double>(), 0.5);
  // Terminated: lengths 1 and 2.
  EXPECT_DOUBLE_EQ(m["x/completions/mean_terminated_length"].get<double>(), 1.5);
  EXPECT_EQ(m["x/completions/min_terminated_length"].get<double>(), 1.0);
  EXPECT_EQ(m["x/completions/max_terminated_length"].get<double>(), 2.0);
  // scale_rewards batch: reward_std is the batch's std, sqrt((3 · 0.25² + 0.75²) / 3) = 0.5.
  EXPECT_DOUBLE_EQ(completion_metrics(batch, prompts, {"a", "b"}, 2, ScaleRewards::batch)["reward_std"].get<double>(),
                   0.5);
  // All cut off: the terminated lengths are 0, as TRL logs them.
  const Json cut = completion_metrics({completion(0, 4, true, 0), completion(0, 6, true, 0)}, prompts, {"a", "b"}, 2,
                                      ScaleRewards::group);
  EXPECT_EQ(cut["completions/min_terminated_length"].get<double>(), 0.0);
  EXPECT_EQ(cut["completions/max_terminated_length"].get<double>(), 0.0);
  EXPECT_EQ(cut["completions/clipped_ratio"].get<double>(), 1.0);
  EXPECT_EQ(input_tokens(batch, {GrpoPrompt{"p", {1, 2}, 0}, GrpoPrompt{"q", {1, 2, 3}, 0}}),
            (2 + 3) + (2 + 1) + (3 + 2) + (3 + 5));
}

TEST(GrpoMetrics, the_window_averages_each_key_over_the_values_it_was_given) {
  MetricsWindow w;
  w.add({{"a", 1.0}, {"b", 2.0}, {"s", "text"}});
  w.add({{"a", 3.0}});
  w.add({{"a", 5.0}, {"b", std::nan("")}, {"c", 4}});
  const Json m = w.take();
  EXPECT_EQ(m["a"].get<double>(), 3.0);  // (1 + 3 + 5) / 3
  EXPECT_EQ(m["b"].get<double>(), 2.0);  // the NaN is left out
  EXPECT_EQ(m["c"].get<double>(), 4.0);
  EXPECT_FALSE(m.contains("s"));
  EXPECT_TRUE(w.take().empty());
}

struct Runs {
  test::TempDir dir;
  std::string model_dir = dir.file("model");
  Runs() { grpo_testing::write_byte_model(model_dir); }
  GrpoConfig config(const std::string& out) const { return grpo_testing::tiny_grpo_config(model_dir, dir.file(out)); }
  GrpoInputs inputs() const {
    return grpo_testing::tiny_grpo_inputs(model_dir, {"1+2=", "3+4=", "5+6=", "7+8=", "9+1=", "2+3="});
  }
  std::vector<Json> run(const GrpoConfig& c) const {
    GrpoInputs in = inputs();
    run_grpo(c, in, {});
    return read_json_lines(c.output_dir + "/metrics.jsonl");
  }
};

TEST(GrpoMetrics, logging_steps_lines_are_the_means_of_the_steps_they_cover) {
  Runs r;
  GrpoConfig c = r.config("every");
  c.max_steps = 6;
  const std::vector<Json> every = r.run(c);
  c.output_dir = r.dir.file("window");
  c.logging_steps = 3;
  const std::vector<Json> window = r.run(c);
  ASSERT_EQ(every.size(), 6u);
  ASSERT_EQ(window.size(), 2u);
  for (size_t w = 0; w < 2; ++w) {
    const Json& line = window[w];
    EXPECT_EQ(line["step"], 3 * (w + 1));
    for (const char* key : {"loss", "reward", "reward_std", "entropy", "clip_ratio/low_mean", "completions/mean_length",
                            "completions/max_terminated_length", "rewards/ascii_first/mean"}) {
      const double mean = (every[3 * w][key].get<double>() + every[3 * w + 1][key].get<double>() +
                           every[3 * w + 2][key].get<double>()) /
                          3;
      EXPECT_NEAR(line[key].get<double>(), mean, 1e-12) << key << " at step " << line["step"];
    }
    // grad_norm, learning_rate and num_tokens are the last step's, as the HF Trainer logs them.
    for (const char* key : {"grad_norm", "learning_rate", "num_tokens"}) EXPECT_EQ(line[key], every[3 * w + 2][key]);
  }
}

TEST(GrpoMetrics, num_tokens_counts_each_generation_once_and_rewards_are_logged_when_sampled) {
  Runs r;
  GrpoConfig c = r.config("iterations");
  c.max_steps = 4;
  c.num_iterations = 2;  // rollouts at steps 1 and 3, each trained on twice
  const std::vector<Json> lines = r.run(c);
  ASSERT_EQ(lines.size(), 4u);
  // Every prompt is 4 byte tokens; 16 completions a rollout: 16 · 4 prompt tokens plus their lengths.
  const GrpoInputs in = r.inputs();
  for (const GrpoPrompt& p : in.prompts) ASSERT_EQ(p.ids.size(), 4u);
  const double first = 16 * (4 + lines[0]["completions/mean_length"].get<double>());
  EXPECT_DOUBLE_EQ(lines[0]["num_tokens"].get<double>(), first);
  EXPECT_EQ(lines[1]["num_tokens"], lines[0]["num_tokens"]);
  EXPECT_DOUBLE_EQ(lines[2]["num_tokens"].get<double>(),
                   first + 16 * (4 + lines[2]["completions/mean_length"].get<double>()));
  EXPECT_EQ(lines[3]["num_tokens"], lines[2]["num_tokens"]);
  // TRL logs the rollout's metrics when it samples, the update's at every step.
  EXPECT_TRUE(lines[0].contains("reward"));
  EXPECT_FALSE(lines[1].contains("reward"));
  EXPECT_TRUE(lines[1].contains("loss"));
  for (const Json& line : lines) {
    EXPECT_LE(line["clip_ratio/low_min"].get<double>(), line["clip_ratio/low_mean"].get<double>() + 1e-15);
    EXPECT_GE(line["clip_ratio/high_max"].get<double>(), line["clip_ratio/high_mean"].get<double>() - 1e-15);
  }
}

TEST(GrpoMetrics, dynamic_sampling_logs_what_was_sampled_and_the_filtered_batch_apart) {
  Runs r;
  GrpoConfig c = r.config("dynamic");
  c.dynamic_sampling = true;
  c.num_generations = 2;  // groups of two: about half of them score alike, so the filter has work
  c.max_steps = 6;
  int filtered_differs = 0;
  std::string seen;  // rounds, sampled and kept zero-std shares of each step, for a failure message
  for (const Json& line : r.run(c)) {
    const int64_t rounds = line["dynamic_sampling/rounds"].get<int64_t>();
    const double sampled_zero = line["frac_reward_zero_std"].get<double>(),
                 kept_zero = line["filtered/frac_reward_zero_std"].get<double>();
    seen += fmt::format(" ({}, {}, {})", rounds, sampled_zero, kept_zero);
    if (rounds == 1) {
      // Nothing was filtered: the batch trained on is the one sampled.
      for (const char* key : {"reward", "reward_std", "completions/mean_length", "rewards/ascii_first/mean"})
        EXPECT_EQ(line[key], line[std::string("filtered/") + key]) << key;
      EXPECT_EQ(sampled_zero, 0.0);
    } else {
      // A second round means the first had groups of equal rewards, which the filter replaces.
      EXPECT_GT(sampled_zero, 0.0);
      EXPECT_LE(kept_zero, sampled_zero);
      if (kept_zero < sampled_zero) ++filtered_differs;
    }
  }
  EXPECT_GT(filtered_differs, 0) << "no step filtered a group, so nothing was compared:" << seen;
}

}  // namespace
}  // namespace aha::rl
