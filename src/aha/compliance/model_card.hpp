// `aha card`: the model card (README.md with Hugging Face's YAML front matter) and the EU training
// summary (TRAINING_SUMMARY.md, training_summary.json), generated from provenance.json, the eval
// results under <model>/eval/ and provider.yaml.
#pragma once

#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/compliance/lineage.hpp"
#include "aha/compliance/provider.hpp"

namespace aha::compliance {

// The eval summaries found under `model_dir`/eval/*/summary.json, sorted by directory name.
std::vector<Json> find_eval_results(const std::string& model_dir);

// README.md's text.
std::string model_card(const std::string& model_dir, const Lineage& lineage, const ProviderInfo& provider,
                       const std::vector<Json>& eval_results);

// Writes README.md, TRAINING_SUMMARY.md and training_summary.json into `model_dir`; provider.yaml
// is `provider_path`, or `model_dir`/provider.yaml when empty. Returns the paths written. A
// bad-input Error, writing nothing, when one of the three is there already and not `overwrite`.
std::vector<std::string> write_card(const std::string& model_dir, const std::string& provider_path, bool overwrite);

}  // namespace aha::compliance
