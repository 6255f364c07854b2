// Bad input to `aha pretrain` and `aha sft`: each exits 2 with one line on stderr naming the
// file, line or key at fault.
#include <gtest/gtest.h>

#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

// Runs `aha <command> --config <config> <args>` and checks exit 2 with one stderr line holding `expected`.
void expect_usage_error(const std::string& command, const std::string& config, const std::string& args,
                        const std::string& expected) {
  const test::RunResult r = test::run_aha(command + " --config " + config + " --threads 1 " + args);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
}

class BadInput : public ::testing::Test {
 protected:
  // A pretraining config on the JSONL file data.jsonl holding `data`.
  std::string text_config(const std::string& data, const std::string& extra = "") {
    test::write_text(dir.file("data.jsonl"), data);
    const std::string yaml = fmt::format(
        "model_config: {}\ntokenizer: {}\ndataset_path: {}\noutput_dir: {}\nmax_steps: 2\nmax_length: 16\n{}",
        testing::write_model_config(dir.path().string(), 32), testing::write_byte_tokenizer(dir.path().string()),
        dir.file("data.jsonl"), dir.file("out"), extra);
    test::write_text(dir.file("run.yaml"), yaml);
    return dir.file("run.yaml");
  }
  test::TempDir dir;
};

TEST_F(BadInput, malformed_jsonl_line_names_file_and_line) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n{\"text\": \"2+2=\n{\"text\": \"3\"}\n");
  expect_usage_error("pretrain", config, "", dir.file("data.jsonl") + ":2: not valid JSON");
}

// A model config's initializer_range of another type is bad input, not a JSON type error (issue #17).
TEST_F(BadInput, an_initializer_range_that_is_not_a_positive_number_names_the_file) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n");
  for (const char* bad : {"\"wide\"", "-0.02", "null"}) {
    Json model = read_json_file(dir.file("model.json"));
    model["initializer_range"] = Json::parse(bad);
    test::write_text(dir.file("model.json"), model.dump());
    expect_usage_error("pretrain", config, "", "model.json: initializer_range must be a positive number");
  }
}

TEST_F(BadInput, skip_bad_lines_skips_and_counts_them) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n[1]\n{\"text\": \"3+3=6\"}\n", "logging_steps: 1\n");
  const test::RunResult r = test::run_aha("pretrain --config " + config + " --threads 1 --skip-bad-lines");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = testing::read_json_lines(dir.file("out/metrics.jsonl"));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front().value("skipped_lines", 0), 1);
}

TEST_F(BadInput, wrong_field_type_names_file_line_and_field) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n{\"text\": 5}\n");
  expect_usage_error("pretrain", config, "", ":2: field \"text\" must be a string");
}

TEST_F(BadInput, empty_dataset_is_an_error) {
  const std::string config = text_config("\n");
  expect_usage_error("pretrain", config, "", "the dataset is empty");
}

TEST_F(BadInput, over_long_sft_sequence_without_truncation_names_the_line) {
  const std::string config = text_config(
      "{\"prompt\": \"1+1=\", \"completion\": \"2\"}\n"
      "{\"prompt\": \"12345678901234567890+1=\", \"completion\": \"2\"}\n",
      "truncation: false\n");
  expect_usage_error("sft", config, "",
                     dir.file("data.jsonl") + ":2: the sequence has 25 tokens, more than max_length 16");
}

TEST_F(BadInput, unknown_key_suggests_the_nearest) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n", "learning_rat: 0.1\n");
  expect_usage_error("pretrain", config, "", "run.yaml:7: unknown key 'learning_rat'; did you mean 'learning_rate'?");
}

TEST_F(BadInput, type_error_names_key_and_expected_type) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n", "max_steps: many\n");
  expect_usage_error("pretrain", config, "", "max_steps: expected an integer, got \"many\"");
}

TEST_F(BadInput, set_override_is_checked_like_the_file) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n");
  expect_usage_error("pretrain", config, "--set per_device_train_batch=4",
                     "did you mean 'per_device_train_batch_size'?");
  expect_usage_error("pretrain", config, "--set learning_rate=fast", "learning_rate: expected a number");
}

TEST_F(BadInput, sft_only_key_in_pretrain_is_an_error) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n", "packing: true\n");
  expect_usage_error("pretrain", config, "", "packing: applies to `aha sft` only");
}

TEST_F(BadInput, lora_keys_are_checked) {
  const std::string config = text_config("{\"text\": \"1+1=2\"}\n", "use_peft: true\n");
  expect_usage_error("pretrain", config, "", "use_peft: LoRA trains adapters on a pretrained model");
  expect_usage_error("pretrain", config, "--set lora_target_modules=[q_proj,lm_head]",
                     "lora_target_modules: target module 'lm_head' is not one of q_proj");
  expect_usage_error("pretrain", config, "--set lora_dropout=1", "lora_dropout: must be in [0, 1)");
}

TEST_F(BadInput, nan_loss_three_times_stops_the_run) {
  // A huge learning rate blows the weights up after the first update.
  const std::string config =
      text_config("{\"text\": \"12+34=46\"}\n",
                  "learning_rate: 1e30\nmax_grad_norm: 0\n"
                  "max_steps: 20\nsave_steps: 1\nwarmup_steps: 0\nlr_scheduler_type: constant\n");
  expect_usage_error("pretrain", config, "", "NaN or infinite at 3 steps in a row");
}

}  // namespace
}  // namespace aha::train
