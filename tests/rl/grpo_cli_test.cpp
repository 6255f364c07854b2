// `aha grpo` from the command line: a short run on a built-in task writes the run directory;
// bad configs and datasets exit 2 with one line naming what is wrong; prompts that do not fit are
// truncated and counted; the prompt template trained with is what eval uses on the model.
#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>

#include "aha/base/file.hpp"
#include "aha/io/prompt_template_file.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;

struct CliFixture {
  test::TempDir dir;
  std::string model = dir.file("model");
  explicit CliFixture(int64_t context = 512) {
    std::filesystem::create_directories(model);
    Json config = test::tiny_llama_config();
    config["vocab_size"] = 257;
    config["eos_token_id"] = 256;
    config["max_position_embeddings"] = context;
    test::write_tiny_model(model, config, 4);
    train::testing::write_byte_tokenizer(model);
  }
  std::string config(const std::string& extra) const {
    const std::string path = dir.file("grpo.yaml");
    test::write_text(path, fmt::format("model_name_or_path: {}\noutput_dir: {}\nreward_funcs: [format, accuracy]\n"
                                       "reward_weights: [0.5, 1.0]\nprompt_template: raw\nnum_generations: 4\n"
                                       "per_device_train_batch_size: 8\nmax_completion_length: 8\nlearning_rate: 1e-3\n"
                                       "max_steps: 2\nthreads: 1\n{}",
                                       model, dir.file("out"), extra));
    return path;
  }
};

