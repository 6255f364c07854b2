// DeepSeek-R1's completion structure, "<think> reasoning </think> <answer> answer </answer>": the
// `format` reward scores it, and the strict `accuracy` reward reads its answer from it, so that
// a completion strict accuracy accepts also passes the format reward.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace aha::rl {

// R1's four tags.
inline constexpr std::array<std::string_view, 4> kR1Tags = {"<think>", "</think>", "<answer>", "</answer>"};

// Whether `text` holds any of R1's tags.
bool has_r1_tag(std::string_view text);

// Where a completion's think block opens: the completion writes <think> (`format`), the prompt
// already opened it so the completion must not (`format_think_open`), or either (`accuracy`).
enum class ThinkOpening { in_completion, in_prompt, either };

// The content of the answer block, untrimmed, when `completion` is R1's structure and nothing
// else: whitespace around the blocks, no <think>, </think>, <answer> or </answer> inside either
// block, nothing but whitespace after </answer>. nullopt otherwise (no </think>, an unclosed or
// second answer block, an answer inside the reasoning, text around the blocks).
std::optional<std::string_view> r1_answer_block(std::string_view completion, ThinkOpening opening);

}  // namespace aha::rl
