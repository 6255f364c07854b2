#include "aha/base/json.hpp"

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"

namespace aha {

bool json_too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character, a quote included
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

Json parse_json(const std::string& text, const std::string& origin) {
  if (json_too_deep(text)) fail("{}: JSON nested deeper than {} levels", origin, kMaxJsonDepth);
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    fail("{}: not valid JSON (byte {})", origin, e.byte);
  } catch (const Json::exception&) {
    fail("{}: not valid JSON (a number out of range)", origin);  // nlohmann's out_of_range.406
  }
}

Json read_json_file(const std::string& path) { return parse_json(read_file(path), path); }

const char* json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::string: return "string";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::binary: return "binary";
    case Json::value_t::discarded: return "discarded";
    default: return "number";
  }
}

}  // namespace aha
