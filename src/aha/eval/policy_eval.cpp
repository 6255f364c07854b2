#include "aha/eval/policy_eval.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "aha/eval/evaluation.hpp"

namespace aha::eval {

using rl::GrpoConfig;
using rl::Rollout;
using rl::RolloutSource;

namespace {

// generate_groups' round for evaluations: the last index of step 0's stream, which no training
// rollout reaches.
constexpr int64_t kEvalRound = -1;

// The completions of every prompt of `source`, num_generations each: prompts in chunks of the
// global batch's completions (each process generates no more at once than in training), so that
// any split of one global batch among processes draws the same samples.
Rollout sample_all(const GrpoConfig& c, const RolloutSource& source, dist::Communicator& comm) {
  const int64_t chunk = std::max<int64_t>(
      1, c.per_device_train_batch_size * c.gradient_accumulation_steps * comm.size() / c.num_generations);
  Rollout all;
  const auto n = static_cast<int64_t>(source.prompts->size());
  for (int64_t first = 0; first < n; first += chunk) {
    std::vector<int64_t> indices;
    for (int64_t i = first; i < std::min(n, first + chunk); ++i) indices.push_back(i);
    Rollout r = rl::generate_groups(c, source, 0, kEvalRound - first, indices, comm);
    all.completions.insert(all.completions.end(), r.completions.begin(), r.completions.end());
    all.warnings.insert(all.warnings.end(), r.warnings.begin(), r.warnings.end());
  }
  return all;
}

}  // namespace

Json evaluate_policy(const GrpoConfig& c, const RolloutSource& source, std::vector<std::string>& warnings,
                     dist::Communicator& comm) {
  const int64_t k = c.num_generations_eval > 0 ? c.num_generations_eval : c.num_generations;
  const auto& reward = *(*source.rewards).front();
  GrpoConfig sampled = c;
  sampled.num_generations = k;
  const Rollout r = sample_all(sampled, source, comm);
  GrpoConfig greedy = c;
  greedy.num_generations = 1;
  greedy.temperature = 0.0;  // the sampler's greedy decoding
  const Rollout g = sample_all(greedy, source, comm);
  warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
  warnings.insert(warnings.end(), g.warnings.begin(), g.warnings.end());

  const size_t prompts = source.prompts->size();
  std::vector<std::vector<std::string>> answers(prompts);
  std::vector<std::vector<bool>> passed(prompts);
  std::vector<double> reward_sums(source.rewards->size(), 0.0), reward_counts(source.rewards->size(), 0.0);
  double total = 0;
  for (size_t j = 0; j < r.completions.size(); ++j) {
    const rl::Completion& x = r.completions[j];
    answers[j / static_cast<size_t>(k)].push_back(reward.vote_key(x.text));
    passed[j / static_cast<size_t>(k)].push_back(x.rewards[0] >= 1.0);
    total += x.reward;
    for (size_t f = 0; f < x.rewards.size(); ++f)
      if (!std::isnan(x.rewards[f])) reward_sums[f] += x.rewards[f], reward_counts[f] += 1;
  }
  const Json summary = summarize(answers, passed, k > 1 ? std::vector<int64_t>{1, k} : std::vector<int64_t>{1});
  Json m = Json::object();
  m["eval/pass@1"] = summary["pass@1"];
  m[fmt::format("eval/pass@{}", k)] = summary[fmt::format("pass@{}", k)];
  m[fmt::format("eval/maj@{}", k)] = summary[fmt::format("maj@{}", k)];
  double greedy_passed = 0;
  for (const rl::Completion& x : g.completions) greedy_passed += x.rewards[0] >= 1.0 ? 1.0 : 0.0;
  m["eval/greedy_pass@1"] = greedy_passed / static_cast<double>(prompts);
  m["eval/reward"] = total / static_cast<double>(r.completions.size());
  for (size_t f = 0; f < source.rewards->size(); ++f)
    m["eval/rewards/" + (*source.rewards)[f]->name() + "/mean"] =
        reward_counts[f] > 0 ? reward_sums[f] / reward_counts[f] : 0.0;
  return m;
}

rl::PolicyEvaluator policy_evaluator(const GrpoConfig& config) {
  return [&config](const RolloutSource& source, std::vector<std::string>& warnings) {
    return evaluate_policy(config, source, warnings, dist::world());
  };
}

}  // namespace aha::eval
