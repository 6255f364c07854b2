// `aha distill`: the teacher's completions pass through the reward (rejection sampling) into a
// prompt-completion JSONL with DATASET.yaml, which `aha sft` trains on.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "aha/base/file.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;

TEST(Distill, keeps_exactly_the_completions_the_reward_accepts_and_sft_reads_them) {
  test::TempDir dir;
  const std::string model = dir.file("teacher");
  std::filesystem::create_directories(model);
  Json config = test::tiny_llama_config();
  config["vocab_size"] = 257;
  config["eos_token_id"] = 256;
  config["max_position_embeddings"] = 256;
  test::write_tiny_model(model, config, 8);
  train::testing::write_byte_tokenizer(model);
  // The reward: 1 when the completion has an even number of bytes (about half of them), read
  // by an external program so the test's rule is independent of aha's code.
  const std::string script = dir.file("even.py");
  test::write_text(script,
                   "import json, sys\n"
                   "for line in sys.stdin:\n"
                   "    c = json.loads(line)['completion']\n"
                   "    print(1 if len(c.encode()) % 2 == 0 else 0)\n");
  const std::string yaml = dir.file("distill.yaml");
  test::write_text(yaml, fmt::format("model_name_or_path: {}\ndataset_task: arithmetic\ndataset_num_examples: 6\n"
                                     "prompt_template: raw\nreward_funcs:\n  - name: external\n    command: "
                                     "/usr/bin/python3 {}\nnum_samples: 4\nmax_completion_length: 6\n"
                                     "output_dir: {}\nseed: 3\n",
                                     model, script, dir.file("out")));
  const auto r = test::run_aha("distill --config " + yaml);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = read_json_lines(dir.file("out/train.jsonl"));
  const YAML::Node meta = YAML::LoadFile(dir.file("out/DATASET.yaml"));
  EXPECT_EQ(meta["generation"]["counts"]["prompts"].as<int>(), 6);
  EXPECT_EQ(meta["generation"]["counts"]["generated"].as<int>(), 24);
  EXPECT_EQ(meta["generation"]["counts"]["kept"].as<size_t>(), rows.size());
  EXPECT_GT(rows.size(), 0u);
  EXPECT_LT(rows.size(), 24u);
  EXPECT_EQ(meta["generation"]["rewards"][0].as<std::string>(), "external");
  EXPECT_EQ(meta["generated_by"].as<std::string>(), std::filesystem::absolute(model).lexically_normal().string());
  for (const Json& row : rows) {
    EXPECT_EQ(row["completion"].get<std::string>().size() % 2, 0u) << row.dump();
    EXPECT_FALSE(row["prompt"].get<std::string>().empty());
  }
  const std::string sft = dir.file("sft.yaml");
  test::write_text(sft, fmt::format("model_name_or_path: {}\ndataset_path: {}\noutput_dir: {}\nmax_steps: 1\n"
                                    "per_device_train_batch_size: 2\n",
                                    model, dir.file("out/train.jsonl"), dir.file("sft")));
  const auto trained = test::run_aha("sft --config " + sft);
  EXPECT_EQ(trained.status, 0) << trained.err;
}

}  // namespace
}  // namespace aha::rl