TEST(GrpoCli, a_short_run_on_a_builtin_task_writes_metrics_completions_and_the_model) {
  CliFixture f;
  const auto r = test::run_aha(
      "grpo --config " + f.config("dataset_task: arithmetic\ndataset_num_examples: 20\nlog_completions_steps: 1\n"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = read_json_lines(f.dir.file("out/metrics.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[1].contains("rewards/format/mean"));
  EXPECT_TRUE(lines[1].contains("rewards/accuracy/mean"));
  EXPECT_EQ(read_json_lines(f.dir.file("out/completions.jsonl")).size(), 16u);
  EXPECT_TRUE(is_file(f.dir.file("out/model.safetensors")));
  EXPECT_TRUE(is_file(f.dir.file("out/tokenizer.json")));
  EXPECT_TRUE(is_file(f.dir.file("out/config.yaml")));
  // The 20 prompts' tokens (raw template, one byte token per character: at least "a+b=" each).
  const std::string provenance = train::testing::slurp(f.dir.file("out/provenance.json"));
  const Json dataset = Json::parse(provenance)["run"]["datasets"][0];
  EXPECT_EQ(dataset["records"], 20);
  EXPECT_GE(dataset["tokens"].get<int64_t>(), 20 * 4) << dataset.dump();
  // A --resume of the complete run does nothing: provenance.json stays byte for byte.
  const auto again =
      test::run_aha("grpo --resume --config " + f.config("dataset_task: arithmetic\ndataset_num_examples: 20\n"));
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("already complete"), std::string::npos) << again.err;
  EXPECT_EQ(train::testing::slurp(f.dir.file("out/provenance.json")), provenance);
}

TEST(GrpoCli, eval_on_a_tasks_test_split_is_logged_recorded_reported_and_picks_the_final_model) {
  CliFixture f;
  const auto r = test::run_aha(
      "grpo --config " + f.config("dataset_task: word_problems\ndataset_num_examples: 20\n"
                                  "eval_dataset_task: word_problems\neval_dataset_num_examples: 3\neval_steps: 1\n"
                                  "num_generations_eval: 2\nsave_steps: 1\nload_best_model_at_end: true\n"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("load_best_model_at_end: the final model is "), std::string::npos) << r.err;
  std::vector<int64_t> eval_steps;
  for (const Json& line : read_json_lines(f.dir.file("out/metrics.jsonl")))
    if (line.contains("eval/pass@1")) {
      eval_steps.push_back(line["step"].get<int64_t>());
      for (const char* key : {"eval/greedy_pass@1", "eval/pass@2", "eval/maj@2", "eval/rewards/accuracy/mean"})
        EXPECT_TRUE(line.contains(key)) << key;
    }
  EXPECT_EQ(eval_steps, (std::vector<int64_t>{1, 2}));
  const Json datasets = Json::parse(train::testing::slurp(f.dir.file("out/provenance.json")))["run"]["datasets"];
  ASSERT_EQ(datasets.size(), 2u) << datasets.dump();
  EXPECT_EQ(datasets[1]["role"], "eval") << datasets.dump();
  EXPECT_EQ(datasets[1]["records"], 3) << datasets.dump();
  ASSERT_EQ(test::run_aha("report --run " + f.dir.file("out")).status, 0);
  EXPECT_NE(train::testing::slurp(f.dir.file("out/report.html")).find("data-metric=\"eval/pass@1\""),
            std::string::npos);
  // A metric the run does not log is refused before anything runs.
  const auto bad = test::run_aha("grpo --overwrite --set metric_for_best_model=eval/pass@8 --config " +
                                 f.config("dataset_task: word_problems\neval_dataset_task: word_problems\n"
                                          "save_steps: 1\nload_best_model_at_end: true\n"));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("metric_for_best_model: \"eval/pass@8\" is not an eval metric of this run"), std::string::npos)
      << bad.err;
}

TEST(GrpoCli, an_output_dir_holding_a_model_is_refused_unchanged_and_overwrite_trains_there) {
  CliFixture f;
  const std::string out = f.dir.file("out");
  std::filesystem::copy(f.model, out);  // someone's model directory, without checkpoints
  const auto before = train::testing::snapshot(out);
  const std::string config = f.config("dataset_task: word_problems\ndataset_num_examples: 20\n");
  for (const char* resume : {"", " --resume"}) {
    const auto r = test::run_aha("grpo --config " + config + resume);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("output_dir " + out + " holds files"), std::string::npos) << r.err;
    EXPECT_EQ(train::testing::snapshot(out), before);
  }
  const auto r = test::run_aha("grpo --overwrite --config " + config);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(train::testing::slurp(out + "/model.safetensors"), train::testing::slurp(f.model + "/model.safetensors"));
}

TEST(GrpoCli, a_group_of_one_a_row_without_answer_and_a_long_prompt_exit_2_with_a_clear_line) {
  CliFixture f;
  auto r = test::run_aha("grpo --config " + f.config("dataset_task: arithmetic\nnum_generations: 1\n"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("num_generations: must be at least 2"), std::string::npos) << r.err;

  test::write_text(f.dir.file("data.jsonl"), "{\"prompt\": \"1+1=\", \"answer\": 2}\n{\"prompt\": \"2+2=\"}\n");
  r = test::run_aha("grpo --config " + f.config("dataset_path: " + f.dir.file("data.jsonl") + "\n"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("data.jsonl:2"), std::string::npos) << r.err;
}

TEST(GrpoCli, a_long_prompt_with_prompt_truncation_error_exits_2_naming_the_item_and_the_keys) {
  CliFixture f;
  test::write_text(f.dir.file("long.jsonl"), "{\"prompt\": \"1+1=\", \"answer\": 2}\n\n{\"prompt\": \"" +
                                                 std::string(600, '1') + "\", \"answer\": 2}\n");
  auto r = test::run_aha("grpo --config " + f.config("dataset_path: " + f.dir.file("long.jsonl") +
                                                     "\nmax_prompt_length: 100\nprompt_truncation: error\n"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(f.dir.file("long.jsonl") + ":3: the prompt has 600 tokens, more than max_prompt_length (100); "
                                                  "raise max_prompt_length, or set prompt_truncation: left"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(is_file(f.dir.file("out/metrics.jsonl")));
  // Past the model's context of 512 positions, whatever max_prompt_length says.
  r = test::run_aha("grpo --config " + f.config("dataset_path: " + f.dir.file("long.jsonl") +
                                                "\nmax_prompt_length: 1000\nprompt_truncation: error\n"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(":3: the prompt has 600 tokens, which leaves no room to generate in the model's context of "
                       "512 positions (max_position_embeddings); set prompt_truncation: left"),
            std::string::npos)
      << r.err;
  r = test::run_aha("grpo --config " + f.config("dataset_path: " + f.dir.file("long.jsonl") +
                                                "\nmax_prompt_length: 100\nprompt_truncation: cut\n"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("prompt_truncation: unknown value \"cut\" (expected left, skip or error)"), std::string::npos)
      << r.err;
  // skip leaves the long prompt out and trains on the rest.
  r = test::run_aha("grpo --config " + f.config("dataset_path: " + f.dir.file("long.jsonl") +
                                                "\nmax_prompt_length: 100\nprompt_truncation: skip\n"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("1 of 2 prompts of " + f.dir.file("long.jsonl") +
                       " were longer than 100 tokens: left out (prompt_truncation: skip)"),
            std::string::npos)
      << r.err;
}

TEST(GrpoCli, the_whole_gsm8k_train_file_in_a_256_token_context_runs_to_the_end_with_prompts_truncated_and_counted) {
  CliFixture f(256);
  const std::string gsm8k = std::string(AHA_SOURCE_DIR) + "/data/gsm8k/train.jsonl";
  // R1-Zero's template makes every GSM8K prompt longer than 240 byte tokens.
  const auto r = test::run_aha("grpo --set prompt_template=r1_zero --config " +
                               f.config("dataset_path: " + gsm8k + "\nmax_prompt_length: 240\n"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("7473 of 7473 prompts of " + gsm8k +
                       " were longer than 240 tokens: truncated from the left (prompt_truncation: left)"),
            std::string::npos)
      << r.err;
  const auto lines = read_json_lines(f.dir.file("out/metrics.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  for (const Json& line : lines) EXPECT_EQ(line["prompts/truncated"], 2) << line.dump();  // 8 completions / 4
  const auto completions = read_json_lines(f.dir.file("out/completions.jsonl"));
  ASSERT_EQ(completions.size(), 8u);
  for (const Json& c : completions) {
    const std::string prompt = c["prompt"].get<std::string>();
    EXPECT_TRUE(prompt.ends_with(". Assistant:")) << prompt;  // the end is kept, as TRL truncates
    EXPECT_LE(prompt.size(), 240u + 2u) << prompt;            // a cut character decodes as U+FFFD
  }
  EXPECT_EQ(io::stored_prompt_template(f.dir.file("out")), "r1_zero");
}

// A model trained after r1_zero_think stores it; a later run that takes the stored template
// refuses the format reward as a config that names the template does.
TEST(GrpoCli, the_format_reward_is_refused_after_a_stored_r1_zero_think_template) {
  CliFixture f;
  const std::string config = f.config("dataset_task: word_problems\ndataset_num_examples: 20\n");
  auto r = test::run_aha(
      "grpo --set prompt_template=r1_zero_think --set reward_funcs=[format_think_open,accuracy] "
      "--config " +
      config);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(io::stored_prompt_template(f.dir.file("out")), "r1_zero_think");
  r = test::run_aha("grpo --set prompt_template= --set model_name_or_path=" + f.dir.file("out") +
                    " --set output_dir=" + f.dir.file("again") + " --config " + config);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(f.dir.file("out") + "/prompt_template.json: reward_funcs: format never scores after "
                                           "prompt_template r1_zero_think"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(is_file(f.dir.file("again/model.safetensors")));
}

TEST(GrpoCli, eval_on_a_model_trained_with_the_raw_template_uses_it_unless_told_otherwise) {
  CliFixture f;
  auto r = test::run_aha("grpo --config " + f.config("dataset_task: arithmetic\ndataset_num_examples: 20\n"));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string trained = f.dir.file("out");
  EXPECT_EQ(train::testing::slurp(trained + "/prompt_template.json"), "{\n  \"prompt_template\": \"raw\"\n}\n");
  const std::string eval = "eval --threads 1 --model " + trained + " --task arithmetic --count 2 --max-tokens 2 ";
  r = test::run_aha(eval + "--out " + f.dir.file("stored"));
  ASSERT_EQ(r.status, 0) << r.err;
  Json s = Json::parse(train::testing::slurp(f.dir.file("stored/summary.json")));
  EXPECT_EQ(s["prompt_template"], "raw");
  for (const Json& item : read_json_lines(f.dir.file("stored/items.jsonl")))
    EXPECT_EQ(item["prompt"].get<std::string>().find("Assistant:"), std::string::npos) << item.dump();
  r = test::run_aha(eval + "--prompt-template r1_zero --out " + f.dir.file("explicit"));
  ASSERT_EQ(r.status, 0) << r.err;
  s = Json::parse(train::testing::slurp(f.dir.file("explicit/summary.json")));
  EXPECT_EQ(s["prompt_template"], "r1_zero");
  for (const Json& item : read_json_lines(f.dir.file("explicit/items.jsonl")))
    EXPECT_TRUE(item["prompt"].get<std::string>().ends_with(". Assistant:")) << item.dump();
  r = test::run_aha(eval + "--prompt-template r1_zero_think --out " + f.dir.file("think"));
  ASSERT_EQ(r.status, 0) << r.err;
  for (const Json& item : read_json_lines(f.dir.file("think/items.jsonl")))
    EXPECT_TRUE(item["prompt"].get<std::string>().ends_with(". Assistant: <think>")) << item.dump();
  // The model it started from has no stored template and no chat template: r1_zero.
  r = test::run_aha("eval --threads 1 --model " + f.model + " --task arithmetic --count 2 --max-tokens 2 --out " +
                    f.dir.file("base"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Json::parse(train::testing::slurp(f.dir.file("base/summary.json")))["prompt_template"], "r1_zero");
}

}  // namespace
}  // namespace aha::rl
