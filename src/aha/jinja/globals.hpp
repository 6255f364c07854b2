// The global functions of transformers' template environment: range, dict, namespace,
// raise_exception, strftime_now.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "aha/jinja/budget.hpp"
#include "aha/jinja/objects.hpp"
#include "aha/jinja/value.hpp"

namespace aha::jinja {

// The globals, by name. Every namespace() the template creates is passed to `created` so that
// the renderer can clear it afterwards (namespaces are the only way to build reference cycles).
std::unordered_map<std::string, Value> make_globals(Budget& budget,
                                                    std::function<void(std::shared_ptr<Namespace>)> created);

}  // namespace aha::jinja
