// aha eval end to end on a trained tiny model: a reward that always passes gives 1.0 for every
// metric, one that never passes 0.0; outputs land under <model>/eval/<name>/ and in the model card.
#include <gtest/gtest.h>

#include "aha/eval/evaluation.hpp"
#include "tests/compliance/lineage_fixture.hpp"
#include "tests/rl/grpo_fixtures.hpp"

namespace aha::eval {
namespace {

using compliance::testing::TwoStageLineage;

std::string eval_args(const std::string& model, const std::string& score) {
  // The external reward runs `sh -c` and prints `score` for every completion it reads.
  const Json options = {{"command", {"sh", "-c", "while read -r line; do echo " + score + "; done"}}};
  return fmt::format(
      "eval --threads 2 --model {} --task word_problems --count 3 --samples 4 --k 1,2,4 --max-tokens 6 "
      "--prompt-template raw --reward external --reward-options '{}'",
      model, options.dump());
}

TEST(EvalCli, a_reward_that_always_passes_gives_one_and_one_that_never_does_gives_zero) {
  auto& l = TwoStageLineage::get();
  const std::string model = l.copy_model("evaluated_model");
  test::RunResult r = test::run_aha(eval_args(model, "1") + " --out " + l.dir.file("always"));
  ASSERT_EQ(r.status, 0) << r.err;
  Json s = Json::parse(train::testing::slurp(l.dir.file("always/summary.json")));
  for (const char* m : {"pass@1", "pass@2", "pass@4", "maj@1", "maj@2", "maj@4"}) EXPECT_EQ(s["metrics"][m], 1.0) << m;
  EXPECT_EQ(s["samples"], 4);
  EXPECT_EQ(s["items"], 3);
  EXPECT_EQ(s["dataset"]["generator"], "word_problems");
  EXPECT_EQ(s["dataset"]["records"], 3);
  EXPECT_EQ(s["sampling"]["temperature"].get<double>(), 0.6);  // R1's defaults
  EXPECT_EQ(s["sampling"]["top_p"].get<double>(), 0.95);
  const auto items = train::testing::read_json_lines(l.dir.file("always/items.jsonl"));
  ASSERT_EQ(items.size(), 3u);
  double tokens = 0;
  for (const Json& item : items) {
    ASSERT_EQ(item["completions"].size(), 4u);
    for (const Json& c : item["completions"]) tokens += c["tokens"].get<double>();
  }
  EXPECT_NEAR(s["metrics"]["mean_completion_tokens"].get<double>(), tokens / 12.0, 1e-12);
  // The test tokenizer has one token per byte and no merges: prompt tokens are prompt bytes.
  size_t prompt_bytes = 0;
  for (const Json& item : items) prompt_bytes += item["prompt"].get<std::string>().size();
  EXPECT_EQ(s["dataset"]["tokens"], prompt_bytes);

  r = test::run_aha(eval_args(model, "0"));
  ASSERT_EQ(r.status, 0) << r.err;
  s = Json::parse(train::testing::slurp(model + "/eval/word_problems/summary.json"));
  for (const char* m : {"pass@1", "pass@2", "pass@4", "maj@1", "maj@2", "maj@4"}) EXPECT_EQ(s["metrics"][m], 0.0) << m;
  EXPECT_TRUE(std::filesystem::exists(model + "/eval/word_problems/summary.md"));
  ASSERT_EQ(test::run_aha("card --model " + model).status, 0);
  EXPECT_NE(train::testing::slurp(model + "/README.md").find("    - type: \"pass@4\"\n      value: 0.0\n"),
            std::string::npos);
}

TEST(EvalCli, bad_k_and_missing_source_are_usage_errors) {
  auto& l = TwoStageLineage::get();
  test::RunResult r = test::run_aha("eval --model " + l.sft_model + " --task word_problems --samples 2 --k 4");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--k 4: each k must be in 1 .. --samples (2)"), std::string::npos) << r.err;
  r = test::run_aha("eval --model " + l.sft_model);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("exactly one of --data and --task"), std::string::npos) << r.err;
  r = test::run_aha("eval --model " + l.sft_model + " --data " + l.sft_data + " --count 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--count must be at least 1, got 0"), std::string::npos) << r.err;
}

