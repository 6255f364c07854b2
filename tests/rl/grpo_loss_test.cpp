// The GRPO objective against a float64 PyTorch reference written from the formulas
// (tests/oracle/grpo_reference.py), for every loss_type, scale_rewards and num_iterations > 1, the
// sequence-level ratio (GSPO), delta, top_entropy_quantile and the sampler correction
// (vllm_importance_sampling_mode, with rollout_quantization).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/rl/grpo_loss.hpp"
#include "aha/rl/sampling_correction.hpp"
#include "support/temp_dir.hpp"

namespace aha::rl {
namespace {

struct CaseCompletion {
  std::vector<double> logp, old_logp, ref_logp, mask, entropy;
  std::vector<float> sampling_logp;  // a quantized sampler's: old_logp ± up to 0.7
};

// 12 completions in 3 groups of 4; the second group's rewards are all equal (zero std), one
// completion is masked out entirely (a truncated completion) and some tokens are masked.
// `stale` makes old_logp differ from logp (a later iteration of num_iterations), far enough
// that both clip sides are hit.
struct Case {
  std::vector<double> rewards = {1, 0, 0.5, 1, 0.25, 0.25, 0.25, 0.25, 0, 2, 1, 0};
  std::vector<CaseCompletion> completions;

  // `drift` shifts each completion's old_logp by one draw of ±drift too, so that sequence-level
  // ratios leave the trust region on both sides.
  Case(unsigned seed, bool stale, double drift = 0.0) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> length(1, 7);
    std::uniform_real_distribution<double> logp(-3.0, -0.05), shift(-0.5, 0.5), entropy(0.0, 3.0);
    std::uniform_real_distribution<double> completion_shift(-drift, drift);
    std::mt19937 sampler_rng(seed + 7919);  // its own stream: the other draws stay as they were
    std::uniform_real_distribution<double> sampler_shift(-0.7, 0.7);
    for (size_t c = 0; c < rewards.size(); ++c) {
      CaseCompletion x;
      const int n = length(rng);
      const double offset = drift > 0 ? completion_shift(rng) : 0.0;
      for (int i = 0; i < n; ++i) {
        x.logp.push_back(logp(rng));
        x.entropy.push_back(entropy(rng));
        // Rounded to float, as a rollout holds them (the sampler correction reads them so).
        x.old_logp.push_back(static_cast<float>(stale ? x.logp.back() + shift(rng) + offset : x.logp.back()));
        x.sampling_logp.push_back(static_cast<float>(x.old_logp.back() + sampler_shift(sampler_rng)));
        x.ref_logp.push_back(x.logp.back() + shift(rng));
        x.mask.push_back(c == 5 || (c + i) % 6 == 4 ? 0.0 : 1.0);
      }
      completions.push_back(x);
    }
  }
};

struct Options {
  std::string loss_type, scale;
  double beta;
  bool stale;
  // The newer keys, as the reference reads them (importance_sampling_level, delta, ...).
  Json extra = Json::object();
  double epsilon_high = 0.28;
};

constexpr int64_t kGroup = 4, kBatch = 4, kAccumulation = 3, kMaxLength = 8;

struct Aha {
  Advantages advantages;
  double loss = 0.0, kl = 0.0, low = 0.0, high = 0.0, tokens = 0.0, clip_count = 0.0;
  std::vector<std::vector<double>> dlogp;
  int64_t corrected = 0;  // counted tokens whose sampler weight the cap truncated or masked
};

Aha run_aha(const Case& k, const Options& o) {
  Aha r;
  r.advantages = compute_advantages(k.rewards, kGroup, parse_scale_rewards(o.scale, "test"));
  GrpoLossOptions options;
  options.beta = o.beta;
  options.epsilon_high = o.epsilon_high;
  options.loss_type = parse_loss_type(o.loss_type, "test");
  options.max_completion_length = kMaxLength;
  options.gradient_accumulation_steps = kAccumulation;
  options.dapo_tokens = 0.0;
  options.sequence_level = o.extra.value("importance_sampling_level", "token") == "sequence";
  if (o.extra.contains("delta")) options.delta = o.extra["delta"].get<double>();
  options.sapo_temperature_pos = o.extra.value("sapo_temperature_pos", 1.0);
  options.sapo_temperature_neg = o.extra.value("sapo_temperature_neg", 1.05);
  options.top_entropy_quantile = o.extra.value("top_entropy_quantile", 1.0);
  std::optional<SamplingCorrection> correction;
  if (o.extra.contains("vllm_importance_sampling_mode"))
    correction = parse_sampling_correction(o.extra["vllm_importance_sampling_mode"], "test");
  for (const CaseCompletion& c : k.completions) options.dapo_tokens += static_cast<double>(c.logp.size());
  for (size_t start = 0; start < k.completions.size(); start += kBatch) {
    CompletionTokens t;
    for (size_t c = start; c < start + kBatch; ++c) {
      const CaseCompletion& x = k.completions[c];
      t.logp.insert(t.logp.end(), x.logp.begin(), x.logp.end());
      t.old_logp.insert(t.old_logp.end(), x.old_logp.begin(), x.old_logp.end());
      t.ref_logp.insert(t.ref_logp.end(), x.ref_logp.begin(), x.ref_logp.end());
      t.mask.insert(t.mask.end(), x.mask.begin(), x.mask.end());
      t.entropy.insert(t.entropy.end(), x.entropy.begin(), x.entropy.end());
      if (correction) {
        const std::vector<float> old(x.old_logp.begin(), x.old_logp.end());
        const std::vector<double> w = sampling_weights(old, x.sampling_logp, x.mask, *correction,
                                                       o.extra["vllm_importance_sampling_cap"].get<double>());
        t.sampling_weight.insert(t.sampling_weight.end(), w.begin(), w.end());
        const double cap = o.extra["vllm_importance_sampling_cap"].get<double>();
        for (size_t i = 0; i < w.size(); ++i) r.corrected += x.mask[i] != 0.0 && (w[i] == cap || w[i] == 0.0);
      }
      t.offsets.push_back(static_cast<int64_t>(t.logp.size()));
      t.advantages.push_back(r.advantages.advantages[c]);
    }
    const GrpoLossResult part = grpo_loss(t, options);
    r.loss += part.loss;
    r.kl += part.kl_sum, r.low += part.low_clipped, r.high += part.high_clipped, r.tokens += part.mask_tokens;
    r.clip_count += part.clip_count;
    for (size_t c = 0; c < kBatch; ++c)
      r.dlogp.emplace_back(part.dlogp.begin() + t.offsets[c], part.dlogp.begin() + t.offsets[c + 1]);
  }
  return r;
}

Json case_json(const std::string& name, const Case& k, const Options& o) {
  Json completions = Json::array();
  for (const CaseCompletion& c : k.completions)
    completions.push_back({{"logp", c.logp},
                           {"old_logp", c.old_logp},
                           {"ref_logp", c.ref_logp},
                           {"mask", c.mask},
                           {"entropy", c.entropy},
                           {"sampling_logp", c.sampling_logp}});
  Json j = {{"name", name},
            {"num_generations", kGroup},
            {"scale_rewards", o.scale},
            {"loss_type", o.loss_type},
            {"beta", o.beta},
            {"epsilon_low", 0.2},
            {"epsilon_high", o.epsilon_high},
            {"max_completion_length", kMaxLength},
            {"per_device_train_batch_size", kBatch},
            {"gradient_accumulation_steps", kAccumulation},
            {"sapo_temperature_pos", 1.0},
            {"sapo_temperature_neg", 1.05},
            {"rewards", k.rewards},
            {"completions", completions}};
  j.update(o.extra);
  return j;
}

// Runs `cases` through the reference and returns its report.
Json reference_report(const test::TempDir& dir, const Json& cases) {
  test::write_text(dir.file("cases.json"), Json{{"cases", cases}}.dump());
  const std::string command = "/usr/bin/python3 " AHA_SOURCE_DIR "/tests/oracle/grpo_reference.py --manifest " +
                              dir.file("cases.json") + " --out " + dir.file("report.json");
  if (std::system(command.c_str()) != 0) ADD_FAILURE() << command;
  return read_json_file(dir.file("report.json"));
}

void expect_near_rel(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-12 * std::max(1.0, std::fabs(want))) << what;
}

