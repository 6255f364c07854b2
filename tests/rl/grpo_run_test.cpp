// GRPO end to end on a tiny model with a trivial reward: it must raise the mean reward; a run
// killed mid-way and resumed ends with bit-identical weights; the config's errors are clear.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/rl/grpo.hpp"
#include "rl/grpo_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;
using train::testing::slurp;

using Fixture = grpo_testing::TinyGrpoRun;

TEST(GrpoRun, raises_the_mean_reward_of_a_tiny_model_and_logs_trl_metrics) {
  Fixture f;
  const GrpoConfig c = f.config("run");
  GrpoInputs in = f.inputs();
  run_grpo(c, in, {});
  const auto lines = read_json_lines(c.output_dir + "/metrics.jsonl");
  ASSERT_EQ(lines.size(), 30u);
  const double before = grpo_testing::mean_reward(lines, 0, 5), after = grpo_testing::mean_reward(lines, 25, 30);
  testing::Test::RecordProperty("reward", fmt::format("first 5 steps {:.3f}, last 5 steps {:.3f}", before, after));
  EXPECT_GT(after, before + 0.3) << before << " -> " << after;
  for (const char* key :
       {"reward", "reward_std", "rewards/ascii_first/mean", "frac_reward_zero_std", "completions/mean_length",
        "completions/max_length", "completions/clipped_ratio", "clip_ratio/low_mean", "clip_ratio/high_mean", "entropy",
        "grad_norm", "learning_rate", "generation_seconds", "generation_tokens_per_second", "training_seconds",
        "training_tokens_per_second"})
    EXPECT_TRUE(lines[0].contains(key)) << key;
  EXPECT_FALSE(lines[0].contains("kl")) << "TRL logs kl only when beta is not 0";
  EXPECT_LE(lines[0]["completions/max_length"].get<double>(), 3.0);
  // log_completions_steps 10: steps 10, 20 and 30, 16 completions each.
  EXPECT_EQ(read_json_lines(c.output_dir + "/completions.jsonl").size(), 48u);
  EXPECT_TRUE(is_file(c.output_dir + "/model.safetensors"));
  EXPECT_TRUE(is_file(c.output_dir + "/checkpoint-30/trainer_state.json"));
}

TEST(GrpoRun, resume_after_a_crash_mid_rollout_is_bit_identical) {
  Fixture f;
  GrpoConfig c = f.config("straight");
  c.max_steps = 6;
  c.save_steps = 3;
  c.num_iterations = 2;  // checkpoint-3 falls between the two updates of one rollout
  c.beta = 0.04;
  c.loss_type = "grpo";
  GrpoInputs straight = f.inputs();
  run_grpo(c, straight, {});

  c.output_dir = f.dir.file("crashed");
  GrpoInputs crashing = f.inputs(3);  // rollouts at steps 0, 2, 4: the third one fails
  EXPECT_THROW(run_grpo(c, crashing, {}), Error);
  ASSERT_TRUE(is_file(c.output_dir + "/checkpoint-3/trainer_state.json"));
  // The crashed attempt's start, marked so that the resumed one cannot give it by chance.
  const std::string state_path = c.output_dir + "/checkpoint-3/trainer_state.json";
  Json state = read_json_file(state_path);
  ASSERT_FALSE(state["aha_started_at"].get<std::string>().empty());
  state["aha_started_at"] = "2001-02-03T04:05:06Z";
  test::write_text(state_path, state.dump(2));
  GrpoInputs resumed = f.inputs();
  GrpoRunOptions resume;
  resume.resume = train::ResumeMode::newest;
  const auto resume_started = std::chrono::steady_clock::now();
  run_grpo(c, resumed, resume);
  const double resumed_seconds = train::seconds_since(resume_started);
  EXPECT_EQ(slurp(f.dir.file("straight/model.safetensors")), slurp(c.output_dir + "/model.safetensors"));
  const auto a = read_json_lines(f.dir.file("straight/metrics.jsonl"));
  const auto b = read_json_lines(c.output_dir + "/metrics.jsonl");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["loss"], b[i]["loss"]) << i;
    EXPECT_EQ(a[i]["kl"], b[i]["kl"]) << i;
  }
  EXPECT_GT(a[1]["kl"].get<double>(), 0.0);
  // The training time sums the attempts: the crashed one's (saved in checkpoint-3) and the resumed
  // one's (its training loop, within the run_grpo call timed here).
  const double crashed = state["aha_train_seconds"];
  ASSERT_GT(crashed, 0.0);
  const std::string provenance = slurp(c.output_dir + "/provenance.json");
  const double wall = Json::parse(provenance)["run"]["wall_seconds"].get<double>();
  EXPECT_GT(wall, crashed);
  EXPECT_LE(wall, crashed + resumed_seconds);
  EXPECT_NEAR(wall, crashed + resumed_seconds, 0.5);
  // The run started when the crashed attempt did.
  EXPECT_EQ(Json::parse(provenance)["run"]["started_at"], "2001-02-03T04:05:06Z");
  // Resuming a complete run does nothing: provenance.json is not rewritten.
  GrpoInputs again = f.inputs();
  EXPECT_TRUE(run_grpo(c, again, resume).already_complete);
  EXPECT_EQ(slurp(c.output_dir + "/provenance.json"), provenance);
}

