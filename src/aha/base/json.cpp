#include "aha/base/json.hpp"

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"

namespace aha {

namespace {

// The 1-based byte at which `text` first nests deeper than `max_depth`, or 0 when it never does.
size_t byte_too_deep(std::string_view text, int max_depth) {
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
      if (++depth > max_depth) return i + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return 0;
}

// The parsed document, or nullopt with the reason in `why`.
template <typename J>
std::optional<J> parse_limited(std::string_view text, int max_depth, std::string& why) {
  if (const size_t byte = byte_too_deep(text, max_depth)) {
    why = fmt::format("JSON nested deeper than {} levels (byte {})", max_depth, byte);
    return std::nullopt;
  }
  try {
    return J::parse(text);
  } catch (const typename J::parse_error& e) {
    why = fmt::format("not valid JSON (byte {})", e.byte);
  } catch (const typename J::exception&) {
    why = "not valid JSON (a number out of range)";  // nlohmann's out_of_range.406
  }
  return std::nullopt;
}

}  // namespace

bool json_too_deep(std::string_view text) { return byte_too_deep(text, kMaxJsonDepth) != 0; }

Json parse_json(std::string_view text, const std::string& origin) {
  std::string why;
  std::optional<Json> value = parse_limited<Json>(text, kMaxJsonDepth, why);
  if (!value) fail("{}: {}", origin, why);
  return std::move(*value);
}

OrderedJson parse_ordered_json(std::string_view text, const std::string& origin, int max_depth) {
  std::string why;
  std::optional<OrderedJson> value = parse_limited<OrderedJson>(text, max_depth, why);
  if (!value) fail("{}: {}", origin, why);
  return std::move(*value);
}

std::optional<Json> try_parse_json(std::string_view text, std::string* why) {
  std::string reason;
  std::optional<Json> value = parse_limited<Json>(text, kMaxJsonDepth, reason);
  if (!value && why) *why = std::move(reason);
  return value;
}

Json read_json_file(const std::string& path) { return parse_json(read_file(path), path); }

OrderedJson read_ordered_json_file(const std::string& path) { return parse_ordered_json(read_file(path), path); }

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
