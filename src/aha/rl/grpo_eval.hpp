// Evaluation during GRPO training, as TRL's GRPOTrainer evaluates on eval_dataset: the policy
// samples num_generations_eval completions of every held-out prompt (at the training temperature,
// top_p and top_k) and one greedy completion, the rollout's rewards score them, and aha's eval
// metrics (eval/pass_at_k.hpp, evaluation.hpp's summarize) summarise them under eval/. A sample
// passes when the first of reward_funcs scores it at least 1, as `aha eval` passes one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/dist/communicator.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/rl/grpo_rollout.hpp"

namespace aha::rl {

// The eval/ metrics of the policy in `source` on source.prompts (eval_metric_names' keys), with
// the reward functions' warnings appended to `warnings`. Every evaluation draws the same
// sampling seeds (a stream no training rollout uses), so evaluations differ only by the weights.
Json evaluate_policy(const GrpoConfig& config, const RolloutSource& source, std::vector<std::string>& warnings,
                     dist::Communicator& comm = dist::single_process());

// greater_is_better as the HF Trainer resolves it: as set, else false only for a metric ending in "loss".
bool greater_is_better(const GrpoConfig& config);

// The step of the checkpoint whose evaluation scored best on metric_for_best_model, from the
// logged lines `log_history` (HF's best_model_checkpoint): evaluations at steps that saved a
// checkpoint under output_dir count; the first best wins ties; nullopt when there is none.
std::optional<int64_t> best_checkpoint_step(const GrpoConfig& config, const Json& log_history);

}  // namespace aha::rl
