// Helpers for reading JSON documents with errors that name the file and the field.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace aha {

using Json = nlohmann::json;

// Parses `text` as JSON; a syntax error names `origin` (a file path) and the byte offset.
Json parse_json(const std::string& text, const std::string& origin);

// Reads and parses the JSON file at `path`.
Json read_json_file(const std::string& path);

// Name of a JSON value's type as a user would say it ("string", "number", "object", ...).
const char* json_type_name(const Json& value);

}  // namespace aha
