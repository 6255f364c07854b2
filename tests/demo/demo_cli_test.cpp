// `aha demo --quick` end to end: summary.json's fields agree with the evaluations' per-sample
// results, the SFT control ran at least as long as GRPO, and the final model works with
// `aha generate` and `aha chat-template`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aha/base/json.hpp"
#include "support/temp_dir.hpp"

namespace aha {
namespace {

using test::run_aha;

// pass@1 (mean over samples) and pass@n (share of items with a passing sample), counted from
// an evaluation's items.jsonl.
std::pair<double, double> pass_rates(const std::string& items_path) {
  std::ifstream in(items_path);
  double samples_passed = 0, samples = 0, items_passed = 0, items = 0;
  for (std::string line; std::getline(in, line);) {
    const Json item = Json::parse(line);
    for (const Json& c : item["completions"]) {
      samples += 1;
      samples_passed += c["passed"].get<bool>() ? 1 : 0;
    }
    items += 1;
    items_passed += item["passed"].get<int64_t>() > 0 ? 1 : 0;
  }
  EXPECT_GT(items, 0) << items_path;
  return {samples_passed / samples, items_passed / items};
}

TEST(DemoCli, quick_demo_writes_a_summary_that_matches_its_evaluations_and_a_usable_model) {
  test::TempDir dir;
  const std::string out = dir.file("demo");
  const test::RunResult r = run_aha("demo --quick --threads 2 --out " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("after GRPO"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SFT control"), std::string::npos) << r.out;
  // A second run into the same directory is refused before it writes anything.
  const test::RunResult again = run_aha("demo --quick --threads 2 --out " + out);
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;

  const Json s = read_json_file(out + "/summary.json");
  for (const char* key :
       {"pass1_before", "pass1_after", "pass8_before", "pass8_after", "pass1_sft_same_time", "wall_seconds"})
    ASSERT_TRUE(s.contains(key) && s[key].is_number()) << key;
  const auto [p1_before, p8_before] = pass_rates(out + "/eval/before/items.jsonl");
  const auto [p1_after, p8_after] = pass_rates(out + "/eval/after/items.jsonl");
  const auto [p1_control, p8_control] = pass_rates(out + "/eval/sft_control/items.jsonl");
  EXPECT_DOUBLE_EQ(s["pass1_before"].get<double>(), p1_before);
  EXPECT_DOUBLE_EQ(s["pass8_before"].get<double>(), p8_before);
  EXPECT_DOUBLE_EQ(s["pass1_after"].get<double>(), p1_after);
  EXPECT_DOUBLE_EQ(s["pass8_after"].get<double>(), p8_after);
  EXPECT_DOUBLE_EQ(s["pass1_sft_same_time"].get<double>(), p1_control);
  EXPECT_EQ(s["test_items"].get<int64_t>(), 24);
  EXPECT_EQ(s["samples"].get<int64_t>(), 8);
  // The warm-up teacher is right about half the time (error rate 0.5 on 256 items).
  EXPECT_GT(s["teacher_accuracy"].get<double>(), 0.35);
  EXPECT_LT(s["teacher_accuracy"].get<double>(), 0.65);

  // The control stops after the first step that ends past GRPO's time; the wall time covers
  // at least the warm-up and GRPO.
  const double grpo_seconds = s["after"]["train_seconds"].get<double>();
  EXPECT_GE(s["sft_same_time"]["train_seconds"].get<double>(), grpo_seconds);
  EXPECT_GT(s["wall_seconds"].get<double>(), grpo_seconds + s["before"]["train_seconds"].get<double>());

  const std::string model = s["model_dir"].get<std::string>();
  EXPECT_TRUE(std::filesystem::path(model).is_absolute()) << model;
  EXPECT_EQ(std::filesystem::canonical(model), std::filesystem::canonical(out + "/grpo"));
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    EXPECT_TRUE(std::filesystem::exists(model + "/" + f)) << f;
  const Json tc = read_json_file(model + "/tokenizer_config.json");
  EXPECT_EQ(tc["eos_token"], "<|endoftext|>");

  const std::string messages = dir.file("messages.jsonl");
  std::ofstream(messages) << R"([{"role": "user", "content": "What is 2 + 3?"}])"
                          << "\n";
  const test::RunResult t = run_aha("chat-template --tokenizer " + model + " < " + messages);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out, "\"User: What is 2 + 3?\\nAssistant:\"\n");

  const test::RunResult g =
      run_aha("generate --model " + model + " --prompt 'What is 2 + 3?' --max-tokens 8 --seed 1 --json");
  ASSERT_EQ(g.status, 0) << g.err;
  const Json line = Json::parse(g.out.substr(0, g.out.find('\n')));
  EXPECT_GE(line["ids"].size(), 1u);
  EXPECT_LE(line["ids"].size(), 8u);

  // Provenance: the GRPO model verifies, also copied elsewhere, and its card names the warm-up's
  // generated data and GRPO's task generator (both synthetic) and nothing else.
  const std::string copy = dir.file("copied-model");
  std::filesystem::copy(model, copy, std::filesystem::copy_options::recursive);
  for (const std::string& m : {model, copy}) {
    const test::RunResult v = run_aha("verify --model " + m);
    EXPECT_EQ(v.status, 0) << m << ": " << v.out << v.err;
  }
  const test::RunResult c = run_aha("card --model " + copy);
  ASSERT_EQ(c.status, 0) << c.err;
  const Json card = read_json_file(copy + "/training_summary.json");
  const Json& sources = card["2_data_sources"];
  ASSERT_EQ(sources["2_5_synthetic"].size(), 2u) << sources.dump();
  EXPECT_EQ(sources["2_5_synthetic"][0]["name"], "counting worked solutions") << sources.dump();
  EXPECT_EQ(sources["2_5_synthetic"][1]["generator"], "counting") << sources.dump();
  for (const char* empty :
       {"2_1_public_datasets", "2_2_private_third_party", "2_3_crawled", "2_4_user_data", "2_6_other"})
    EXPECT_TRUE(sources[empty].empty()) << empty;
}

}  // namespace
}  // namespace aha
