// What a GRPO run needs of evaluation during training: the evaluator it is handed
// (eval/policy_eval.hpp, which rl/ cannot include) and load_best_model_at_end's choice of
// checkpoint, as the HF Trainer makes it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/rl/grpo_config.hpp"

namespace aha::rl {

struct RolloutSource;

// The eval/ metrics of the policy in a source whose prompts are the held-out ones; the rewards'
// warnings are appended to the vector.
using PolicyEvaluator = std::function<Json(const RolloutSource&, std::vector<std::string>&)>;

// greater_is_better as the HF Trainer resolves it: as set, else false only for a metric ending in "loss".
bool greater_is_better(const GrpoConfig& config);

// The step of the checkpoint whose evaluation scored best on metric_for_best_model, from the
// logged lines `log_history` (HF's best_model_checkpoint): evaluations at steps that saved a
// checkpoint under output_dir count; the first best wins ties; nullopt when there is none.
std::optional<int64_t> best_checkpoint_step(const GrpoConfig& config, const Json& log_history);

}  // namespace aha::rl
