#include "aha/rl/grpo_loss.hpp"

#include <algorithm>
#include <cmath>

#include "aha/base/error.hpp"

namespace aha::rl {
namespace {

double mean_of(std::span<const double> x) {
  double sum = 0.0;
  for (double v : x) sum += v;
  return x.empty() ? 0.0 : sum / static_cast<double>(x.size());
}

// torch.std: sqrt(Σ (x − mean)² / (n − 1)); NaN for one value, as torch gives.
double unbiased_std(std::span<const double> x) {
  if (x.size() < 2) return NAN;
  const double mean = mean_of(x);
  double sum = 0.0;
  for (double v : x) sum += (v - mean) * (v - mean);
  return std::sqrt(sum / static_cast<double>(x.size() - 1));
}

// torch.isclose(std, 0) with its default tolerances: |std| <= 1e-8.
bool is_zero_std(double std) { return std::fabs(std) <= 1e-8; }

}  // namespace

LossType parse_loss_type(const std::string& name, const std::string& field) {
  if (name == "grpo") return LossType::grpo;
  if (name == "bnpo") return LossType::bnpo;
  if (name == "dr_grpo") return LossType::dr_grpo;
  if (name == "dapo") return LossType::dapo;
  fail("{}: loss_type must be grpo, bnpo, dr_grpo or dapo, got \"{}\"", field, name);
}

ScaleRewards parse_scale_rewards(const std::string& name, const std::string& field) {
  if (name == "group" || name == "true" || name == "True") return ScaleRewards::group;
  if (name == "batch") return ScaleRewards::batch;
  if (name == "none" || name == "false" || name == "False") return ScaleRewards::none;
  fail("{}: scale_rewards must be group, batch or none, got \"{}\"", field, name);
}

Advantages compute_advantages(std::span<const double> rewards, int64_t group_size, ScaleRewards scale) {
  const auto n = static_cast<int64_t>(rewards.size());
  if (group_size < 2) fail("num_generations must be at least 2 to compare completions, got {}", group_size);
  if (n % group_size != 0) fail_internal("the number of rewards is not a multiple of the group size");
  Advantages a;
  a.advantages.resize(n);
  a.group_std.resize(n);
  const double batch_std = unbiased_std(rewards);
  int64_t zero = 0;
  for (int64_t g = 0; g < n; g += group_size) {
    const std::span<const double> group = rewards.subspan(g, group_size);
    const double mean = mean_of(group), std = unbiased_std(group);
    const double divisor = (scale == ScaleRewards::batch ? batch_std : std) + 1e-4;
    for (int64_t i = g; i < g + group_size; ++i) {
      a.group_std[i] = std;
      a.advantages[i] = rewards[i] - mean;
      if (scale != ScaleRewards::none) a.advantages[i] /= divisor;
    }
    if (is_zero_std(std)) zero += group_size;
  }
  a.frac_reward_zero_std = n > 0 ? static_cast<double>(zero) / static_cast<double>(n) : 0.0;
  return a;
}

GrpoLossResult grpo_loss(const CompletionTokens& t, const GrpoLossOptions& o) {
  const size_t completions = t.offsets.size() - 1;
  const auto tokens = static_cast<size_t>(t.offsets.back());
  if (t.logp.size() != tokens || t.old_logp.size() != tokens || t.mask.size() != tokens ||
      (o.beta != 0.0 && t.ref_logp.size() != tokens) || t.advantages.size() != completions)
    fail_internal("grpo_loss: the token arrays do not match the offsets");
  const double accumulation = static_cast<double>(std::max<int64_t>(1, o.gradient_accumulation_steps));
  double all_mask = 0.0;
  for (double m : t.mask) all_mask += m;

  GrpoLossResult r;
  r.dlogp.assign(tokens, 0.0);
  r.mask_tokens = all_mask;
  for (size_t c = 0; c < completions; ++c) {
    const double advantage = t.advantages[c];
    double completion_mask = 0.0;
    for (int64_t i = t.offsets[c]; i < t.offsets[c + 1]; ++i) completion_mask += t.mask[i];
    // d(aggregate)/d(per-token loss) for a token with mask 1.
    double weight = 0.0;
    switch (o.loss_type) {
      case LossType::grpo:
        weight = 1.0 / std::max(1.0, completion_mask) / static_cast<double>(completions) / accumulation;
        break;
      case LossType::bnpo: weight = 1.0 / std::max(1.0, all_mask) / accumulation; break;
      case LossType::dr_grpo:
        weight = 1.0 / (static_cast<double>(completions * o.max_completion_length)) / accumulation;
        break;
      case LossType::dapo: weight = 1.0 / std::max(1.0, o.dapo_tokens); break;
    }
    for (int64_t i = t.offsets[c]; i < t.offsets[c + 1]; ++i) {
      const double ratio = std::exp(t.logp[i] - t.old_logp[i]);
      const double clipped = std::clamp(ratio, 1.0 - o.epsilon_low, 1.0 + o.epsilon_high);
      double loss = -std::min(ratio * advantage, clipped * advantage);
      // The clipped term is the smaller one and constant in logp exactly when ρ left the trust
      // region on the side the advantage pushes towards.
      const bool low = ratio < 1.0 - o.epsilon_low && advantage < 0;
      const bool high = ratio > 1.0 + o.epsilon_high && advantage > 0;
      double dloss = low || high ? 0.0 : -ratio * advantage;
      if (o.beta != 0.0) {
        const double delta = t.ref_logp[i] - t.logp[i];
        const double kl = std::exp(delta) - delta - 1.0;
        loss += o.beta * kl;
        dloss += o.beta * (1.0 - std::exp(delta));
        r.kl_sum += t.mask[i] * kl;
      }
      r.loss += weight * t.mask[i] * loss;
      r.dlogp[i] = weight * t.mask[i] * dloss;
      r.low_clipped += t.mask[i] * (low ? 1.0 : 0.0);
      r.high_clipped += t.mask[i] * (high ? 1.0 : 0.0);
    }
  }
  return r;
}

}  // namespace aha::rl
