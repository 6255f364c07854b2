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

// What a line that is not a JSON object does: an Error "path:line: what is wrong" (for data
// whose command offers --skip-bad-lines, the Error says so), or it is skipped and counted.
enum class BadLines { fail, fail_suggesting_skip, skip };

// Reads `path`; blank lines are ignored; bad lines as `bad` says.
JsonlFile read_jsonl(const std::string& path, BadLines bad);

// `skip_bad_lines` of a training config: skip, or fail suggesting --skip-bad-lines.
inline BadLines bad_lines_policy(bool skip_bad_lines) {
  return skip_bad_lines ? BadLines::skip : BadLines::fail_suggesting_skip;
}

// The string field `key` of `record`; an Error naming path:line and the field when it is
// missing or not a string.
const std::string& string_field(const JsonlRecord& record, const std::string& path, const std::string& key);

}  // namespace aha::data
