// Reading tokenizer.json: a JSON value together with the place it was read from, so that every
// error names the file and the field ("tokenizer.json: model.merges[3]: expected a string").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aha/base/json.hpp"

namespace aha::tokenizer {

class JsonAt {
 public:
  // Wraps `value`, found at `path` (a field path such as "model.vocab") inside `origin` (a file).
  JsonAt(const Json& value, std::string origin, std::string path);

  // The wrapped value.
  const Json& value() const { return *value_; }
  // "origin: path", the prefix of every error message about this value.
  std::string where() const;
  // The member `key` of this object; fails when this is not an object or the member is missing.
  JsonAt operator[](std::string_view key) const;
  // Element `index` of this array; fails when out of range.
  JsonAt operator[](size_t index) const;
  // True when this is an object holding `key` with a non-null value.
  bool has(std::string_view key) const;
  // Number of elements of this array (fails for other types).
  size_t size() const;

  // This value as a string; fails for other types.
  const std::string& str() const;
  // This value as a boolean; fails for other types.
  bool boolean() const;
  // This value as an integer in [lo, hi]; fails for other types or values out of range.
  int64_t integer(int64_t lo = INT64_MIN, int64_t hi = INT64_MAX) const;
  // Fails unless this is an object.
  const Json::object_t& object() const;
  // Fails unless this is an array.
  const Json::array_t& array() const;

  // Member `key` as a string, or `fallback` when absent or null.
  std::string str_or(std::string_view key, const std::string& fallback) const;
  // Member `key` as a boolean, or `fallback` when absent or null.
  bool bool_or(std::string_view key, bool fallback) const;
  // Member `key` as an integer, or `fallback` when absent or null.
  int64_t int_or(std::string_view key, int64_t fallback) const;

  // Throws a bad-input Error "origin: path: what".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  [[noreturn]] void fail_type(const char* expected) const;
  const Json* value_;
  std::string origin_;
  std::string path_;
};

}  // namespace aha::tokenizer
