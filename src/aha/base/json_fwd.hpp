// The JSON type's declaration only, for headers that pass JSON by reference or declare functions
// taking or returning it; a source that builds, reads or copies JSON includes aha/base/json.hpp.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace aha {

using Json = nlohmann::json;

}  // namespace aha
