// `aha distill`: the teacher's completions that end at EOS pass through the reward (rejection
// sampling), each distinct text once per prompt, into a JSONL with the reference answer and the
// reward names, and DATASET.yaml; `aha sft` trains on it.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <set>

#include "aha/base/file.hpp"
#include "aha/tasks/task.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha::rl {
namespace {

using train::testing::read_json_lines;

class Distill : public ::testing::Test {
 protected:
  // A tiny teacher with the byte tokenizer whose logits gain `bias` on the characters of `favoured`
  // and `eos_bias` on EOS: with 40 the other ids are never drawn, so the teacher writes runs of
  // the favoured characters that end at EOS or at max_completion_length; -40 on EOS: never EOS.
  std::string write_teacher(const std::string& favoured, float eos_bias) {
    const std::string model = dir.file("teacher");
    std::filesystem::create_directories(model);
    Json config = test::tiny_llama_config();
    config["vocab_size"] = 257;
    config["eos_token_id"] = 256;
    config["max_position_embeddings"] = 256;
    test::write_tiny_model(model, config, 8);
    const tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(train::testing::write_byte_tokenizer(model));
    std::vector<float> bias(257, 0.0f);
    for (int32_t id : tok.encode(favoured)) bias[static_cast<size_t>(id)] = 40.0f;
    bias[256] = eos_bias;
    test::add_logit_bias(model, bias);
    return model;
  }

  // Runs `aha distill` on 6 arithmetic prompts (raw template, seed 3) with `teacher`, a reward
  // program printing `rule` (Python, of the completion `c`), and the extra YAML `keys`.
  test::RunResult distill(const std::string& teacher, const std::string& rule, const std::string& keys) {
    test::write_text(
        dir.file("reward.py"),
        "import json, sys\nfor line in sys.stdin:\n    c = json.loads(line)['completion']\n    print(" + rule + ")\n");
    // As root, aha runs the reward program as nobody, who must be able to read it.
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::others_read |
                                                 std::filesystem::perms::others_exec);
    const std::string yaml = dir.file("distill.yaml");
    test::write_text(yaml, fmt::format("model_name_or_path: {}\ndataset_task: arithmetic\ndataset_num_examples: 6\n"
                                       "prompt_template: raw\nreward_funcs:\n  - name: external\n    command: "
                                       "/usr/bin/python3 {}\noutput_dir: {}\nseed: 3\n{}",
                                       teacher, dir.file("reward.py"), dir.file("out"), keys));
    return test::run_aha("distill --config " + yaml);
  }

  // DATASET.yaml's counts.
  YAML::Node counts() { return YAML::LoadFile(dir.file("out/DATASET.yaml"))["generation"]["counts"]; }

  test::TempDir dir;
};

