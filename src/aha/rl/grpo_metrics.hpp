// The metrics `aha grpo` logs, under TRL GRPOTrainer's names and with their meanings: what the
// completions of a batch score and how long they are, and TRL's logging window, which averages
// every value over the steps since the last logged line (docs/grpo.md lists each metric).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/rl/grpo_loss.hpp"
#include "aha/rl/grpo_rollout.hpp"

namespace aha::rl {

// The metrics of `completions` (groups of `group` adjacent completions of one prompt), each key
// prefixed by `prefix`: reward, reward_std (the mean of the std that `scale` divides by),
// rewards/<name>/mean and /std (NaN scores left out), frac_reward_zero_std, prompts/truncated
// (groups whose prompt was cut), and completions/ mean_length, min_length, max_length,
// clipped_ratio (share stopped by max_completion_length) and mean_, min_ and
// max_terminated_length (over those that ended on EOS; 0 when none did, as TRL).
Json completion_metrics(const std::vector<Completion>& completions, const std::vector<GrpoPrompt>& prompts,
                        const std::vector<std::string>& reward_names, int64_t group, ScaleRewards scale,
                        const std::string& prefix = "");

// Prompt and completion tokens of `completions`, as TRL adds a generation batch's attention mask
// to num_input_tokens_seen.
int64_t input_tokens(const std::vector<Completion>& completions, const std::vector<GrpoPrompt>& prompts);

// TRL's logging window: the numbers added since the last take(), averaged per key.
class MetricsWindow {
 public:
  // Adds every number of `values` (null, a NaN that JSON keeps, counts as missing: TRL's nanmean).
  void add(const Json& values);
  // The mean of each key's values since the last take(), then empties the window.
  Json take();

 private:
  std::map<std::string, std::pair<double, int64_t>> sums_;  // key -> (sum, count)
};

}  // namespace aha::rl
