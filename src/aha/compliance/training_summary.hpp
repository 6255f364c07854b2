// The public summary of training content (EU AI Act, Article 53(1)(d)) following the structure of
// the Commission's template (July 2025), sections 1-3, plus the Annex XI technical-documentation
// fields aha knows (architecture, parameters, training method, compute, time, energy).
#pragma once

#include <string>

#include "aha/base/json.hpp"
#include "aha/compliance/lineage.hpp"
#include "aha/compliance/provider.hpp"

namespace aha::compliance {

// The template's size bin for `tokens` of text: "Less than 1 billion tokens", "1 billion to 10
// trillion tokens" or "More than 10 trillion tokens".
std::string text_size_bin(int64_t tokens);

// training_summary.json for the model in `model_dir` (its config.json gives the architecture).
Json training_summary(const std::string& model_dir, const Lineage& lineage, const ProviderInfo& provider);

// TRAINING_SUMMARY.md: the same content for people.
std::string training_summary_markdown(const Json& summary);

// A dataset's name for people: its DATASET.yaml name, else its path; a generator's name.
std::string dataset_display_name(const Json& record);

}  // namespace aha::compliance
