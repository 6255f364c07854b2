// Evaluation during GRPO training, as TRL's GRPOTrainer evaluates on eval_dataset: the policy
// samples num_generations_eval completions of every held-out prompt (at the training temperature,
// top_p and top_k, through GRPO's rollout generator) and one greedy completion, the run's rewards
// score them, and this folder's metrics (pass_at_k.hpp, evaluation.hpp's summarize) summarise
// them under eval/. A sample passes when the first of reward_funcs scores it at least 1, as
// `aha eval` passes one. rl/ cannot call up into eval/, so a GRPO run is handed policy_evaluator.
#pragma once

#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/dist/communicator.hpp"
#include "aha/dist/world.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/rl/grpo_eval.hpp"
#include "aha/rl/grpo_rollout.hpp"

namespace aha::eval {

// The eval/ metrics of the policy in `source` on source.prompts (rl::eval_metric_names' keys),
// with the reward functions' warnings appended to `warnings`. Every evaluation draws the same
// sampling seeds (a stream no training rollout uses), so evaluations differ only by the weights.
Json evaluate_policy(const rl::GrpoConfig& config, const rl::RolloutSource& source, std::vector<std::string>& warnings,
                     dist::Communicator& comm = dist::single_process());

// evaluate_policy under `config` (kept by reference) on every process of the job, for GrpoInputs::evaluate.
rl::PolicyEvaluator policy_evaluator(const rl::GrpoConfig& config);

}  // namespace aha::eval
