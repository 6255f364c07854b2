#include "aha/jinja/json_value.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "aha/base/error.hpp"
#include "aha/jinja/python_text.hpp"
#include "aha/jinja/utf8.hpp"

namespace aha::jinja {
namespace {

Value from_json_at(const nlohmann::ordered_json& json, int depth) {
  if (depth > kMaxValueDepth) fail("JSON nests more than {} arrays or objects deep", kMaxValueDepth);
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::none();
    case nlohmann::ordered_json::value_t::boolean: return Value::from_bool(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value::from_int(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const auto u = json.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail("JSON integer {} is too large (aha's integers are 64-bit)", u);
      return Value::from_int(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float: return Value::from_double(json.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value::from_string(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(from_json_at(item, depth + 1));
      return Value::make_list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict dict;
      for (const auto& [key, item] : json.items()) dict.set(Value::from_string(key), from_json_at(item, depth + 1));
      return Value::make_dict(std::move(dict));
    }
    default: fail("unsupported JSON value of type {}", json.type_name());
  }
}

void append_json_string(std::string& out, const std::string& text, bool ensure_ascii) {
  out += '"';
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = next_code_point(text, pos);
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (cp < 0x20 || (ensure_ascii && cp > 0x7E)) {
          if (cp > 0xFFFF) {
            const char32_t v = cp - 0x10000;
            out += fmt::format("\\u{:04x}\\u{:04x}", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
          } else {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
          }
        } else {
          append_utf8(out, cp);
        }
    }
  }
  out += '"';
}

std::string json_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return float_repr(d);
}

// The text json.dumps gives a dict key: strings as they are, scalars converted, others refused.
std::string json_key(const Value& key) {
  switch (key.kind()) {
    case Kind::string: return key.as_string();
    case Kind::boolean: return key.as_bool() ? "true" : "false";
    case Kind::none: return "null";
    case Kind::integer: return std::to_string(key.as_int());
    case Kind::floating: return json_float(key.as_double());
    default: fail("tojson: keys must be str, int, float, bool or None, not {}", key.type_name());
  }
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonStyle& style) : style_(style) {}
  std::string out;

  void write(const Value& value, int level) {
    switch (value.kind()) {
      case Kind::none: out += "null"; return;
      case Kind::boolean: out += value.as_bool() ? "true" : "false"; return;
      case Kind::integer: out += std::to_string(value.as_int()); return;
      case Kind::floating: out += json_float(value.as_double()); return;
      case Kind::string: append_json_string(out, value.as_string(), style_.ensure_ascii); return;
      case Kind::list:
      case Kind::tuple: write_list(value.items(), level); return;
      case Kind::dict: write_dict(value.as_dict(), level); return;
      default: fail("tojson: object of type {} is not JSON serializable", value.type_name());
    }
  }

 private:
  void newline(int level) {
    if (!style_.indent) return;
    out += '\n';
    for (int i = 0; i < level; ++i) out += *style_.indent;
  }

  void write_list(const std::vector<Value>& items, int level) {
    if (items.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += style_.item_separator;
      newline(level + 1);
      write(items[i], level + 1);
    }
    newline(level);
    out += ']';
  }

  void write_dict(const Dict& dict, int level) {
    if (dict.size() == 0) {
      out += "{}";
      return;
    }
    std::vector<std::pair<std::string, const Value*>> entries;
    for (const auto& [key, value] : dict.entries()) entries.emplace_back(json_key(key), &value);
    if (style_.sort_keys)
      std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    out += '{';
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) out += style_.item_separator;
      newline(level + 1);
      append_json_string(out, entries[i].first, style_.ensure_ascii);
      out += style_.key_separator;
      write(*entries[i].second, level + 1);
    }
    newline(level);
    out += '}';
  }

  const JsonStyle& style_;
};

}  // namespace

Value from_json(const nlohmann::ordered_json& json) { return from_json_at(json, 0); }

std::string to_json(const Value& value, const JsonStyle& style) {
  JsonWriter writer(style);
  writer.write(value, 0);
  return std::move(writer.out);
}

}  // namespace aha::jinja
