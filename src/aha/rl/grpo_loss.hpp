// The GRPO objective as DeepSeekMath/R1 define it and TRL's GRPOTrainer computes it: group-relative
// advantages, the clipped surrogate with a k3 KL penalty per token, and the four ways TRL
// aggregates token losses (loss_type). Pure arithmetic on log-probabilities; the model's forward
// and backward live in model/training.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace aha::rl {

enum class LossType { grpo, bnpo, dr_grpo, dapo };
enum class ScaleRewards { group, batch, none };

// "grpo", "bnpo", "dr_grpo", "dapo"; anything else is a bad-input Error naming `field`.
LossType parse_loss_type(const std::string& name, const std::string& field);
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
  double beta = 0.0;         // weight of the KL penalty; 0: no reference model
  double epsilon_low = 0.2;  // ρ is clipped to [1 − epsilon_low, 1 + epsilon_high]
  double epsilon_high = 0.2;
  LossType loss_type = LossType::dapo;
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
  std::vector<double> advantages;      // (B)
};

struct GrpoLossResult {
  double loss = 0.0;
  std::vector<double> dlogp;  // (T) d loss / d logp
  // Sums over masked tokens, for TRL's metrics (divide by mask_tokens).
  double mask_tokens = 0, kl_sum = 0, low_clipped = 0, high_clipped = 0;
};

// One micro-batch's share of the step loss: per token
//   −min(ρ·A, clip(ρ, 1−ε_low, 1+ε_high)·A) + β·(exp(ref − logp) − (ref − logp) − 1),
// ρ = exp(logp − old_logp), aggregated by loss_type: grpo (per-completion token mean, then mean
// over completions) and bnpo (mean over the micro-batch's tokens) and dr_grpo (token sum over
// B · max_completion_length), each divided by gradient_accumulation_steps; dapo (token sum over
// dapo_tokens). Summing the micro-batches' losses gives the step's loss.
GrpoLossResult grpo_loss(const CompletionTokens& tokens, const GrpoLossOptions& options);

}  // namespace aha::rl
