// The Python objects templates meet besides plain data: namespace(), the loop variable, and the
// one-pass iterators that filters such as map and select return.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aha/jinja/value.hpp"

namespace aha::jinja {

// Jinja's namespace(): the one object a template may change (`{% set ns.x = 1 %}`).
class Namespace : public Object {
 public:
  const char* type_name() const override { return "Namespace"; }
  std::optional<Value> attribute(const std::string& name) override;
  // Sets the attribute `name`.
  void set(const std::string& name, Value value);
  // Drops every attribute, breaking reference cycles through this namespace.
  void clear() { attributes_.clear(); }

 private:
  std::vector<std::pair<std::string, Value>> attributes_;
};

// The `loop` variable of a for loop: index, first, last, cycle(), changed() and the rest.
class LoopContext : public Object, public std::enable_shared_from_this<LoopContext> {
 public:
  explicit LoopContext(std::vector<Value> items) : items_(std::move(items)) {}
  const char* type_name() const override { return "LoopContext"; }
  std::optional<Value> attribute(const std::string& name) override;
  bool truthy() const override { return !items_.empty(); }
  // Moves to item `index0`.
  void set_index(size_t index0) { index0_ = index0; }

 private:
  std::vector<Value> items_;
  size_t index0_ = 0;
  std::optional<std::vector<Value>> last_changed_;
};

// A Python iterator (a generator, a reversed list): items can be taken from it once.
class Iterator : public Object {
 public:
  Iterator(const char* type, std::vector<Value> items) : type_(type), items_(std::move(items)) {}
  const char* type_name() const override { return type_; }
  std::optional<Value> attribute(const std::string&) override { return std::nullopt; }
  // Takes every remaining item.
  std::vector<Value> drain();
  // Takes the next item, or nullopt when none is left.
  std::optional<Value> take();

 private:
  const char* type_;
  std::vector<Value> items_;
  size_t next_ = 0;
};

// A one-pass iterator over `items`, as a value.
Value make_iterator(const char* type, std::vector<Value> items);

}  // namespace aha::jinja
