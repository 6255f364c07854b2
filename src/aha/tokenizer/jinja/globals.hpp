// The global functions of transformers' template environment: range, dict, namespace,
// raise_exception, strftime_now.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "aha/tokenizer/jinja/budget.hpp"
#include "aha/tokenizer/jinja/objects.hpp"
#include "aha/tokenizer/jinja/value.hpp"

namespace aha::tokenizer::jinja {

// The globals, by name. Every namespace() the template creates is passed to `created` so that
// the renderer can clear it afterwards (namespaces are the only way to build reference cycles).
std::unordered_map<std::string, Value> make_globals(Budget& budget,
                                                    std::function<void(std::shared_ptr<Namespace>)> created);

}  // namespace aha::tokenizer::jinja
