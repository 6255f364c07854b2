#include "aha/tokenizer/json_at.hpp"

#include "aha/base/error.hpp"

namespace aha::tokenizer {

JsonAt::JsonAt(const Json& value, std::string origin, std::string path)
    : value_(&value), origin_(std::move(origin)), path_(std::move(path)) {}

std::string JsonAt::where() const { return path_.empty() ? origin_ : origin_ + ": " + path_; }

void JsonAt::fail(const std::string& what) const { aha::fail("{}: {}", where(), what); }

void JsonAt::fail_type(const char* expected) const {
  fail(fmt::format("expected {}, found {}", expected, json_type_name(*value_)));
}

JsonAt JsonAt::operator[](std::string_view key) const {
  object();
  auto it = value_->find(key);
  std::string path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (it == value_->end()) aha::fail("{}: {}: missing field", origin_, path);
  return JsonAt(*it, origin_, std::move(path));
}

JsonAt JsonAt::operator[](size_t index) const {
  const auto& items = array();
  if (index >= items.size()) fail(fmt::format("index {} out of range", index));
  return JsonAt(items[index], origin_, fmt::format("{}[{}]", path_, index));
}

bool JsonAt::has(std::string_view key) const {
  if (!value_->is_object()) return false;
  auto it = value_->find(key);
  return it != value_->end() && !it->is_null();
}

size_t JsonAt::size() const { return array().size(); }

const std::string& JsonAt::str() const {
  if (!value_->is_string()) fail_type("a string");
  return value_->get_ref<const std::string&>();
}

bool JsonAt::boolean() const {
  if (!value_->is_boolean()) fail_type("true or false");
  return value_->get<bool>();
}

int64_t JsonAt::integer(int64_t lo, int64_t hi) const {
  int64_t v = 0;
  if (value_->is_number_unsigned()) {
    const uint64_t u = value_->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) fail(fmt::format("{} is out of range", u));
    v = static_cast<int64_t>(u);
  } else if (value_->is_number_integer()) {
    v = value_->get<int64_t>();
  } else {
    fail_type("an integer");
  }
  if (v < lo || v > hi) fail(fmt::format("{} is out of range [{}, {}]", v, lo, hi));
  return v;
}

const Json::object_t& JsonAt::object() const {
  if (!value_->is_object()) fail_type("an object");
  return value_->get_ref<const Json::object_t&>();
}

const Json::array_t& JsonAt::array() const {
  if (!value_->is_array()) fail_type("an array");
  return value_->get_ref<const Json::array_t&>();
}

std::string JsonAt::str_or(std::string_view key, const std::string& fallback) const {
  return has(key) ? (*this)[key].str() : fallback;
}

bool JsonAt::bool_or(std::string_view key, bool fallback) const { return has(key) ? (*this)[key].boolean() : fallback; }

int64_t JsonAt::int_or(std::string_view key, int64_t fallback) const {
  return has(key) ? (*this)[key].integer() : fallback;
}

}  // namespace aha::tokenizer