TEST(GrpoLoss, loss_and_dlogp_match_pytorch_for_every_loss_type_scale_and_iteration) {
  test::TempDir dir;
  std::vector<std::pair<Options, Case>> runs;
  Json cases = Json::array();
  unsigned seed = 1;
  for (const char* loss_type : {"grpo", "bnpo", "dr_grpo", "dapo"})
    for (const char* scale : {"group", "batch", "none"})
      for (bool stale : {false, true}) {
        const Options o{loss_type, scale, stale ? 0.04 : 0.0, stale};
        runs.emplace_back(o, Case(seed++, stale));
        cases.push_back(case_json(fmt::format("{}/{}/{}", loss_type, scale, stale ? "iteration2" : "iteration1"),
                                  runs.back().second, o));
      }
  test::write_text(dir.file("cases.json"), Json{{"cases", cases}}.dump());
  const std::string command = "/usr/bin/python3 " AHA_SOURCE_DIR "/tests/oracle/grpo_reference.py --manifest " +
                              dir.file("cases.json") + " --out " + dir.file("report.json");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const Json report = read_json_file(dir.file("report.json"));
  ASSERT_EQ(report["cases"].size(), runs.size());
  int clipped_cases = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Json& want = report["cases"][i];
    const std::string name = want["name"];
    const Aha got = run_aha(runs[i].second, runs[i].first);
    for (size_t c = 0; c < got.advantages.advantages.size(); ++c)
      expect_near_rel(got.advantages.advantages[c], want["advantages"][c].get<double>(),
                      fmt::format("{} advantage", name));
    expect_near_rel(got.advantages.frac_reward_zero_std, want["frac_reward_zero_std"].get<double>(),
                    fmt::format("{} zero std", name));
    expect_near_rel(got.loss, want["loss"].get<double>(), fmt::format("{} loss", name));
    for (size_t c = 0; c < got.dlogp.size(); ++c)
      for (size_t t = 0; t < got.dlogp[c].size(); ++t)
        expect_near_rel(got.dlogp[c][t], want["dlogp"][c][t].get<double>(),
                        fmt::format("{} dlogp[{}][{}]", name, c, t));
    expect_near_rel(got.kl / got.tokens, want["kl_mean"].get<double>(), fmt::format("{} kl", name));
    expect_near_rel(got.low / got.tokens, want["low_clip"].get<double>(), fmt::format("{} low clip", name));
    expect_near_rel(got.high / got.tokens, want["high_clip"].get<double>(), fmt::format("{} high clip", name));
    if (got.low > 0 && got.high > 0) ++clipped_cases;
  }
  // The stale cases exercise both clip sides, so the zero-gradient branches are checked too.
  EXPECT_GE(clipped_cases, 6);
}

