// JSON Lines files: one JSON object a line, with errors that name file:line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/json.hpp"

namespace aha::data {

// One parsed line and where it came from.
struct JsonlRecord {
  int64_t line = 0;  // 1-based line number in the file
  Json value;        // always an object
};

struct JsonlFile {
  std::string path;
  std::vector<JsonlRecord> records;
  int64_t skipped_lines = 0;  // bad lines left out (only with skip_bad_lines)
};

// Reads `path`; blank lines are ignored. A line that is not a JSON object is an Error
// "path:line: what is wrong", or, with `skip_bad_lines`, is skipped and counted.
JsonlFile read_jsonl(const std::string& path, bool skip_bad_lines);

// The string field `key` of `record`; an Error naming path:line and the field when it is
// missing or not a string.
const std::string& string_field(const JsonlRecord& record, const std::string& path, const std::string& key);

}  // namespace aha::data
