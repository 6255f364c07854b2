// YAML documents read as JSON values, for configs and dataset declarations.
#pragma once

#include <string>

#include "aha/base/json_fwd.hpp"

namespace aha {

// Parses a YAML document into JSON (scalars become numbers, booleans or null where YAML 1.2's
// core schema says so, else strings); errors name `origin` and the line.
Json yaml_to_json(const std::string& text, const std::string& origin);

}  // namespace aha
