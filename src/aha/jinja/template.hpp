// A parsed Jinja template: the interpreter's entry point.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aha/jinja/ast.hpp"
#include "aha/jinja/budget.hpp"
#include "aha/jinja/value.hpp"

namespace aha::jinja {

class Template {
 public:
  // Parses `source` as Jinja2 does under transformers' settings; `name` (a file path) starts every
  // error message. Throws for syntax errors and for features aha does not support.
  Template(std::string_view source, std::string name);

  // Renders with `variables` bound; throws naming the template line of the first error.
  std::string render(const std::unordered_map<std::string, Value>& variables, const Limits& limits = {}) const;

  // The name given at construction.
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<Stmt> program_;
};

}  // namespace aha::jinja
