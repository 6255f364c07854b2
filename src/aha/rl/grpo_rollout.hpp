// GRPO's rollouts: a group of num_generations completions per prompt from the batched,
// prefix-sharing generator, scored by the reward functions, with group-relative advantages.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aha/dist/communicator.hpp"
#include "aha/model/decoder.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/rl/reward.hpp"
#include "aha/tokenizer/tokenizer.hpp"

namespace aha::rl {

// One prompt of the training set: its text as the model sees it, its ids and the reference answer.
struct GrpoPrompt {
  std::string text;
  std::vector<int32_t> ids;
  nlohmann::json answer;
  bool truncated = false;                             // cut from the left to max_prompt_length or the context
  nlohmann::json columns = nlohmann::json::object();  // the dataset row's other fields, for the rewards
};

// One sampled completion and what the update needs of it.
struct Completion {
  int64_t prompt = 0;           // index into the prompt list
  std::vector<int32_t> ids;     // generated tokens (EOS included when it ended on one)
  bool truncated = false;       // stopped by max_completion_length, not by EOS
  std::string text;             // decoded without special tokens
  std::vector<double> rewards;  // one per reward function
  double reward = 0, advantage = 0;
  std::vector<float> old_logp, ref_logp;  // per completion token, once computed (else empty)
  std::vector<float> sampling_logp;       // per completion token, from the sampler (the rollout's engine)
};

// 0 when `completion` does not count in the loss (truncated, with mask_truncated_completions), else 1.
inline double loss_mask(const GrpoConfig& config, const Completion& completion) {
  return config.mask_truncated_completions && completion.truncated ? 0.0 : 1.0;
}

// The completions of one step, num_generations per prompt, each group adjacent.
struct Rollout {
  std::vector<Completion> completions;
  int64_t rounds = 1;  // generation rounds (more than 1 with dynamic_sampling)
  double generation_seconds = 0;
  int64_t generated_tokens = 0;
  std::vector<std::string> warnings;  // from the reward functions
};

// What rollouts are drawn from.
struct RolloutSource {
  const io::ModelConfig* model_config;
  const model::Model* policy;  // the current policy (with LoRA, its adapters merged)
  const tokenizer::Tokenizer* tokenizer;
  const std::vector<GrpoPrompt>* prompts;
  std::vector<std::unique_ptr<RewardFunction>>* rewards;
  std::vector<double> reward_weights;  // one per reward
  std::vector<int32_t> eos_ids;
};

// Samples `prompt_indices.size()` groups for `step` (sampling seeds derive from the config's seed,
// the step and the group's position, so a resumed run draws the same) and scores them. With
// several ranks each samples and scores its share of the groups (dist::share_of) and every rank
// gets all of them, in order: the same rollout as one process draws.
Rollout generate_groups(const GrpoConfig& config, const RolloutSource& source, int64_t step, int64_t round,
                        const std::vector<int64_t>& prompt_indices, dist::Communicator& comm = dist::single_process());

// Sets every completion's advantage from its reward (scale_rewards of `config`).
void assign_advantages(const GrpoConfig& config, Rollout& rollout);

// The rollout as JSON (for a checkpoint taken between the num_iterations updates of one rollout)
// and back; floats round-trip exactly.
nlohmann::json rollout_to_json(const Rollout& rollout);
Rollout rollout_from_json(const nlohmann::json& json);

}  // namespace aha::rl
