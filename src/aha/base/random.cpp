#include "aha/base/random.hpp"

#include <cmath>
#include <numbers>
#include <numeric>

namespace aha {
namespace {

uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a of the purpose name, so different purposes give unrelated streams.
uint64_t hash_name(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return h;
}

}  // namespace

RandomStream::RandomStream(uint64_t seed, std::string_view purpose, uint64_t index)
    : state_(mix(mix(seed) ^ hash_name(purpose)) ^ mix(index + 0x9e3779b97f4a7c15ULL)) {}

uint64_t RandomStream::next_u64() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

uint64_t RandomStream::below(uint64_t n) {
  // Rejection sampling removes the modulo bias.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return x % n;
}

double RandomStream::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double RandomStream::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::vector<int64_t> permutation(int64_t n, RandomStream& stream) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[static_cast<size_t>(i)], order[stream.below(static_cast<uint64_t>(i) + 1)]);
  return order;
}

}  // namespace aha
