// The text side of a model directory: its tokenizer.json and its chat template.
#pragma once

#include <optional>
#include <string>

#include "aha/tokenizer/chat_template.hpp"
#include "aha/tokenizer/tokenizer.hpp"

namespace aha::tokenizer {

// The tokenizer of model directory `dir`, or nullopt when it has no tokenizer.json.
std::optional<Tokenizer> load_model_tokenizer(const std::string& dir);

// The chat template for model directory `dir`: the Jinja file `override_file` when given (with
// the special tokens of dir's tokenizer_config.json, if any), else dir's own template. Fails
// naming the directory when there is none.
ChatTemplate load_model_chat_template(const std::string& dir, const std::string& override_file);

}  // namespace aha::tokenizer
