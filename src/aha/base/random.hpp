// Seeded random streams derived from (seed, purpose, index), so that any stream can be recreated
// on resume without saving generator state. SplitMix64 (Steele, Lea, Flood 2014).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace aha {

class RandomStream {
 public:
  // The stream for `seed`, a `purpose` name ("shuffle", "init", ...) and an `index` (an epoch, ...).
  RandomStream(uint64_t seed, std::string_view purpose, uint64_t index = 0);

  // The next 64 random bits.
  uint64_t next_u64();
  // A uniform integer in [0, n); n > 0.
  uint64_t below(uint64_t n);
  // A uniform double in [0, 1).
  double uniform();
  // A standard normal sample (Box-Muller, no cached second value).
  double normal();

 private:
  uint64_t state_;
};

// A permutation of 0 .. n-1 (Fisher-Yates) drawn from `stream`.
std::vector<int64_t> permutation(int64_t n, RandomStream& stream);

}  // namespace aha