TEST(GrpoRun, provenance_records_the_tokens_of_the_prompts) {
  Fixture f;
  GrpoConfig c = f.config("tokens");
  c.max_steps = 1;
  GrpoInputs in = f.inputs();
  run_grpo(c, in, {});
  // The byte tokenizer, independently of the prompts' ids: one token per byte.
  const auto tok = tokenizer::Tokenizer::load(f.model_dir + "/tokenizer.json");
  int64_t tokens = 0;
  for (const std::string& p : {"1+2=", "3+4=", "5+6=", "7+8=", "9+1=", "2+3="})
    tokens += static_cast<int64_t>(tok.encode(p).size());
  ASSERT_EQ(tokens, 24);
  const Json datasets = read_json_file(c.output_dir + "/provenance.json")["run"]["datasets"];
  ASSERT_EQ(datasets.size(), 1u);
  EXPECT_EQ(datasets[0]["records"], 6);
  EXPECT_EQ(datasets[0]["tokens"], tokens) << datasets.dump();
}

// share_prompt_rows changes how the training passes lay out a group (its prompt's rows computed
// once, or once per completion), not what they compute: the first step samples the same
// completions and logs the same loss and entropy to the bit (the log-probs are the same bits), and
// its weights differ only by the order of the gradients' sums.
TEST(GrpoRun, sharing_a_groups_prompt_rows_changes_the_sums_order_only) {
  Fixture f;
  std::map<std::string, tensor::Tensor> weights[2];
  Json first_step[2];
  for (bool share : {false, true}) {
    GrpoConfig c = f.config(share ? "shared" : "whole");
    c.max_steps = 1;
    c.share_prompt_rows = share;
    GrpoInputs in = f.inputs();
    run_grpo(c, in, {});
    first_step[share] = read_json_lines(c.output_dir + "/metrics.jsonl").at(0);
    const io::SafetensorsFile file(c.output_dir + "/model.safetensors");
    for (const std::string& name : file.names()) weights[share].emplace(name, file.get(name));
  }
  for (const char* key : {"loss", "entropy", "reward", "completions/mean_length"})
    EXPECT_EQ(first_step[0][key], first_step[1][key]) << key;
  double diff = 0.0, scale = 0.0;
  for (const auto& [name, t] : weights[0]) {
    const std::vector<float> a = t.to_f32(), b = weights[1].at(name).to_f32();
    for (size_t i = 0; i < a.size(); ++i)
      diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i])),
      scale = std::max(scale, std::abs(double{a[i]}));
  }
  EXPECT_GT(diff, 0.0) << "the sums' order should differ somewhere";
  EXPECT_LT(diff, 1e-5 * scale);
}

TEST(GrpoRun, dynamic_sampling_keeps_groups_whose_rewards_differ) {
  Fixture f;
  GrpoConfig c = f.config("dynamic");
  c.dynamic_sampling = true;
  c.max_steps = 3;
  GrpoInputs in = f.inputs();
  run_grpo(c, in, {});
  for (const Json& line : read_json_lines(c.output_dir + "/metrics.jsonl")) {
    EXPECT_GE(line["dynamic_sampling/rounds"].get<int64_t>(), 1);
    // Every kept group has rewards that differ, so every group has a non-zero std.
    EXPECT_GT(line["filtered/reward_std"].get<double>(), 0.0);
  }
}

TEST(GrpoConfig, rejects_a_group_of_one_and_suggests_the_nearest_key) {
  test::TempDir dir;
  const std::string path = dir.file("grpo.yaml");
  test::write_text(path,
                   "model_name_or_path: m\ndataset_task: countdown\noutput_dir: o\nreward_funcs: [accuracy]\n"
                   "num_generations: 1\nper_device_train_batch_size: 4\n");
  try {
    load_grpo_config(path, {});
    FAIL() << "num_generations 1 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("num_generations: must be at least 2"), std::string::npos) << e.what();
  }
  try {
    load_grpo_config(path, {"num_generation=4"});
    FAIL() << "an unknown key was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'num_generations'"), std::string::npos) << e.what();
  }
  const GrpoConfig c = load_grpo_config(path, {"num_generations=4", "epsilon_high=0.28"});
  EXPECT_EQ(c.num_generations, 4);
  EXPECT_EQ(c.epsilon_high.value(), 0.28);
  EXPECT_EQ(c.loss_type, "dapo");
  EXPECT_EQ(c.beta, 0.0);
  EXPECT_EQ(c.reward_funcs[0].name, "accuracy");
}

}  // namespace
}  // namespace aha::rl
