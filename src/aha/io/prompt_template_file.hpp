// prompt_template.json: the prompt template (r1_zero, r1_zero_think, chat or raw) a model was
// trained with, which aha grpo writes beside the weights ({"prompt_template": "raw"}) so that eval,
// distill and grpo on the model use it unless told otherwise.
#pragma once

#include <optional>
#include <string>

namespace aha::io {

inline constexpr const char* kPromptTemplateFile = "prompt_template.json";

// The template stored in model directory `dir` (an adapter directory without one: its base's), if
// any; a file that is not {"prompt_template": NAME} is a bad-input Error naming it.
std::optional<std::string> stored_prompt_template(const std::string& dir);

// prompt_template.json's text for template `name`.
std::string prompt_template_file_text(const std::string& name);

}  // namespace aha::io
