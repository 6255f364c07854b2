// `aha demo --quick` end to end: summary.json's fields agree with the evaluations' per-sample
// results, the SFT control ran at least as long as GRPO, and the final model works with
// `aha generate` and `aha chat-template`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

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

// Every model's strict metrics in summary.json agree with its two evaluations' per-sample results.
void expect_models_match_their_evaluations(const Json& s, const std::string& out,
                                           const std::vector<std::string>& names) {
  ASSERT_EQ(s["models"].size(), names.size()) << s.dump();
  for (size_t i = 0; i < names.size(); ++i) {
    const Json& m = s["models"][i];
    EXPECT_EQ(m["model"], names[i]);
    const std::string eval = out + "/eval/" + names[i];
    const auto [greedy, greedy_any] = pass_rates(eval + "/greedy/items.jsonl");
    const auto [p1, p8] = pass_rates(eval + "/sampled/items.jsonl");
    EXPECT_DOUBLE_EQ(m["strict"]["greedy_pass1"].get<double>(), greedy) << names[i];
    EXPECT_DOUBLE_EQ(m["strict"]["pass1"].get<double>(), p1) << names[i];
    EXPECT_DOUBLE_EQ(m["strict"]["pass8"].get<double>(), p8) << names[i];
    for (const char* verifier : {"strict", "lenient"})
      for (const char* k : {"greedy_pass1", "pass1", "maj8", "pass8"})
        EXPECT_TRUE(m[verifier][k].is_number()) << names[i] << " " << verifier << " " << k;
    for (const char* k : {"mean_completion_tokens", "train_seconds", "train_steps", "train_tokens"})
      EXPECT_TRUE(m[k].is_number()) << names[i] << " " << k;
  }
}

TEST(DemoCli, quick_demo_writes_a_summary_that_matches_its_evaluations_and_a_usable_model) {
  test::TempDir dir;
  const std::string out = dir.file("demo");
  const test::RunResult r = run_aha("demo --quick --threads 2 --out " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* row : {"warm-up SFT", "| GRPO |", "rejection sampling + SFT", "SFT on the teacher", "greedy pass@1"})
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  // A second run into the same directory is refused before it writes anything.
  const test::RunResult again = run_aha("demo --quick --threads 2 --out " + out);
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  // So is a seed the training configs cannot hold, before anything is written.
  const test::RunResult negative = run_aha("demo --quick --seed -3 --out " + dir.file("negative"));
  EXPECT_EQ(negative.status, 2);
  EXPECT_NE(negative.err.find("--seed"), std::string::npos) << negative.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("negative")));

  const Json s = read_json_file(out + "/summary.json");
  expect_models_match_their_evaluations(s, out, {"warmup", "grpo", "rejection_sampling", "sft_same_time"});
  EXPECT_EQ(s["test_items"].get<int64_t>(), 24);
  EXPECT_EQ(s["samples"].get<int64_t>(), 8);
  // The teacher misreads the first take-away step on 60% of the problems that have one (about
  // four in five), so it is right on about half.
  EXPECT_GT(s["teacher_accuracy"].get<double>(), 0.35);
  EXPECT_LT(s["teacher_accuracy"].get<double>(), 0.7);

  // The SFT control stops after the first step that ends past GRPO's time; the rejection-sampling
  // control's time counts its sampling, and it trains only when something passed.
  const Json& models = s["models"];
  const double grpo_seconds = models[1]["train_seconds"].get<double>();
  EXPECT_GE(models[3]["train_seconds"].get<double>(), grpo_seconds);
  EXPECT_GE(models[3]["train_steps"].get<int64_t>(), 1);
  const bool rs_trained = models[2]["train_steps"].get<int64_t>() > 0;
  EXPECT_EQ(rs_trained, std::filesystem::exists(out + "/rs_control/model.safetensors"));
  if (rs_trained) {
    EXPECT_GE(models[2]["train_seconds"].get<double>(), grpo_seconds);
  }
  EXPECT_TRUE(std::filesystem::exists(out + "/rs_data/train.jsonl"));
  EXPECT_GT(s["wall_seconds"].get<double>(), grpo_seconds + models[0]["train_seconds"].get<double>());

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

TEST(DemoCli, quick_zero_demo_pretrains_a_base_with_rare_tags_and_reports_both_verifiers_and_the_curves) {
  test::TempDir dir;
  const std::string out = dir.file("zero");
  const test::RunResult r = run_aha("demo --zero --quick --threads 2 --out " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* text : {"base model (pretrained) | strict", "GRPO on the base | lenient", "format reward"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  const Json s = read_json_file(out + "/summary.json");
  expect_models_match_their_evaluations(s, out, {"base", "grpo"});
  EXPECT_EQ(s["prompt_template"], "r1_zero");

  // At most 1% of the corpus's documents hold a tag, and none of those is about the task.
  std::ifstream corpus(out + "/data/corpus.jsonl");
  int64_t documents = 0, tagged = 0;
  for (std::string line; std::getline(corpus, line); ++documents) {
    const std::string text = Json::parse(line)["text"].get<std::string>();
    const bool tag = text.find("<think>") != std::string::npos || text.find("<answer>") != std::string::npos ||
                     text.find("</think>") != std::string::npos || text.find("</answer>") != std::string::npos;
    tagged += tag;
    if (tag) {
      EXPECT_EQ(text.find("How many"), std::string::npos) << text;
    }
  }
  EXPECT_EQ(documents, s["corpus"]["documents"].get<int64_t>());
  EXPECT_EQ(tagged, s["corpus"]["with_tags"].get<int64_t>());
  EXPECT_LE(tagged * 100, documents);

  // One curve point per GRPO step, equal to that step's metrics line.
  const Json& curves = s["curves"];
  ASSERT_EQ(curves["step"].size(), 2u) << curves.dump();
  std::ifstream metrics(out + "/grpo/metrics.jsonl");
  std::string first;
  std::getline(metrics, first);
  const Json m = Json::parse(first);
  EXPECT_EQ(curves["format"][0], m["rewards/format/mean"]);
  EXPECT_EQ(curves["accuracy"][0], m["rewards/accuracy/mean"]);
  EXPECT_EQ(curves["completion_length"][0], m["completions/mean_length"]);
}

}  // namespace
}  // namespace aha
