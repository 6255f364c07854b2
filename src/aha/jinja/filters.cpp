#include "aha/jinja/filters.hpp"

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/jinja/parser.hpp"

namespace aha::jinja {
namespace {

// Jinja2 3.1's built-in filters; transformers replaces tojson with its own.
constexpr const char* kKnownFilters[] = {
    "abs",    "attr",       "batch",       "capitalize", "center",   "count",
    "d",      "default",    "dictsort",    "e",          "escape",   "filesizeformat",
    "first",  "float",      "forceescape", "format",     "groupby",  "indent",
    "int",    "items",      "join",        "last",       "length",   "list",
    "lower",  "map",        "max",         "min",        "pprint",   "random",
    "reject", "rejectattr", "replace",     "reverse",    "round",    "safe",
    "select", "selectattr", "slice",       "sort",       "string",   "striptags",
    "sum",    "title",      "tojson",      "trim",       "truncate", "unique",
    "upper",  "urlencode",  "urlize",      "wordcount",  "wordwrap", "xmlattr"};

}  // namespace

bool is_known_filter(const std::string& name) {
  return std::any_of(std::begin(kKnownFilters), std::end(kKnownFilters), [&](const char* n) { return name == n; });
}

Value apply_filter(const std::string& name, const Value& operand, const Arguments& args, Budget& budget) {
  if (auto result = apply_text_filter(name, operand, args, budget)) return *result;
  if (auto result = apply_sequence_filter(name, operand, args, budget)) return *result;
  fail("the filter '{}' is not supported", name);
}

}  // namespace aha::jinja
