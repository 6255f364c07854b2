// provenance.json: what made a model. Every training run (pretrain, sft, grpo, distill) writes one
// into its output model directory, and so does aha merge (kind "merge"): the weights' hashes, the run (kind, datasets,
// rewards, teachers, resolved config, version, seed, hardware, time, tokens, estimated compute and energy), the hashes
// of the files that change its behaviour (config, tokenizer, chat template, ...) and the
// base model with its whole provenance embedded, so a copied directory is self-contained.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/ledger/dataset.hpp"

namespace aha::ledger {

// What a run did; the trainer fills it, write_provenance adds what it can measure itself.
struct RunRecord {
  std::string kind;  // "pretrain", "sft", "grpo", "distill", "merge"
  std::vector<DatasetRecord> datasets;
  Json rewards = Json::array();   // [{"name": ..., "options": {...}}, ...] (grpo)
  Json teachers = Json::array();  // [model_reference(teacher_dir), ...] (distill)
  Json adapters = Json::array();  // [model_reference(adapter_dir)] (merge: the adapter merged into base_model)
  Json config = Json::object();   // the resolved config
  uint64_t seed = 0;
  int64_t threads = 0;             // per process
  std::vector<std::string> hosts;  // the node of each process (rank order); empty: this one alone
  std::string started_at;          // utc_now() when the run started
  double wall_seconds = 0;         // training time, summed over resumed attempts
  int64_t tokens_processed = 0;    // input tokens of every optimizer step
};

// A reference to another model: {"path", "weights_sha256", "files": its behaviour files' hashes,
// "provenance": its provenance.json or null}. The hashes are computed from the directory.
Json model_reference(const std::string& dir);

// Writes `model_dir`/provenance.json for `run`, hashing the weights now in `model_dir`;
// `base_model_dir` is the model training started from ("" when it started from scratch).
// Returns the document written.
Json write_provenance(const std::string& model_dir, const RunRecord& run, const std::string& base_model_dir);

// Writes `merged_dir`/provenance.json for a model made by merging adapter `adapter_dir` into
// `base_dir`: run kind "merge" whose "adapters" references the adapter (its provenance embedded)
// and whose base_model references the base, each hashed now; `started_at` and `wall_seconds` time
// the merge. Returns the document written.
Json write_merge_provenance(const std::string& merged_dir, const std::string& adapter_dir, const std::string& base_dir,
                            const std::string& started_at, double wall_seconds);

// The SHA-256 of a provenance record: its canonical JSON (sorted keys, no spaces) without the
// "record_sha256" field.
std::string record_sha256(const Json& record);

// Reads `dir`/provenance.json, checking its shape; a missing or malformed file is a bad-input
// Error naming it and the field.
Json read_provenance(const std::string& dir);

// The exact bytes of `dir`/provenance.json (what a signature covers); a bad-input Error when absent.
std::string read_provenance_bytes(const std::string& dir);

// Parses and checks `text` as a provenance record; errors name `origin`.
Json parse_provenance(const std::string& text, const std::string& origin);

// Checks that `doc` is a provenance record (recursively through base models); `origin` names it.
void check_provenance(const Json& doc, const std::string& origin);

// The hardware this process runs on: CPU model, logical cores, memory, operating system.
Json hardware_description(int64_t threads);

}  // namespace aha::ledger
