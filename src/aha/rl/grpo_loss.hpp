// The GRPO objective as DeepSeekMath/R1 define it and TRL's GRPOTrainer computes it: group-relative
// advantages, the clipped surrogate with a k3 KL penalty per token, and the four ways TRL
// aggregates token losses (loss_type); GSPO's sequence-level ratio, CISPO's and SAPO's policy
// terms, INTELLECT-2's two-sided clipping (delta) and the high-entropy token mask
// (top_entropy_quantile). Pure arithmetic on log-probabilities; the model's forward and backward
// live in model/training.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace aha::rl {

enum class LossType { grpo, bnpo, dr_grpo, dapo, cispo, sapo };
enum class ScaleRewards { group, batch, none };

// "grpo", "bnpo", "dr_grpo", "dapo", "cispo", "sapo"; anything else is a bad-input Error naming `field`.
LossType parse_loss_type(const std::string& name, const std::string& field);
// True for the losses with the clipped surrogate (grpo, bnpo, dr_grpo, dapo): the ones that take
// delta and report clip_ratio.
bool is_clipped_surrogate(LossType type);
// importance_sampling_level: "token" (false) or "sequence" (true); else a bad-input Error.
bool parse_sequence_level(const std::string& name, const std::string& field);
// "group", "batch", "none" (YAML's true/false mean group/none, as TRL accepts them).
ScaleRewards parse_scale_rewards(const std::string& name, const std::string& field);

struct Advantages {
  std::vector<double> advantages;   // (N) one per completion
  std::vector<double> group_std;    // (N) the unbiased std of the completion's group
  double frac_reward_zero_std = 0;  // share of completions whose group std is (close to) zero
};

// rewards (N = groups · G, each group's G completions adjacent) -> A_i = r_i − mean(group), divided
// by (std + 1e-4) where std is the group's (scale group), the whole batch's (batch) or not at
// all (none); std is unbiased (Bessel), as torch.std.
Advantages compute_advantages(std::span<const double> rewards, int64_t group_size, ScaleRewards scale);

struct GrpoLossOptions {
  double beta = 0.0;          // weight of the KL penalty; 0: no reference model
  double epsilon_low = 0.2;   // ρ is clipped to [1 − epsilon_low, 1 + epsilon_high]
  double epsilon_high = 0.2;  // with cispo: the ratio's upper bound itself (ScaleRL's ε_max)
  LossType loss_type = LossType::dapo;
  bool sequence_level = false;              // GSPO: one ratio per completion (importance_sampling_level)
  std::optional<double> delta;              // INTELLECT-2: the unclipped term's ratio capped at delta
  double sapo_temperature_pos = 1.0;        // SAPO's gate temperature where the advantage is > 0
  double sapo_temperature_neg = 1.05;       // ... and where it is <= 0
  double top_entropy_quantile = 1.0;        // the policy term only on tokens of the top quantile by entropy
  int64_t max_completion_length = 256;      // dr_grpo's normaliser
  int64_t gradient_accumulation_steps = 1;  // grpo, bnpo, dr_grpo divide by it
  double dapo_tokens = 1.0;                 // dapo's normaliser: masked tokens of the whole accumulated batch
};

// The completions of one micro-batch, their tokens flattened: completion c owns tokens
// offsets[c] .. offsets[c+1]-1.
struct CompletionTokens {
  std::vector<int64_t> offsets = {0};  // (B + 1)
  std::vector<double> logp;            // (T) log π_θ(token), at the sampling temperature
  std::vector<double> old_logp;        // (T) log π_old(token) from when it was sampled
  std::vector<double> ref_logp;        // (T) log π_ref(token); unused when beta is 0
  std::vector<double> mask;            // (T) 1 where the token counts, else 0
  std::vector<double> entropy;         // (T) the policy's entropy there; used when top_entropy_quantile < 1
  std::vector<double> advantages;      // (B)
  // (T) the sampler correction's weight per token (sampling_correction.hpp); empty: all 1.
  std::vector<double> sampling_weight = {};
};

struct GrpoLossResult {
  double loss = 0.0;
  std::vector<double> dlogp;  // (T) d loss / d logp
  // Sums over masked tokens, for TRL's metrics (divide kl_sum by mask_tokens, the clip counts by
  // clip_count: masked tokens, or completions at the sequence level). high_clipped counts CISPO's
  // capped ratios (ρ > ε_high, A > 0) with cispo; sapo clips nothing.
  double mask_tokens = 0, kl_sum = 0, low_clipped = 0, high_clipped = 0, clip_count = 0;
};

// One micro-batch's share of the step loss: per token
//   e·w·policy + β·(exp(ref − logp) − (ref − logp) − 1),
// policy = −min(min(ρ, δ)·A, clip(ρ, 1−ε_low, 1+ε_high)·A) (min(ρ, δ) only with delta set), or
// for cispo −sg(min(ρ, ε_high))·A·logp, or for sapo −σ(τ·(ρ − 1))·4/τ·A (τ by the sign of A);
// ρ = exp(logp − old_logp) per token, or at the sequence level exp of the completion's masked mean
// of logp − old_logp; e = 1, or with top_entropy_quantile q < 1 whether the token's entropy is at
// least the (1 − q) quantile of the micro-batch's masked entropies; w the token's sampling_weight
// (a constant: TRL detaches it). Aggregated by loss_type:
// grpo and sapo (per-completion token mean, then mean over completions) and bnpo (mean over the
// micro-batch's tokens) and dr_grpo (token sum over B · max_completion_length), each divided by
// gradient_accumulation_steps; dapo and cispo (token sum over dapo_tokens). Summing the
// micro-batches' losses gives the step's loss.
GrpoLossResult grpo_loss(const CompletionTokens& tokens, const GrpoLossOptions& options);

}  // namespace aha::rl