TEST(EvalCli, count_with_data_evaluates_the_first_n_items_of_gsm8k) {
  test::TempDir dir;
  rl::grpo_testing::write_byte_model(dir.file("model"));  // 128 positions: long questions are truncated
  const std::string gsm8k = std::string(AHA_SOURCE_DIR) + "/data/gsm8k/test.jsonl";
  const test::RunResult r = test::run_aha("eval --threads 2 --model " + dir.file("model") + " --data " + gsm8k +
                                          " --count 50 --max-tokens 1 --prompt-template raw --out " + dir.file("out"));
  ASSERT_EQ(r.status, 0) << r.err;
  const Json s = Json::parse(train::testing::slurp(dir.file("out/summary.json")));
  EXPECT_EQ(s["items"], 50);
  EXPECT_EQ(s["dataset"]["records"], 50);
  EXPECT_EQ(s["ctx_size"], 128);
  EXPECT_EQ(s["prompt_truncation"], "left");
  const auto items = train::testing::read_json_lines(dir.file("out/items.jsonl"));
  ASSERT_EQ(items.size(), 50u);
  int64_t truncated = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i]["index"], i);
    // One byte token per byte: a prompt keeps at most 127 tokens, one position left to generate.
    if (items[i]["prompt_truncated"].get<bool>()) ++truncated;
    EXPECT_LE(items[i]["prompt"].get<std::string>().size(), 127u + 2u);
  }
  EXPECT_GT(truncated, 0);
  EXPECT_EQ(s["prompts_truncated"], truncated);
  EXPECT_NE(r.err.find(std::to_string(truncated) + " prompts truncated from the left, 0 items left out"),
            std::string::npos)
      << r.err;
}

TEST(EvalCli, a_prompt_past_the_context_with_prompt_truncation_error_exits_2_naming_the_item_and_the_flags) {
  test::TempDir dir;
  rl::grpo_testing::write_byte_model(dir.file("model"));
  test::write_text(dir.file("data.jsonl"), "{\"prompt\": \"1+1=\", \"answer\": 2}\n{\"prompt\": \"" +
                                               std::string(100, '1') + "\", \"answer\": 2}\n");
  const std::string eval = "eval --threads 1 --model " + dir.file("model") + " --data " + dir.file("data.jsonl") +
                           " --max-tokens 1 --prompt-template raw --out " + dir.file("out");
  test::RunResult r = test::run_aha(eval + " --ctx-size 64 --prompt-truncation error");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(dir.file("data.jsonl") +
                       ":2: the prompt has 100 tokens, which leaves no room to generate in the context of 64 "
                       "positions (--ctx-size); raise --ctx-size, or pass --prompt-truncation left"),
            std::string::npos)
      << r.err;
  r = test::run_aha(eval + " --max-prompt-length 50 --prompt-truncation error");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(":2: the prompt has 100 tokens, more than --max-prompt-length (50)"), std::string::npos)
      << r.err;
  r = test::run_aha(eval + " --ctx-size 64 --prompt-truncation skip");
  ASSERT_EQ(r.status, 0) << r.err;
  const Json s = Json::parse(train::testing::slurp(dir.file("out/summary.json")));
  EXPECT_EQ(s["items"], 1);
  EXPECT_EQ(s["items_skipped"], 1);
}

TEST(EvalSummary, averages_pass_at_k_and_majority_over_items) {
  // Item 0: 1 of 4 passed; item 1: 3 of 4 passed, and its majority answer "9" passed.
  const std::vector<std::vector<std::string>> answers = {{"1", "2", "3", "4"}, {"9", "9", "8", "9"}};
  const std::vector<std::vector<bool>> passed = {{false, false, true, false}, {true, true, false, true}};
  const Json m = summarize(answers, passed, {1, 2});
  EXPECT_DOUBLE_EQ(m["pass@1"].get<double>(), (0.25 + 0.75) / 2);
  // pass@2: item 0: 1 - C(3,2)/C(4,2) = 0.5; item 1: 1 - C(1,2)/C(4,2) = 1.
  EXPECT_DOUBLE_EQ(m["pass@2"].get<double>(), (0.5 + 1.0) / 2);
  // maj@1 is the first sample: fails for item 0, passes for item 1.
  EXPECT_DOUBLE_EQ(m["maj@1"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(m["maj@2"].get<double>(), 0.5);  // item 0: "1" (tie, first seen) fails
}

}  // namespace
}  // namespace aha::eval
