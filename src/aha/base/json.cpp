#include "aha/base/json.hpp"

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"

namespace aha {

Json parse_json(const std::string& text, const std::string& origin) {
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
