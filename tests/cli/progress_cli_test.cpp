// Progress under nohup or a batch scheduler: with stderr redirected to a file (not a terminal),
// every long command writes plain progress lines there, at its cadence and at the end, with no
// carriage returns that a log would show as garbage.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha {
namespace {

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) found.push_back(line);
  return found;
}

class ProgressCli : public ::testing::Test {
 protected:
  test::TempDir dir;
  std::string model = dir.file("model");

  // A tiny random model with the byte tokenizer.
  void SetUp() override {
    std::filesystem::create_directories(model);
    Json config = test::tiny_llama_config();
    config["vocab_size"] = 257;
    config["eos_token_id"] = 256;
    config["max_position_embeddings"] = 256;
    test::write_tiny_model(model, config, 4);
    train::testing::write_byte_tokenizer(model);
  }

  // `aha args`, which must succeed; its stderr, which must hold no carriage return.
  std::string stderr_of(const std::string& args) {
    const test::RunResult r = test::run_aha(args);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
    return r.err;
  }
};

TEST_F(ProgressCli, pretrain_writes_a_line_every_logging_steps_and_one_at_the_end) {
  const std::string config = train::testing::write_arithmetic_config(
      dir.path().string(), "max_steps: 5\nlogging_steps: 2\nsave_steps: 5\nper_device_train_batch_size: 2\n", 32);
  const auto lines = lines_starting(stderr_of("pretrain --threads 1 --config " + config), "pretrain: ");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].starts_with("pretrain: 2/5 steps (40%)  loss ")) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("pretrain: 4/5 steps (80%)  loss ")) << lines[1];
  EXPECT_NE(lines[1].find(" left"), std::string::npos) << lines[1];
  EXPECT_TRUE(lines[2].starts_with("pretrain: 5/5 steps (100%)  loss ")) << lines[2];
  EXPECT_NE(lines[2].find("  done in "), std::string::npos) << lines[2];
  // A run that is already complete has no progress to show.
  EXPECT_TRUE(lines_starting(stderr_of("pretrain --threads 1 --resume --config " + config), "pretrain: ").empty());
}

TEST_F(ProgressCli, sft_writes_a_line_every_step_with_logging_steps_1) {
  std::string data;
  for (int a = 0; a < 8; ++a) data += Json{{"prompt", std::to_string(a) + "+1="}, {"completion", "x"}}.dump() + "\n";
  test::write_text(dir.file("sft.jsonl"), data);
  test::write_text(dir.file("sft.yaml"), fmt::format("model_name_or_path: {}\ndataset_path: {}\noutput_dir: {}\n"
                                                     "max_steps: 3\nlogging_steps: 1\nper_device_train_batch_size: 2\n",
                                                     model, dir.file("sft.jsonl"), dir.file("out")));
  const auto lines = lines_starting(stderr_of("sft --threads 1 --config " + dir.file("sft.yaml")), "sft: ");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].starts_with("sft: 1/3 steps (33%)  loss ")) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("sft: 2/3 steps (66%)  loss ")) << lines[1];
  EXPECT_TRUE(lines[2].starts_with("sft: 3/3 steps (100%)  loss ")) << lines[2];
}

TEST_F(ProgressCli, grpo_writes_a_line_every_step_with_the_mean_reward) {
  test::write_text(dir.file("grpo.yaml"),
                   fmt::format("model_name_or_path: {}\noutput_dir: {}\nreward_funcs: [accuracy]\n"
                               "prompt_template: raw\nnum_generations: 2\nper_device_train_batch_size: 4\n"
                               "max_completion_length: 4\nmax_steps: 2\nlogging_steps: 1\ndataset_task: arithmetic\n"
                               "dataset_num_examples: 8\n",
                               model, dir.file("out")));
  const auto lines = lines_starting(stderr_of("grpo --threads 1 --config " + dir.file("grpo.yaml")), "grpo: ");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].starts_with("grpo: 1/2 steps (50%)  loss ")) << lines[0];
  EXPECT_NE(lines[0].find("  reward 0.000  "), std::string::npos) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("grpo: 2/2 steps (100%)  loss ")) << lines[1];
}

TEST_F(ProgressCli, eval_and_distill_end_with_a_line_of_the_completions_generated) {
  const auto eval = lines_starting(stderr_of("eval --threads 1 --model " + model +
                                             " --task arithmetic --count 3 --samples 2 --max-tokens 4 "
                                             "--prompt-template raw --out " +
                                             dir.file("eval")),
                                   "eval: ");
  ASSERT_FALSE(eval.empty());
  EXPECT_TRUE(eval.back().starts_with("eval: 6/6 completions (100%)  ")) << eval.back();
  EXPECT_NE(eval.back().find("  done in "), std::string::npos) << eval.back();

  test::write_text(dir.file("distill.yaml"),
                   fmt::format("model_name_or_path: {}\ndataset_task: arithmetic\ndataset_num_examples: 3\n"
                               "prompt_template: raw\nreward_funcs: [accuracy]\nnum_samples: 2\n"
                               "max_completion_length: 4\noutput_dir: {}\n",
                               model, dir.file("distilled")));
  const auto distill =
      lines_starting(stderr_of("distill --threads 1 --config " + dir.file("distill.yaml")), "distill: ");
  ASSERT_FALSE(distill.empty());
  EXPECT_TRUE(distill.back().starts_with("distill: 6/6 completions (100%)  ")) << distill.back();
}

}  // namespace
}  // namespace aha
