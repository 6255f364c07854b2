// aha eval end to end on a trained tiny model: a reward that always passes gives 1.0 for every
// metric, one that never passes 0.0; outputs land under <model>/eval/<name>/ and in the model card.
#include <gtest/gtest.h>

#include "aha/eval/evaluation.hpp"
#include "tests/compliance/lineage_fixture.hpp"

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
