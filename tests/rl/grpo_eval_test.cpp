// Evaluation during GRPO training: eval/ lines at eval_steps with pass@1, greedy pass@1, pass@k
// and maj@k; load_best_model_at_end's choice of checkpoint by hand; the config's checks.
#include "aha/eval/policy_eval.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "aha/base/error.hpp"
#include "rl/grpo_fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;
using train::testing::slurp;

struct EvalRun {
  test::TempDir dir;
  std::string model_dir = dir.file("model");
  EvalRun() { grpo_testing::write_byte_model(model_dir); }

  GrpoConfig config(const std::string& out) const {
    GrpoConfig c = grpo_testing::tiny_grpo_config(model_dir, dir.file(out));
    c.max_steps = 4;
    c.eval_dataset_task = "held_out";  // the prompts below stand for it
    c.eval_steps = 2;
    c.num_generations_eval = 4;
    return c;
  }
  // The prompts, held-out prompts and the evaluator of `c` (kept by reference).
  GrpoInputs inputs(const GrpoConfig& c) const {
    GrpoInputs in = grpo_testing::tiny_grpo_inputs(model_dir, {"1+2=", "3+4=", "5+6=", "7+8="});
    for (const std::string p : {"4+4=", "6+1=", "8+2="}) in.eval_prompts.push_back({p, in.tokenizer->encode(p), 0});
    in.evaluate = eval::policy_evaluator(c);
    return in;
  }
};

TEST(GrpoEval, eval_lines_hold_pass_at_k_and_maj_at_k_at_eval_steps) {
  EvalRun r;
  const GrpoConfig c = r.config("run");
  GrpoInputs in = r.inputs(c);
  run_grpo(c, in, {});
  std::vector<Json> evals;
  for (const Json& line : read_json_lines(c.output_dir + "/metrics.jsonl"))
    if (line.contains("eval/pass@1")) evals.push_back(line);
  ASSERT_EQ(evals.size(), 2u);
  EXPECT_EQ(evals[0]["step"], 2);
  EXPECT_EQ(evals[1]["step"], 4);
  for (const Json& e : evals) {
    for (const std::string& key : eval_metric_names(c)) EXPECT_TRUE(e.contains(key)) << key;
    // ascii_first scores 0 or 1, and 1 passes: pass@1 is the mean score of the samples.
    EXPECT_DOUBLE_EQ(e["eval/pass@1"].get<double>(), e["eval/rewards/ascii_first/mean"].get<double>());
    EXPECT_DOUBLE_EQ(e["eval/reward"].get<double>(), e["eval/rewards/ascii_first/mean"].get<double>());
    EXPECT_GE(e["eval/pass@4"].get<double>(), e["eval/pass@1"].get<double>());
    // Three prompts: the greedy and majority scores are thirds.
    for (const char* key : {"eval/greedy_pass@1", "eval/maj@4"}) {
      const double thirds = e[key].get<double>() * 3;
      EXPECT_NEAR(thirds, std::round(thirds), 1e-12) << key;
    }
  }
  // The eval's samples draw the same seeds at every evaluation: two runs give the same lines.
  GrpoConfig again = c;
  again.output_dir = r.dir.file("again");
  GrpoInputs in2 = r.inputs(again);
  run_grpo(again, in2, {});
  std::vector<Json> evals2;
  for (const Json& line : read_json_lines(again.output_dir + "/metrics.jsonl"))
    if (line.contains("eval/pass@1")) evals2.push_back(line);
  EXPECT_EQ(evals2, evals);
}