TEST_F(Distill, keeps_accepted_completions_that_end_at_eos_once_each_and_sft_reads_them) {
  // Runs of 7s and 8s: 0 to 2 characters then EOS, or 3 cut off. The reward accepts odd lengths,
  // so it would take the cut-off ones too: only the EOS rule drops them.
  const std::string teacher = write_teacher("78", 40.0f);
  const auto r = distill(teacher, "len(c) % 2", "num_samples: 8\nmax_completion_length: 3\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = read_json_lines(dir.file("out/train.jsonl"));
  const YAML::Node n = counts();
  EXPECT_EQ(n["prompts"].as<int>(), 6);
  EXPECT_EQ(n["generated"].as<int>(), 48);
  EXPECT_EQ(n["kept"].as<size_t>(), rows.size());
  EXPECT_EQ(n["no_eos"].as<int>() + n["rejected"].as<int>() + n["duplicates"].as<int>() + n["kept"].as<int>(), 48);
  EXPECT_GT(n["no_eos"].as<int>(), 0);
  EXPECT_GT(n["duplicates"].as<int>(), 0);
  EXPECT_GT(n["rejected"].as<int>(), 0);
  std::map<std::string, Json> answers;  // the task's own answers, by prompt
  for (const tasks::PromptItem& item : tasks::generate_task("arithmetic", "train", 6, 3))
    answers[item.prompt.get<std::string>()] = item.answer;
  std::set<std::pair<std::string, std::string>> seen;
  for (const Json& row : rows) {
    const std::string completion = row["completion"];
    EXPECT_TRUE(completion == "7" || completion == "8") << row.dump();
    EXPECT_TRUE(seen.insert({row["prompt"], completion}).second) << "twice: " << row.dump();
    ASSERT_TRUE(answers.contains(row["prompt"])) << row.dump();
    EXPECT_EQ(row["answer"], answers[row["prompt"]]);
    EXPECT_EQ(row["verifier"], Json::array({"external"}));
  }
  EXPECT_GT(rows.size(), 6u);  // a prompt has both 7 and 8
  // The lines verify again as they are.
  const auto again =
      test::run_aha(fmt::format("reward --fn external --options '{{\"command\": \"/usr/bin/python3 {}\"}}' < {}",
                                dir.file("reward.py"), dir.file("out/train.jsonl")));
  EXPECT_EQ(again.status, 0) << again.err;
  std::string ones;
  for (size_t i = 0; i < rows.size(); ++i) ones += "1\n";
  EXPECT_EQ(again.out, ones);
  const std::string sft = dir.file("sft.yaml");
  test::write_text(sft, fmt::format("model_name_or_path: {}\ndataset_path: {}\noutput_dir: {}\nmax_steps: 1\n"
                                    "per_device_train_batch_size: 2\n",
                                    teacher, dir.file("out/train.jsonl"), dir.file("sft")));
  const auto trained = test::run_aha("sft --config " + sft);
  EXPECT_EQ(trained.status, 0) << trained.err;
}

TEST_F(Distill, greedy_samples_of_a_prompt_are_kept_once) {
  // EOS outweighs the 5s: each greedy sample is EOS at once, four identical (empty) texts a prompt.
  const auto r = distill(write_teacher("5", 45.0f), "1", "num_samples: 4\ntemperature: 0\nmax_completion_length: 8\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = read_json_lines(dir.file("out/train.jsonl"));
  ASSERT_EQ(rows.size(), 6u);
  std::set<std::string> prompts;
  for (const Json& row : rows) {
    prompts.insert(row["prompt"].get<std::string>());
    EXPECT_EQ(row["completion"], "");
  }
  EXPECT_EQ(prompts.size(), 6u);
  EXPECT_EQ(counts()["duplicates"].as<int>(), 18);
  EXPECT_EQ(counts()["no_eos"].as<int>(), 0);
  EXPECT_NE(r.out.find("18 duplicates"), std::string::npos) << r.out;

  // A second run into the same output_dir replaces the dataset only when told to.
  const std::string dataset = train::testing::slurp(dir.file("out/train.jsonl"));
  test::write_text(dir.file("out/train.jsonl"), dataset + "{\"prompt\": \"mine\", \"completion\": \"\"}\n");
  const auto before = train::testing::snapshot(dir.file("out"));
  const auto refused = distill(write_teacher("5", 45.0f), "1", "num_samples: 1\ntemperature: 0\n");
  EXPECT_EQ(refused.status, 2) << refused.err;
  EXPECT_NE(refused.err.find("output_dir " + dir.file("out") + " already holds train.jsonl"), std::string::npos)
      << refused.err;
  EXPECT_EQ(train::testing::snapshot(dir.file("out")), before);
  const auto replaced =
      distill(write_teacher("5", 45.0f), "1", "num_samples: 1\ntemperature: 0\noverwrite_output_dir: true\n");
  ASSERT_EQ(replaced.status, 0) << replaced.err;
  EXPECT_EQ(train::testing::slurp(dir.file("out/train.jsonl")), dataset);
}

TEST_F(Distill, completions_cut_off_before_eos_are_never_kept) {
  const auto r = distill(write_teacher("5", -40.0f), "1", "num_samples: 2\nmax_completion_length: 4\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(train::testing::slurp(dir.file("out/train.jsonl")), "");
  EXPECT_EQ(counts()["no_eos"].as<int>(), 12);
  EXPECT_EQ(counts()["kept"].as<int>(), 0);
}

TEST_F(Distill, prompts_past_max_prompt_length_keep_their_end_or_are_left_out_or_stop_the_run) {
  // Every arithmetic prompt is longer than 24 byte tokens.
  const std::string teacher = write_teacher("5", 45.0f);
  const std::string keys =
      "num_samples: 1\nmax_completion_length: 2\nmax_prompt_length: 24\noverwrite_output_dir: true\n";
  auto r = distill(teacher, "1", keys);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(counts()["prompts"].as<int>(), 6);
  EXPECT_EQ(counts()["prompts_truncated"].as<int>(), 6);
  EXPECT_NE(r.err.find("6 prompts truncated from the left, 0 left out (prompt_truncation: left)"), std::string::npos)
      << r.err;
  for (const Json& row : read_json_lines(dir.file("out/train.jsonl"))) {
    const std::string prompt = row["prompt"];
    EXPECT_EQ(prompt.size(), 24u) << prompt;
    EXPECT_TRUE(prompt.ends_with("?")) << prompt;  // the question's end is kept
  }
  r = distill(teacher, "1", keys + "prompt_truncation: error\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("dataset_task word_problems item 1: the prompt has "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("more than max_prompt_length (24); raise max_prompt_length, or set prompt_truncation: left"),
            std::string::npos)
      << r.err;
  r = distill(teacher, "1", keys + "prompt_truncation: skip\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("dataset_task word_problems: every one of its 6 prompts is longer than 24 tokens"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace aha::rl
