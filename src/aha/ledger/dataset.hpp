// Dataset fingerprints: what a run read, recorded when it was read. A file is identified by the
// SHA-256 of its bytes; a built-in generator by its name, version, parameters and seed. Declared
// facts (source, licence, language, content type, category) come from a DATASET.yaml sidecar.
#pragma once

#include <cstdint>
#include <string>

#include "aha/base/json.hpp"

namespace aha::ledger {

struct DatasetRecord {
  std::string role;  // what the run used it for: "train", "eval", "prompts", ...
  std::string kind;  // "file" or "generator"
  // kind "file":
  std::string path;           // as the config gave it
  std::string absolute_path;  // where verify looks for it again
  std::string sha256;
  uint64_t bytes = 0;
  // kind "generator":
  std::string generator, generator_version;
  Json parameters = Json::object();
  uint64_t seed = 0;
  // Both:
  int64_t records = 0;             // examples (lines, items) the run took from it
  int64_t tokens = 0;              // tokens those examples gave
  std::string read_at;             // UTC time of the fingerprint, ISO 8601
  Json declared = Json::object();  // the DATASET.yaml fields
  std::string declared_in;         // the sidecar's path, or "" when there is none
};

// The keys a DATASET.yaml may hold.
const std::vector<std::string>& declaration_keys();

// Fingerprints the file at `path` (as given) with the counts the reader found, and reads its
// sidecar: `<path>.DATASET.yaml`, else `DATASET.yaml` in the same folder. A sidecar with an
// unknown key or a value of the wrong type is a bad-input Error naming it.
DatasetRecord fingerprint_file(const std::string& path, const std::string& role, int64_t records, int64_t tokens);

// The record of a built-in generator run with `parameters` and `seed`.
DatasetRecord generator_record(const std::string& name, const std::string& version, const Json& parameters,
                               uint64_t seed, const std::string& role, int64_t records, int64_t tokens);

// The record as provenance.json stores it, and back (errors name `origin`).
Json to_json(const DatasetRecord& record);
DatasetRecord dataset_from_json(const Json& json, const std::string& origin);

// The current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now();

}  // namespace aha::ledger
