#include "aha/dist/gather_json.hpp"

#include <cstdint>

namespace aha::dist {

std::vector<Json> gather_json(Communicator& comm, const Json& mine) {
  const std::vector<uint8_t> bytes = Json::to_cbor(mine);
  std::vector<Json> all;
  for (const std::vector<std::byte>& theirs : comm.all_gather(std::as_bytes(std::span(bytes)))) {
    const auto* data = reinterpret_cast<const uint8_t*>(theirs.data());
    all.push_back(Json::from_cbor(data, data + theirs.size()));
  }
  return all;
}

}  // namespace aha::dist
