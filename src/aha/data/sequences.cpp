#include "aha/data/sequences.hpp"

#include <algorithm>

namespace aha::data {

std::vector<Sequence> pack_sequences(const std::vector<Sequence>& sequences, int64_t max_length) {
  Sequence stream;
  for (const Sequence& s : sequences) {
    stream.tokens.insert(stream.tokens.end(), s.tokens.begin(), s.tokens.end());
    stream.labels.insert(stream.labels.end(), s.labels.begin(), s.labels.end());
  }
  const size_t n = stream.tokens.size(), len = static_cast<size_t>(max_length);
  std::vector<Sequence> blocks;
  if (n < len) {
    if (n >= 2) blocks.push_back(std::move(stream));
    return blocks;
  }
  for (size_t begin = 0; begin + len <= n; begin += len) {
    Sequence b;
    b.tokens.assign(stream.tokens.begin() + begin, stream.tokens.begin() + begin + len);
    b.labels.assign(stream.labels.begin() + begin, stream.labels.begin() + begin + len);
    blocks.push_back(std::move(b));
  }
  return blocks;
}

int64_t count_target_tokens(const std::vector<Sequence>& sequences) {
  int64_t n = 0;
  for (const Sequence& s : sequences)
    n += std::count(s.labels.begin() + std::min<size_t>(1, s.labels.size()), s.labels.end(), 1);
  return n;
}

}  // namespace aha::data
