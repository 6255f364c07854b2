#include "aha/rl/grpo_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace aha::rl {
namespace {

double mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return x.empty() ? 0.0 : s / static_cast<double>(x.size());
}

double std_of(const std::vector<double>& x) {  // unbiased, as torch.std
  if (x.size() < 2) return 0.0;
  const double m = mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(x.size() - 1));
}

double min_of(const std::vector<double>& x) { return x.empty() ? 0.0 : *std::min_element(x.begin(), x.end()); }
double max_of(const std::vector<double>& x) { return x.empty() ? 0.0 : *std::max_element(x.begin(), x.end()); }

}  // namespace

Json completion_metrics(const std::vector<Completion>& completions, const std::vector<GrpoPrompt>& prompts,
                        const std::vector<std::string>& reward_names, int64_t group, ScaleRewards scale,
                        const std::string& prefix) {
  Json m = Json::object();
  std::vector<double> rewards, lengths, terminated;
  for (const Completion& x : completions) {
    rewards.push_back(x.reward);
    lengths.push_back(static_cast<double>(x.ids.size()));
    if (!x.truncated) terminated.push_back(static_cast<double>(x.ids.size()));
  }
  const Advantages a = compute_advantages(rewards, group, scale);
  m[prefix + "reward"] = mean(rewards);
  m[prefix + "reward_std"] = scale == ScaleRewards::batch ? std_of(rewards) : mean(a.group_std);
  for (size_t f = 0; f < reward_names.size(); ++f) {
    std::vector<double> r;
    for (const Completion& x : completions)
      if (!std::isnan(x.rewards[f])) r.push_back(x.rewards[f]);
    m[prefix + "rewards/" + reward_names[f] + "/mean"] = mean(r);
    m[prefix + "rewards/" + reward_names[f] + "/std"] = std_of(r);
  }
  m[prefix + "frac_reward_zero_std"] = a.frac_reward_zero_std;
  int64_t truncated_prompts = 0;
  for (size_t k = 0; k < completions.size(); k += static_cast<size_t>(group))
    if (prompts[completions[k].prompt].truncated) ++truncated_prompts;
  m[prefix + "prompts/truncated"] = truncated_prompts;
  m[prefix + "completions/mean_length"] = mean(lengths);
  m[prefix + "completions/min_length"] = min_of(lengths);
  m[prefix + "completions/max_length"] = max_of(lengths);
  m[prefix + "completions/clipped_ratio"] =
      lengths.empty() ? 0.0
                      : static_cast<double>(lengths.size() - terminated.size()) / static_cast<double>(lengths.size());
  m[prefix + "completions/mean_terminated_length"] = mean(terminated);
  m[prefix + "completions/min_terminated_length"] = min_of(terminated);
  m[prefix + "completions/max_terminated_length"] = max_of(terminated);
  return m;
}

int64_t input_tokens(const std::vector<Completion>& completions, const std::vector<GrpoPrompt>& prompts) {
  int64_t n = 0;
  for (const Completion& x : completions) n += static_cast<int64_t>(prompts[x.prompt].ids.size() + x.ids.size());
  return n;
}

void MetricsWindow::add(const Json& values) {
  for (const auto& [key, value] : values.items()) {
    if (!value.is_number()) continue;
    const double x = value.get<double>();
    auto& [sum, count] = sums_[key];
    if (std::isnan(x)) continue;
    sum += x;
    ++count;
  }
}

Json MetricsWindow::take() {
  Json out = Json::object();
  for (const auto& [key, sc] : sums_)
    out[key] = sc.second > 0 ? sc.first / static_cast<double>(sc.second) : std::nan("");
  sums_.clear();
  return out;
}

}  // namespace aha::rl
