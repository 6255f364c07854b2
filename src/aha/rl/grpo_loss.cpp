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
  if (name == "cispo") return LossType::cispo;
  if (name == "sapo") return LossType::sapo;
  fail("{}: loss_type must be grpo, bnpo, dr_grpo, dapo, cispo or sapo, got \"{}\"", field, name);
}

bool is_clipped_surrogate(LossType type) { return type != LossType::cispo && type != LossType::sapo; }

bool parse_sequence_level(const std::string& name, const std::string& field) {
  if (name == "token" || name == "sequence") return name == "sequence";
  fail("{}: importance_sampling_level must be token or sequence, got \"{}\"", field, name);
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

namespace {

// torch.quantile(x, q): linear interpolation between the sorted values around q · (n − 1).
double quantile(std::vector<double> x, double q) {
  std::sort(x.begin(), x.end());
  const double position = q * static_cast<double>(x.size() - 1);
  const auto below = static_cast<size_t>(position);
  const size_t above = std::min(below + 1, x.size() - 1);
  return x[below] + (position - static_cast<double>(below)) * (x[above] - x[below]);
}

// Per token: 1 where the policy term counts (mask 1 and, with top_entropy_quantile < 1, an entropy
// at least the (1 − q) quantile of the micro-batch's masked entropies, as TRL's
// get_high_entropy_mask), else 0.
std::vector<double> entropy_mask(const CompletionTokens& t, double top_quantile) {
  std::vector<double> keep(t.mask.size(), 1.0);
  if (top_quantile >= 1.0) return keep;
  if (t.entropy.size() != t.mask.size()) fail_internal("grpo_loss: the entropies do not match the tokens");
  std::vector<double> masked;
  for (size_t i = 0; i < t.mask.size(); ++i)
    if (t.mask[i] != 0.0) masked.push_back(t.entropy[i]);
  const double threshold = masked.empty() ? 0.0 : quantile(masked, 1.0 - top_quantile);
  for (size_t i = 0; i < t.mask.size(); ++i)
    keep[i] = !masked.empty() && t.mask[i] != 0.0 && t.entropy[i] * t.mask[i] >= threshold ? 1.0 : 0.0;
  return keep;
}

// The policy term at ratio ρ = exp(log_ratio) and advantage a: its value and d value / d log ρ as
// autograd takes it (torch.minimum splits a tie's gradient; torch.clamp passes it on its bounds).
// cispo's value is the factor of −logp and its derivative is d / d logp (the ratio is detached).
struct PolicyTerm {
  double value = 0, dlog_ratio = 0;
  bool low = false, high = false;  // clipped on the side the advantage pushes towards
};

PolicyTerm policy_term(double log_ratio, double a, const GrpoLossOptions& o) {
  const double ratio = std::exp(log_ratio);
  PolicyTerm p;
  if (o.loss_type == LossType::cispo) {
    const double capped = std::min(ratio, o.epsilon_high);
    p.value = -capped * a;  // times logp
    p.dlog_ratio = -capped * a;
    p.high = ratio > o.epsilon_high && a > 0;
    return p;
  }
  if (o.loss_type == LossType::sapo) {
    const double temperature = a > 0 ? o.sapo_temperature_pos : o.sapo_temperature_neg;
    const double gate = 1.0 / (1.0 + std::exp(-temperature * (ratio - 1.0)));
    p.value = -gate * 4.0 / temperature * a;
    p.dlog_ratio = -4.0 * a * gate * (1.0 - gate) * ratio;
    return p;
  }
  const double low = 1.0 - o.epsilon_low, high = 1.0 + o.epsilon_high;
  const double unclipped = o.delta ? std::min(ratio, *o.delta) : ratio, clipped = std::clamp(ratio, low, high);
  const double d_unclipped = !o.delta || ratio <= *o.delta ? 1.0 : 0.0;
  const double d_clipped = ratio >= low && ratio <= high ? 1.0 : 0.0;
  const double first = unclipped * a, second = clipped * a;
  p.value = -std::min(first, second);
  const double d_min = first < second ? d_unclipped : second < first ? d_clipped : (d_unclipped + d_clipped) / 2;
  p.dlog_ratio = -d_min * a * ratio;
  p.low = unclipped < low && a < 0;
  p.high = unclipped > high && a > 0;
  return p;
}

}  // namespace

GrpoLossResult grpo_loss(const CompletionTokens& t, const GrpoLossOptions& o) {
  const size_t completions = t.offsets.size() - 1;
  const auto tokens = static_cast<size_t>(t.offsets.back());
  if (t.logp.size() != tokens || t.old_logp.size() != tokens || t.mask.size() != tokens ||
      (o.beta != 0.0 && t.ref_logp.size() != tokens) || t.advantages.size() != completions ||
      (!t.sampling_weight.empty() && t.sampling_weight.size() != tokens))
    fail_internal("grpo_loss: the token arrays do not match the offsets");
  const double accumulation = static_cast<double>(std::max<int64_t>(1, o.gradient_accumulation_steps));
  double all_mask = 0.0;
  for (double m : t.mask) all_mask += m;
  const std::vector<double> keep = entropy_mask(t, o.top_entropy_quantile);

  GrpoLossResult r;
  r.dlogp.assign(tokens, 0.0);
  r.mask_tokens = all_mask;
  for (size_t c = 0; c < completions; ++c) {
    const double advantage = t.advantages[c];
    const int64_t begin = t.offsets[c], end = t.offsets[c + 1];
    double completion_mask = 0.0, log_ratio_sum = 0.0;
    for (int64_t i = begin; i < end; ++i) {
      completion_mask += t.mask[i];
      log_ratio_sum += (t.logp[i] - t.old_logp[i]) * t.mask[i];
    }
    // d(aggregate)/d(per-token loss) for a token with mask 1.
    double weight = 0.0;
    switch (o.loss_type) {
      case LossType::grpo:
      case LossType::sapo:
        weight = 1.0 / std::max(1.0, completion_mask) / static_cast<double>(completions) / accumulation;
        break;
      case LossType::bnpo: weight = 1.0 / std::max(1.0, all_mask) / accumulation; break;
      case LossType::dr_grpo:
        weight = 1.0 / (static_cast<double>(completions * o.max_completion_length)) / accumulation;
        break;
      case LossType::dapo:
      case LossType::cispo: weight = 1.0 / std::max(1.0, o.dapo_tokens); break;
    }
    // GSPO: one ratio for the completion, d log ρ / d logp_i = mask_i / max(1, mask tokens).
    const double sequence_log_ratio = log_ratio_sum / std::max(1.0, completion_mask);
    const PolicyTerm sequence = policy_term(sequence_log_ratio, advantage, o);
    double sequence_weight = 0.0;  // Σ_i weight · mask_i · keep_i · w_i: how much the sequence's term counts
    for (int64_t i = begin; i < end; ++i) {
      const PolicyTerm p = o.sequence_level ? sequence : policy_term(t.logp[i] - t.old_logp[i], advantage, o);
      const bool per_token_gradient = !o.sequence_level || o.loss_type == LossType::cispo;
      const double counts = keep[i] * (t.sampling_weight.empty() ? 1.0 : t.sampling_weight[i]);
      double loss = counts * (o.loss_type == LossType::cispo ? p.value * t.logp[i] : p.value);
      double dloss = per_token_gradient ? counts * p.dlog_ratio : 0.0;
      if (!per_token_gradient) sequence_weight += weight * t.mask[i] * counts;
      if (o.beta != 0.0) {
        const double delta = t.ref_logp[i] - t.logp[i];
        const double kl = std::exp(delta) - delta - 1.0;
        loss += o.beta * kl;
        dloss += o.beta * (1.0 - std::exp(delta));
        r.kl_sum += t.mask[i] * kl;
      }
      r.loss += weight * t.mask[i] * loss;
      r.dlogp[i] = weight * t.mask[i] * dloss;
      if (!o.sequence_level) {
        r.low_clipped += t.mask[i] * (p.low ? 1.0 : 0.0);
        r.high_clipped += t.mask[i] * (p.high ? 1.0 : 0.0);
        r.clip_count += t.mask[i];
      }
    }
    if (o.sequence_level) {
      // TRL averages a sequence-level clip indicator over the completions.
      r.low_clipped += sequence.low ? 1.0 : 0.0;
      r.high_clipped += sequence.high ? 1.0 : 0.0;
      r.clip_count += 1.0;
      if (sequence_weight != 0.0)
        for (int64_t i = begin; i < end; ++i)
          r.dlogp[i] += sequence_weight * sequence.dlog_ratio * t.mask[i] / std::max(1.0, completion_mask);
    }
  }
  return r;
}

}  // namespace aha::rl
