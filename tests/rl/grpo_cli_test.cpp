// `aha grpo` from the command line: a short run on a built-in task writes the run directory;
// bad configs and datasets exit 2 with one line naming what is wrong.
#include <gtest/gtest.h>

#include <filesystem>

#include "aha/base/file.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;

struct CliFixture {
  test::TempDir dir;
  std::string model = dir.file("model");
  CliFixture() {
    std::filesystem::create_directories(model);
    Json config = test::tiny_llama_config();
    config["vocab_size"] = 257;
    config["eos_token_id"] = 256;
    config["max_position_embeddings"] = 512;
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

TEST(GrpoCli, an_output_dir_holding_a_model_is_refused_unchanged_and_overwrite_trains_there) {
  CliFixture f;
  const std::string out = f.dir.file("out");
  std::filesystem::copy(f.model, out);  // someone's model directory, without checkpoints
  const auto before = train::testing::snapshot(out);
  const std::string config = f.config("dataset_task: arithmetic\ndataset_num_examples: 20\n");
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

  test::write_text(f.dir.file("long.jsonl"), "{\"prompt\": \"" + std::string(600, '1') + "\", \"answer\": 2}\n");
  r = test::run_aha("grpo --config " + f.config("dataset_path: " + f.dir.file("long.jsonl") + "\n"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("more than max_prompt_length"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace aha::rl
