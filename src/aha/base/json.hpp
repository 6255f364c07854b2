// Helpers for reading JSON documents with errors that name the file and the field.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace aha {

using Json = nlohmann::json;

// Arrays and objects nested deeper than this are refused before parsing: copying and printing a
// document recurse once per level, and one nested 300,000 deep would overflow the stack.
constexpr int kMaxJsonDepth = 256;

// True when `text` nests arrays and objects deeper than kMaxJsonDepth (strings skipped). Where the
// text is not valid JSON the parser stops at its first error, before anything deeper is built.
bool json_too_deep(std::string_view text);

// Parses `text` as JSON; a syntax error names `origin` (a file path) and the byte offset, and so
// does nesting deeper than kMaxJsonDepth.
Json parse_json(const std::string& text, const std::string& origin);

// Reads and parses the JSON file at `path`.
Json read_json_file(const std::string& path);

// Name of a JSON value's type as a user would say it ("string", "number", "object", ...).
const char* json_type_name(const Json& value);

}  // namespace aha
