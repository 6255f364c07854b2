#include "aha/jinja/objects.hpp"

#include <algorithm>

#include "aha/base/error.hpp"

namespace aha::jinja {

std::optional<Value> Namespace::attribute(const std::string& name) {
  for (const auto& [key, value] : attributes_)
    if (key == name) return value;
  return std::nullopt;
}

void Namespace::set(const std::string& name, Value value) {
  for (auto& [key, existing] : attributes_)
    if (key == name) {
      existing = std::move(value);
      return;
    }
  attributes_.emplace_back(name, std::move(value));
}

std::optional<Value> LoopContext::attribute(const std::string& name) {
  const auto length = static_cast<int64_t>(items_.size());
  const auto i = static_cast<int64_t>(index0_);
  if (name == "index") return Value::from_int(i + 1);
  if (name == "index0") return Value::from_int(i);
  if (name == "revindex") return Value::from_int(length - i);
  if (name == "revindex0") return Value::from_int(length - i - 1);
  if (name == "first") return Value::from_bool(i == 0);
  if (name == "last") return Value::from_bool(i == length - 1);
  if (name == "length") return Value::from_int(length);
  if (name == "depth") return Value::from_int(1);
  if (name == "depth0") return Value::from_int(0);
  if (name == "previtem") return i > 0 ? items_[index0_ - 1] : Value::undefined("there is no previous item");
  if (name == "nextitem") return i + 1 < length ? items_[index0_ + 1] : Value::undefined("there is no next item");
  if (name == "cycle")
    return Value::make_function("loop.cycle", [self = shared_from_this()](Arguments& args) {
      if (!args.keywords.empty()) fail("loop.cycle() takes no keyword arguments");
      if (args.positional.empty()) fail("loop.cycle(): no items for cycling given");
      return args.positional[self->index0_ % args.positional.size()];
    });
  if (name == "changed")
    return Value::make_function("loop.changed", [self = shared_from_this()](Arguments& args) {
      if (!args.keywords.empty()) fail("loop.changed() takes no keyword arguments");
      const auto& last = self->last_changed_;
      const bool same = last && last->size() == args.positional.size() &&
                        std::equal(args.positional.begin(), args.positional.end(), last->begin(), equals);
      if (same) return Value::from_bool(false);
      self->last_changed_ = args.positional;
      return Value::from_bool(true);
    });
  return std::nullopt;
}

std::vector<Value> Iterator::drain() {
  std::vector<Value> rest(items_.begin() + static_cast<std::ptrdiff_t>(next_), items_.end());
  next_ = items_.size();
  return rest;
}

std::optional<Value> Iterator::take() {
  if (next_ >= items_.size()) return std::nullopt;
  return items_[next_++];
}

Value make_iterator(const char* type, std::vector<Value> items) {
  return Value::make_object(std::make_shared<Iterator>(type, std::move(items)));
}

}  // namespace aha::jinja
