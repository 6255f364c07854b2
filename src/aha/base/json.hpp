// The one way aha parses JSON text: depth-limited, with errors that name the file and the byte.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace aha {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;  // keeps keys in the order they were written

// Arrays and objects nested deeper than this are refused before parsing: copying and printing a
// document recurse once per level, and one nested 300,000 deep would overflow the stack.
constexpr int kMaxJsonDepth = 256;

// True when `text` nests arrays and objects deeper than kMaxJsonDepth (strings skipped). Where the
// text is not valid JSON the parser stops at its first error, before anything deeper is built.
bool json_too_deep(std::string_view text);

// Parses `text` as JSON; a syntax error names `origin` (a file path) and the byte offset, and so
// does nesting deeper than kMaxJsonDepth. Every JSON reader in aha goes through this family.
Json parse_json(std::string_view text, const std::string& origin);

// parse_json keeping the order of keys (chat templates and request bodies see it), refusing
// nesting deeper than `max_depth`.
OrderedJson parse_ordered_json(std::string_view text, const std::string& origin, int max_depth = kMaxJsonDepth);

// parse_json for readers that skip bad input: nullopt when `text` is not JSON or nests too deep,
// with the reason ("not valid JSON (byte 7)") in `why` when given.
std::optional<Json> try_parse_json(std::string_view text, std::string* why = nullptr);

// Reads and parses the JSON file at `path`.
Json read_json_file(const std::string& path);

// read_json_file keeping the order of keys.
OrderedJson read_ordered_json_file(const std::string& path);

// Name of a JSON value's type as a user would say it ("string", "number", "object", ...).
const char* json_type_name(const Json& value);

}  // namespace aha
