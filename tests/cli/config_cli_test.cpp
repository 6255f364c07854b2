// Config ergonomics through the binary: dataset_path and dataset_task replace each other, relative
// paths resolve against the current directory with an error that points at a file beside the
// config, a run that fails its checks leaves nothing on disk, and the deprecated task name
// "arithmetic" still works with a notice.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "aha/base/file.hpp"
#include "support/temp_dir.hpp"

namespace aha {
namespace {

namespace fs = std::filesystem;

const std::string kExample = std::string(AHA_SOURCE_DIR) + "/examples/arithmetic/";

// A one-step pretraining config of the example model, plus `data` (its dataset keys).
std::string pretrain_yaml(const std::string& data, const std::string& output_dir) {
  return "model_config: " + kExample + "config.json\ntokenizer: " + kExample + "tokenizer.json\n" + data +
         "output_dir: " + output_dir +
         "\nmax_steps: 1\nmax_length: 16\nper_device_train_batch_size: 2\n"
         "dataset_num_examples: 64\n";
}

std::pair<int, std::string> run_in(const fs::path& dir, const std::string& args) {
  return test::run_shell("cd '" + dir.string() + "' && " + AHA_BINARY + " " + args + " --threads 1");
}

TEST(ConfigCli, set_dataset_path_replaces_the_configs_dataset_task) {
  test::TempDir dir;
  std::string texts;
  for (int i = 0; i < 40; ++i) texts += "{\"text\": \"1+" + std::to_string(i) + "=" + std::to_string(i + 1) + "\"}\n";
  test::write_text(dir.file("texts.jsonl"), texts);
  test::write_text(dir.file("run.yaml"), pretrain_yaml("dataset_task: equations\n", "out"));
  const auto [status, output] = run_in(dir.path(), "pretrain --config run.yaml --set dataset_path=texts.jsonl");
  ASSERT_EQ(status, 0) << output;
  const std::string resolved = read_file(dir.file("out/config.yaml"));
  EXPECT_NE(resolved.find("dataset_path: texts.jsonl"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("dataset_task: \"\""), std::string::npos) << resolved;
}

TEST(ConfigCli, a_path_beside_the_config_but_not_in_the_current_directory_is_named) {
  test::TempDir dir;
  fs::create_directory(dir.path() / "sub");
  test::write_text(dir.file("sub/texts.jsonl"), "{\"text\": \"1+1=2\"}\n");
  test::write_text(dir.file("sub/run.yaml"), pretrain_yaml("dataset_path: texts.jsonl\n", "out"));
  const auto [status, output] = run_in(dir.path(), "pretrain --config sub/run.yaml");
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("sub/run.yaml: dataset_path: texts.jsonl: not found in the current directory; a file of that "
                        "name is beside the config (sub/texts.jsonl): run from there or give the path"),
            std::string::npos)
      << output;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
  // From the config's own directory the same config runs.
  const auto [from_there, there_output] = run_in(dir.path() / "sub", "pretrain --config run.yaml");
  EXPECT_EQ(from_there, 0) << there_output;
}

TEST(ConfigCli, a_missing_path_names_the_key_and_the_current_directory) {
  test::TempDir dir;
  test::write_text(dir.file("run.yaml"), pretrain_yaml("dataset_path: nowhere.jsonl\n", "out"));
  const auto [status, output] = run_in(dir.path(), "pretrain --config run.yaml");
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("run.yaml: dataset_path: nowhere.jsonl: not found (relative paths resolve against the "
                        "current directory, "),
            std::string::npos)
      << output;
}

TEST(ConfigCli, sft_grpo_and_distill_that_fail_their_checks_create_nothing) {
  test::TempDir dir;
  test::write_text(dir.file("base.yaml"), pretrain_yaml("dataset_task: equations\n", "base"));
  ASSERT_EQ(run_in(dir.path(), "pretrain --config base.yaml").first, 0);
  const std::string model = "model_name_or_path: base\ndataset_path: missing.jsonl\n";
  test::write_text(dir.file("sft.yaml"), model + "output_dir: sft-out\nmax_steps: 1\n");
  test::write_text(dir.file("grpo.yaml"), model + "output_dir: grpo-out\nmax_steps: 1\nreward_funcs: [accuracy]\n");
  test::write_text(dir.file("distill.yaml"), model + "output_dir: distill-out\nreward_funcs: [accuracy]\n");
  for (const char* command : {"sft", "grpo", "distill"}) {
    const auto [status, output] = run_in(dir.path(), std::string(command) + " --config " + command + ".yaml");
    EXPECT_EQ(status, 2) << command << ": " << output;
    EXPECT_NE(output.find("dataset_path: missing.jsonl: not found"), std::string::npos) << command << ": " << output;
    EXPECT_FALSE(fs::exists(dir.path() / (std::string(command) + "-out"))) << command;
  }
}

TEST(ConfigCli, the_deprecated_task_name_arithmetic_still_works_with_a_notice) {
  test::TempDir dir;
  test::write_text(dir.file("run.yaml"), pretrain_yaml("dataset_task: arithmetic\n", "out"));
  const auto [status, output] = run_in(dir.path(), "pretrain --config run.yaml");
  ASSERT_EQ(status, 0) << output;
  EXPECT_NE(output.find("task \"arithmetic\" is deprecated: it means \"equations\" here"), std::string::npos) << output;
  EXPECT_NE(read_file(dir.file("out/config.yaml")).find("dataset_task: equations"), std::string::npos);
}

}  // namespace
}  // namespace aha
