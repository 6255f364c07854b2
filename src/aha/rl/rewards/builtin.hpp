// The built-in rewards, one file each; make_reward (reward.cpp) picks one by name.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>

#include "aha/rl/reward.hpp"

namespace aha::rl {

// `accuracy` (`strict`) and `accuracy_lenient`: the completion's final answer states the reference
// (math_answer.hpp: strict_final_answer and strict_answer_matches, or extract_final_answer and
// math_answers_equal).
std::unique_ptr<RewardFunction> make_accuracy_reward(const nlohmann::json& options, bool strict);

// `format`: <think>…</think> then <answer>…</answer>; with `think_open`, `format_think_open`: the
// prompt already opened <think>, so the completion starts inside it.
std::unique_ptr<RewardFunction> make_format_reward(const nlohmann::json& options, bool think_open);

// `tag_count`: 0.25 for each of the four R1 tags held exactly once (open-r1's shaping reward).
std::unique_ptr<RewardFunction> make_tag_count_reward(const nlohmann::json& options);

// `countdown`: the expression in the last <answer> uses the given numbers once each and equals the target.
std::unique_ptr<RewardFunction> make_countdown_reward(const nlohmann::json& options);

// `soft_overlong`: DAPO's soft overlong punishment by completion tokens (TRL's
// get_soft_overlong_punishment); options max_completion_len and soft_punish_cache.
std::unique_ptr<RewardFunction> make_soft_overlong_reward(const nlohmann::json& options);

// `length`: Kimi 1.5's length reward within a prompt's group (open-r1's len_reward).
std::unique_ptr<RewardFunction> make_length_reward(const nlohmann::json& options);

// `repetition`: the n-gram repetition penalty (open-r1's get_repetition_penalty_reward); options
// ngram_size (3) and max_penalty (-1).
std::unique_ptr<RewardFunction> make_repetition_reward(const nlohmann::json& options);

// `external`: a user's program scores completions over JSON lines (external.cpp documents the protocol).
std::unique_ptr<RewardFunction> make_external_reward(const nlohmann::json& options);

}  // namespace aha::rl
