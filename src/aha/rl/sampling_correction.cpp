#include "aha/rl/sampling_correction.hpp"

#include <algorithm>
#include <cmath>

#include "aha/base/error.hpp"

namespace aha::rl {
namespace {

bool is_sequence(SamplingCorrection mode) {
  return mode == SamplingCorrection::sequence_truncate || mode == SamplingCorrection::sequence_mask;
}

double corrected(double ratio, SamplingCorrection mode, double cap) {
  const bool truncate = mode == SamplingCorrection::token_truncate || mode == SamplingCorrection::sequence_truncate;
  if (truncate) return std::min(ratio, cap);
  return ratio > cap ? 0.0 : ratio;
}

}  // namespace

SamplingCorrection parse_sampling_correction(const std::string& name, const std::string& field) {
  if (name == "token_truncate") return SamplingCorrection::token_truncate;
  if (name == "token_mask") return SamplingCorrection::token_mask;
  if (name == "sequence_truncate") return SamplingCorrection::sequence_truncate;
  if (name == "sequence_mask") return SamplingCorrection::sequence_mask;
  fail("{}: must be token_truncate, token_mask, sequence_truncate or sequence_mask, got \"{}\"", field, name);
}

std::vector<double> sampling_weights(std::span<const float> old_logp, std::span<const float> sampling_logp,
                                     std::span<const double> mask, SamplingCorrection mode, double cap) {
  if (old_logp.size() != sampling_logp.size() || mask.size() != old_logp.size())
    fail_internal("sampling_weights: the old and sampling log-probs and the mask differ in length");
  std::vector<double> weights(old_logp.size());
  double sum = 0.0;
  for (size_t i = 0; i < old_logp.size(); ++i) {
    const double d = (static_cast<double>(old_logp[i]) - static_cast<double>(sampling_logp[i])) * mask[i];
    weights[i] = corrected(std::exp(d), mode, cap);
    sum += d;
  }
  if (is_sequence(mode)) std::fill(weights.begin(), weights.end(), corrected(std::exp(sum), mode, cap));
  return weights;
}

Json sampling_metrics(const std::vector<Completion>& completions, const std::vector<double>& masks,
                      SamplingCorrection mode, double cap) {
  if (masks.size() != completions.size()) fail_internal("sampling_metrics: one mask per completion");
  double delta_sum = 0, delta_max = 0, tokens = 0;
  double ratio_sum = 0, ratio_min = INFINITY, ratio_max = -INFINITY, ratios = 0;
  auto add_ratio = [&](double r) {
    ratio_sum += r, ratio_min = std::min(ratio_min, r), ratio_max = std::max(ratio_max, r), ++ratios;
  };
  for (size_t c = 0; c < completions.size(); ++c) {
    const Completion& x = completions[c];
    const std::vector<double> w =
        sampling_weights(x.old_logp, x.sampling_logp, std::vector<double>(x.ids.size(), masks[c]), mode, cap);
    if (is_sequence(mode)) add_ratio(w.empty() ? corrected(1.0, mode, cap) : w.front());
    if (masks[c] == 0.0) continue;
    for (size_t i = 0; i < w.size(); ++i) {
      const double d = std::fabs(static_cast<double>(x.old_logp[i]) - static_cast<double>(x.sampling_logp[i]));
      delta_sum += d, delta_max = std::max(delta_max, d), ++tokens;
      if (!is_sequence(mode)) add_ratio(w[i]);
    }
  }
  return {{"sampling/sampling_logp_difference/mean", tokens > 0 ? delta_sum / tokens : 0.0},
          {"sampling/sampling_logp_difference/max", delta_max},
          {"sampling/importance_sampling_ratio/min", ratios > 0 ? ratio_min : 0.0},
          {"sampling/importance_sampling_ratio/mean", ratios > 0 ? ratio_sum / ratios : 0.0},
          {"sampling/importance_sampling_ratio/max", ratios > 0 ? ratio_max : 0.0}};
}

}  // namespace aha::rl