TEST(GrpoEval, the_best_checkpoint_is_chosen_by_the_metric) {
  test::TempDir dir;
  GrpoConfig c;
  c.output_dir = dir.path().string();
  for (int step : {2, 4, 6, 8}) {
    std::filesystem::create_directories(dir.file("checkpoint-" + std::to_string(step)));
    test::write_text(dir.file("checkpoint-" + std::to_string(step) + "/trainer_state.json"), "{}");
  }
  // Step 5 scored best but saved no checkpoint; 4 and 6 tie at 0.75 (the first wins, as HF keeps
  // a best until one is strictly better); 8 is the lowest.
  const Json history = Json::array({{{"step", 1}, {"loss", 0.1}},
                                    {{"step", 2}, {"eval/pass@1", 0.5}},
                                    {{"step", 4}, {"eval/pass@1", 0.75}},
                                    {{"step", 5}, {"eval/pass@1", 0.9}},
                                    {{"step", 6}, {"eval/pass@1", 0.75}},
                                    {{"step", 8}, {"eval/pass@1", 0.25}, {"eval/reward", 0.3}}});
  c.metric_for_best_model = "eval/pass@1";
  EXPECT_TRUE(greater_is_better(c));
  EXPECT_EQ(best_checkpoint_step(c, history), 4);
  c.greater_is_better = false;
  EXPECT_EQ(best_checkpoint_step(c, history), 8);
  c.metric_for_best_model = "eval/reward";
  EXPECT_EQ(best_checkpoint_step(c, history), 8);
  c.metric_for_best_model = "eval/maj@4";
  EXPECT_EQ(best_checkpoint_step(c, history), std::nullopt);
  c.greater_is_better.reset();
  c.metric_for_best_model = "eval_loss";
  EXPECT_FALSE(greater_is_better(c));
}

TEST(GrpoEval, load_best_model_at_end_writes_the_best_checkpoints_model) {
  EvalRun r;
  GrpoConfig c = r.config("best");
  c.save_steps = 2;
  c.load_best_model_at_end = true;
  c.metric_for_best_model = "eval/reward";
  c.greater_is_better = false;
  GrpoInputs in = r.inputs(c);
  run_grpo(c, in, {});
  double best = 0;
  int64_t best_step = 0;
  for (const Json& line : read_json_lines(c.output_dir + "/metrics.jsonl"))
    if (line.contains("eval/reward") && (best_step == 0 || line["eval/reward"].get<double>() < best))
      best = line["eval/reward"].get<double>(), best_step = line["step"].get<int64_t>();
  // Training raises the reward, so the lower one is the first checkpoint's: the final model is not
  // simply the last.
  ASSERT_EQ(best_step, 2);
  EXPECT_EQ(slurp(c.output_dir + "/model.safetensors"), slurp(c.output_dir + "/checkpoint-2/model.safetensors"));
  EXPECT_NE(slurp(c.output_dir + "/model.safetensors"), slurp(c.output_dir + "/checkpoint-4/model.safetensors"));
}

TEST(GrpoEval, the_config_checks_what_load_best_model_at_end_needs) {
  test::TempDir dir;
  const std::string path = dir.file("grpo.yaml");
  test::write_text(path,
                   "model_name_or_path: m\ndataset_task: countdown\noutput_dir: o\nreward_funcs: [accuracy]\n"
                   "num_generations: 4\nper_device_train_batch_size: 4\nsave_steps: 10\n");
  auto error = [&](const std::vector<std::string>& sets) -> std::string {
    try {
      load_grpo_config(path, sets);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_NE(error({"load_best_model_at_end=true"}).find("load_best_model_at_end: needs an evaluation"),
            std::string::npos);
  EXPECT_NE(error({"eval_dataset_task=countdown", "eval_dataset_path=e.jsonl"}).find("not both"), std::string::npos);
  EXPECT_NE(error({"eval_dataset_task=countdown", "load_best_model_at_end=true", "eval_steps=3"})
                .find("save_steps (10) must be a multiple of eval_steps (3)"),
            std::string::npos);
  EXPECT_NE(error({"eval_dataset_task=countdown", "load_best_model_at_end=true", "eval_steps=5", "save_total_limit=2"})
                .find("save_total_limit: 0"),
            std::string::npos);
  EXPECT_NE(error({"eval_dataset_task=countdown", "load_best_model_at_end=true", "eval_steps=5",
                   "metric_for_best_model=eval/pass@8"})
                .find("\"eval/pass@8\" is not an eval metric of this run (eval/pass@1, eval/greedy_pass@1, "
                      "eval/pass@4, eval/maj@4, eval/reward, eval/rewards/accuracy/mean)"),
            std::string::npos);
  EXPECT_NE(error({"num_generations_eval=-1"}).find("num_generations_eval: must not be negative"), std::string::npos);
  const GrpoConfig c =
      load_grpo_config(path, {"eval_dataset_task=countdown", "load_best_model_at_end=true", "eval_steps=5",
                              "num_generations_eval=8", "metric_for_best_model=eval/maj@8", "greater_is_better=true"});
  EXPECT_TRUE(c.load_best_model_at_end);
  EXPECT_EQ(eval_interval(c), 5);
  EXPECT_EQ(c.greater_is_better, true);
}

}  // namespace
}  // namespace aha::rl
