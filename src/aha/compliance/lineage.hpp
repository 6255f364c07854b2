// A model's lineage flattened from its provenance.json: every run that shaped it (newest first),
// and every dataset, generator, reward function, teacher, merged adapter and upstream model those
// runs used.
#pragma once

#include <string>
#include <vector>

#include "aha/base/json.hpp"

namespace aha::compliance {

struct Lineage {
  std::vector<Json> runs;        // each record's "run" object, this model's first
  std::vector<Json> datasets;    // file datasets, each once (by path and hash), with "run_kind"
  std::vector<Json> generators;  // built-in generator records, with "run_kind"
  std::vector<Json> rewards;     // reward function entries of GRPO runs
  std::vector<Json> teachers;    // {"name", "weights_sha256", "via"}: distillation teachers
  std::vector<Json> upstream;    // base models without provenance: {"path", "weights_sha256"}
  // Adapters merged in (aha merge): {"path", "weights_sha256", "has_provenance", "base_model":
  // {"path", "weights_sha256"} of the model it was merged into}.
  std::vector<Json> adapters;
  Json weights;  // this model's "weights" object
};

// Flattens the provenance document `doc` (as ledger::read_provenance returns it).
Lineage flatten_lineage(const Json& doc);

// Tokens of the training datasets (role "train") over the lineage, generators included.
int64_t training_tokens(const Lineage& lineage);

}  // namespace aha::compliance
