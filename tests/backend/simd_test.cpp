// simd::sum folds the 16 lanes pairwise in its documented order (8+8, 4+4, 2+2, 1+1): checked
// bit for bit against that order written out here, on values where other orders differ.
#include "aha/backend/cpu/simd.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "support/random.hpp"

namespace aha::backend::cpu {
namespace {

float folded(std::vector<float> lanes) {
  for (size_t width = 8; width > 0; width /= 2)
    for (size_t l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  return lanes[0];
}

float sequential(const std::vector<float>& lanes) {
  float s = 0;
  for (float x : lanes) s += x;
  return s;
}

TEST(Simd, sum_folds_the_lanes_in_its_documented_order) {
  int orders_differ = 0;
  for (unsigned seed = 0; seed < 200; ++seed) {
    std::vector<float> lanes = test::random_vector(16, seed, 1e3f);
    lanes[seed % 16] *= 1e6f;  // one large lane makes rounding depend on the order
    const float got = simd::sum(simd::load(lanes.data()));
    const float want = folded(lanes);
    EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << seed << ": " << got << " vs " << want;
    orders_differ += sequential(lanes) != want;
  }
  EXPECT_GT(orders_differ, 20);  // the inputs do tell the orders apart
}

}  // namespace
}  // namespace aha::backend::cpu
