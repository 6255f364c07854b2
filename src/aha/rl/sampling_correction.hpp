// The correction for rollouts sampled by another engine than the trained model (TRL's
// vllm_importance_sampling_*; aha's rollout_quantization: a q8_0 copy of the policy samples):
// per token, the ratio of the trained model's probability to the sampler's, truncated at or
// masked above a cap, per token or per completion, multiplies the token's policy loss.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/rl/grpo_rollout.hpp"

namespace aha::rl {

enum class SamplingCorrection { token_truncate, token_mask, sequence_truncate, sequence_mask };

// vllm_importance_sampling_mode: "token_truncate", "token_mask", "sequence_truncate" or
// "sequence_mask"; anything else is a bad-input Error starting with `field` (the key, where it is).
SamplingCorrection parse_sampling_correction(const std::string& name, const std::string& field);

// One completion's per-token weights, as TRL computes them: d = (old_logp − sampling_logp) · mask per
// token (the token modes) or its sum over the completion (the sequence modes, the same weight on
// every token); ratio exp(d), then min(ratio, cap) (truncate) or 0 where ratio > cap (mask).
std::vector<double> sampling_weights(std::span<const float> old_logp, std::span<const float> sampling_logp,
                                     std::span<const double> mask, SamplingCorrection mode, double cap);

// TRL's sampling/ metrics of a rollout whose completions hold old_logp and sampling_logp:
// sampling_logp_difference/mean and /max (|old_logp − sampling_logp| over masked tokens) and
// importance_sampling_ratio/min, /mean and /max (over masked tokens, or over completions in the
// sequence modes); `masks` holds each completion's mask (0 for a truncated one under
// mask_truncated_completions, else 1). Every value is 0 when no token counts, as TRL logs it.
Json sampling_metrics(const std::vector<Completion>& completions, const std::vector<double>& masks,
                      SamplingCorrection mode, double cap);

}  // namespace aha::rl
