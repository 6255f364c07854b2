// JSON in and out of the interpreter: input documents become values; `tojson` is Python's
// json.dumps as transformers calls it (ensure_ascii=False, keys in insertion order).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "aha/jinja/value.hpp"

namespace aha::jinja {

// The value Python's json.loads would give for `json` (objects keep their key order).
Value from_json(const nlohmann::ordered_json& json);

// Options of json.dumps that templates pass to tojson.
struct JsonStyle {
  std::optional<std::string> indent;  // the text of one indent level; nullopt: a single line
  std::string item_separator = ", ";  // json.dumps' default: "," when indenting
  std::string key_separator = ": ";
  bool ensure_ascii = false;
  bool sort_keys = false;
};

// json.dumps(value, ...) under `style`; throws for values JSON cannot hold (Undefined, objects).
std::string to_json(const Value& value, const JsonStyle& style);

}  // namespace aha::jinja