// One variant of the objective: the loss types its 20 random cases cycle through (with the scales,
// and a KL term in every other case) and its keys.
struct Variant {
  std::string name;
  std::vector<std::string> loss_types;
  Json extra;
  double epsilon_high = 0.28;
};

TEST(GrpoLoss, gspo_cispo_sapo_delta_entropy_mask_and_sampler_correction_match_pytorch_on_20_random_cases_each) {
  const Json sequence = {{"importance_sampling_level", "sequence"}};
  const std::vector<std::string> clipped = {"grpo", "bnpo", "dr_grpo", "dapo"};
  std::vector<Variant> variants = {
      {"sequence", clipped, sequence},
      {"cispo", {"cispo"}, Json::object(), 1.2},
      {"cispo+sequence", {"cispo"}, sequence, 1.2},
      {"sapo", {"sapo"}, Json::object()},
      {"sapo+sequence", {"sapo"}, sequence},
      {"delta", clipped, {{"delta", 1.35}}},
      {"delta+sequence", clipped, {{"delta", 1.35}, {"importance_sampling_level", "sequence"}}},
      {"entropy", {"grpo", "dapo", "cispo", "sapo"}, {{"top_entropy_quantile", 0.3}}, 1.2},
      {"entropy+sequence",
       {"bnpo", "dr_grpo", "cispo", "sapo"},
       {{"top_entropy_quantile", 0.3}, {"importance_sampling_level", "sequence"}},
       1.2},
      // The sampler correction (rollout_quantization): caps the token ratios (≤ e^0.7) sometimes
      // reach at 1.5, the sequence ones (sums of up to 7 tokens) at 2.
      {"token_truncate",
       {"grpo", "dapo", "sapo"},
       {{"vllm_importance_sampling_mode", "token_truncate"}, {"vllm_importance_sampling_cap", 1.5}}},
      {"token_mask",
       {"bnpo", "dr_grpo", "cispo"},
       {{"vllm_importance_sampling_mode", "token_mask"}, {"vllm_importance_sampling_cap", 1.5}},
       1.2},
      {"sequence_truncate",
       {"grpo", "dapo", "cispo"},
       {{"vllm_importance_sampling_mode", "sequence_truncate"}, {"vllm_importance_sampling_cap", 2.0}},
       1.2},
      {"sequence_mask",
       {"dapo", "bnpo", "sapo"},
       {{"vllm_importance_sampling_mode", "sequence_mask"}, {"vllm_importance_sampling_cap", 2.0}}},
      {"sequence_mask+gspo",
       {"grpo", "dapo"},
       {{"vllm_importance_sampling_mode", "sequence_mask"},
        {"vllm_importance_sampling_cap", 2.0},
        {"importance_sampling_level", "sequence"}}},
  };
  test::TempDir dir;
  std::vector<std::pair<Options, Case>> runs;
  Json cases = Json::array();
  unsigned seed = 100;
  for (const Variant& v : variants)
    for (int i = 0; i < 20; ++i) {
      const char* scales[] = {"group", "batch", "none"};
      Options o{
          v.loss_types[i % v.loss_types.size()], scales[i % 3], i % 2 ? 0.04 : 0.0, i != 0, v.extra, v.epsilon_high};
      runs.emplace_back(o, Case(seed++, o.stale, 0.6));
      cases.push_back(case_json(fmt::format("{}/{}/{}", v.name, o.loss_type, i), runs.back().second, o));
    }
  const Json report = reference_report(dir, cases);
  ASSERT_EQ(report["cases"].size(), runs.size());
  std::map<std::string, std::pair<int, int>> clipped_cases;  // variant: (both sides, high side)
  std::map<std::string, int> corrected_cases;                // variant: cases where the cap acted
  for (size_t i = 0; i < runs.size(); ++i) {
    const Json& want = report["cases"][i];
    const std::string name = want["name"];
    const Aha got = run_aha(runs[i].second, runs[i].first);
    expect_near_rel(got.loss, want["loss"].get<double>(), fmt::format("{} loss", name));
    for (size_t c = 0; c < got.dlogp.size(); ++c)
      for (size_t t = 0; t < got.dlogp[c].size(); ++t)
        expect_near_rel(got.dlogp[c][t], want["dlogp"][c][t].get<double>(),
                        fmt::format("{} dlogp[{}][{}]", name, c, t));
    expect_near_rel(got.kl / got.tokens, want["kl_mean"].get<double>(), fmt::format("{} kl", name));
    expect_near_rel(got.low / got.clip_count, want["low_clip"].get<double>(), fmt::format("{} low clip", name));
    expect_near_rel(got.high / got.clip_count, want["high_clip"].get<double>(), fmt::format("{} high clip", name));
    if (runs[i].first.extra.contains("vllm_importance_sampling_mode") && got.corrected > 0)
      ++corrected_cases[variants[i / 20].name];
    auto& counts = clipped_cases[variants[i / 20].name];
    if (got.low > 0 && got.high > 0) ++counts.first;
    if (got.high > 0) ++counts.second;
  }
  // The clipped variants leave the trust region on both sides, cispo's cap is hit.
  for (const char* v : {"sequence", "delta", "delta+sequence"}) EXPECT_GE(clipped_cases[v].first, 10) << v;
  for (const char* v : {"cispo", "cispo+sequence"}) EXPECT_GE(clipped_cases[v].second, 10) << v;
  // The sampler correction's cap truncates or masks some tokens in most cases of each mode.
  for (const char* v : {"token_truncate", "token_mask", "sequence_truncate", "sequence_mask", "sequence_mask+gspo"})
    EXPECT_GE(corrected_cases[v], 10) << v;
}

TEST(GrpoLoss, advantages_of_a_hand_computed_group) {
  // rewards 1, 0, 0, 1: mean 0.5, unbiased std sqrt(1/3).
  const std::vector<double> rewards = {1, 0, 0, 1, 3, 3, 3, 3};
  const Advantages a = compute_advantages(rewards, 4, ScaleRewards::group);
  EXPECT_NEAR(a.advantages[0], 0.5 / (std::sqrt(1.0 / 3.0) + 1e-4), 1e-15);
  EXPECT_NEAR(a.advantages[1], -0.5 / (std::sqrt(1.0 / 3.0) + 1e-4), 1e-15);
  EXPECT_EQ(a.advantages[4], 0.0);
  EXPECT_EQ(a.frac_reward_zero_std, 0.5);
  const Advantages none = compute_advantages(rewards, 4, ScaleRewards::none);
  EXPECT_EQ(none.advantages[0], 0.5);
}

TEST(GrpoLoss, a_group_of_one_is_a_clear_error) {
  const std::vector<double> rewards = {1, 0};
  EXPECT_THROW(compute_advantages(rewards, 1, ScaleRewards::group), Error);
}

}  // namespace
}  // namespace aha::rl
