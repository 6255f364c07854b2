// Hash maps keyed by std::string that can be searched with a std::string_view.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace aha::tokenizer {

struct StringHash {
  using is_transparent = void;
  // std::hash of the bytes, for std::string and std::string_view alike.
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The largest token id aha accepts (far above any real vocabulary; it bounds the memory a
// malformed tokenizer.json can make aha allocate).
constexpr int64_t kMaxTokenId = (1 << 24) - 1;

// Token text -> id.
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

}  // namespace aha::tokenizer
