// Random test inputs: normal(0, scale) values from a seeded std::mt19937.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace aha::test {

inline std::vector<float> random_vector(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

}  // namespace aha::test
