// Every rank's JSON value, in rank order: how the data-parallel commands gather what each rank
// sampled and scored. CBOR carries it, so every double keeps its bits (NaN rewards included).
#pragma once

#include <vector>

#include "aha/base/json.hpp"
#include "aha/dist/communicator.hpp"

namespace aha::dist {

std::vector<Json> gather_json(Communicator& comm, const Json& mine);

}  // namespace aha::dist
