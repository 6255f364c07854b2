// Jinja's filters (`value | name(args)`) as transformers' environment has them, tojson included.
#pragma once

#include <optional>
#include <string>

#include "aha/jinja/budget.hpp"
#include "aha/jinja/value.hpp"

namespace aha::jinja {

// Applies the filter `name` to `operand`; throws for filters aha does not implement and for bad arguments.
Value apply_filter(const std::string& name, const Value& operand, const Arguments& args, Budget& budget);

// Filters on text and numbers (filters_text.cpp); nullopt when `name` is not one of them.
std::optional<Value> apply_text_filter(const std::string& name, const Value& operand, const Arguments& args,
                                       Budget& budget);

// Filters on sequences and mappings (filters_sequence.cpp); nullopt when `name` is not one of them.
std::optional<Value> apply_sequence_filter(const std::string& name, const Value& operand, const Arguments& args,
                                           Budget& budget);

}  // namespace aha::jinja
