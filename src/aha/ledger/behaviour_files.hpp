// The files of a model directory, besides its weights, that change what the model does: its
// architecture (config.json), sampling defaults, tokenizer, special tokens and chat template, and
// an adapter's settings. provenance.json records each one's SHA-256 so that verify notices an edit.
#pragma once

#include <string>
#include <vector>

#include "aha/base/json.hpp"

namespace aha::ledger {

// The file names hashed when present (relative to the model directory).
const std::vector<std::string>& behaviour_file_names();

// The behaviour files present in `dir` (the fixed names, and any additional_chat_templates/*.jinja),
// each relative to `dir`, sorted.
std::vector<std::string> present_behaviour_files(const std::string& dir);

// {name: SHA-256 of its bytes} for each behaviour file present in `dir`.
Json hash_behaviour_files(const std::string& dir);

// True when `name` may be a key of a "files" map: a relative path without "..", "." or empty parts.
bool is_safe_relative_name(const std::string& name);

}  // namespace aha::ledger
