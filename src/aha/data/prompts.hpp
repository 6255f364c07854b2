// Prompt datasets for GRPO, evaluation and distillation: each item is a prompt and the reference
// answer a reward checks completions against.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aha/tasks/task.hpp"
#include "aha/tokenizer/chat_template.hpp"

namespace aha::data {

using tasks::PromptItem;

// JSONL with "prompt" (text or messages) and "answer", or GSM8K's format ("question", and
// "answer" whose last line is "#### N": N becomes the answer). Errors name path:line.
std::vector<PromptItem> read_prompt_dataset(const std::string& path);

// r1_zero: DeepSeek-R1-Zero's template ("... User: {prompt}. Assistant:"); r1_zero_think: the same
// with the think block opened (" <think>" after "Assistant:"), as TinyZero's template and chat
// templates that open it do; chat: the model's chat template; raw: the prompt's text alone.
enum class PromptTemplate { r1_zero, r1_zero_think, chat, raw };

// The templates' names for messages: "r1_zero, r1_zero_think, chat or raw".
std::string prompt_template_names();

bool is_prompt_template(const std::string& name);

// One of prompt_template_names(); anything else is a bad-input Error.
PromptTemplate parse_prompt_template(const std::string& name);

// True when model directory `model_dir` (or an adapter's base) has a chat template.
bool has_chat_template(const std::string& model_dir);

// The template's name for model directory `model_dir`: `requested` when not empty, else the one
// the model was trained with (its prompt_template.json), else chat when the model has a chat
// template, else r1_zero. An unknown name is a bad-input Error saying where it came from.
std::string resolve_prompt_template(const std::string& requested, const std::string& model_dir);

// The text the model is given for `item`: R1-Zero's template around the prompt's text (ending in
// " <think>" for r1_zero_think), the model's chat template (with the generation prompt;
// `chat_template` must not be null), or the prompt's text alone. A messages prompt with r1_zero,
// r1_zero_think or raw uses its last user message.
std::string format_prompt(const PromptItem& item, PromptTemplate format, const tokenizer::ChatTemplate* chat_template);

}  // namespace aha::data
