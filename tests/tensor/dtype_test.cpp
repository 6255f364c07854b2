#include "aha/tensor/dtype.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace aha::tensor {
namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(DType, half_precision_known_values) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);                          // rounds to infinity
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);             // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -26)), 0x0000);             // below half of it
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie to even (down)
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie to even (up)
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(NAN))));
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0xfc00), -INFINITY);
}

TEST(DType, every_half_value_round_trips_through_f32) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t b = static_cast<uint16_t>(h);
    const float f = f16_to_f32(b);
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_f16(f), b) << std::hex << h;
  }
}

TEST(DType, bfloat16_known_values_and_rounding) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(0xc040), -3.0f);
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);      // tie to even (down)
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie to even (up)
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16_to_f32(static_cast<uint16_t>(h));
    if (!std::isnan(f)) {
      ASSERT_EQ(f32_to_bf16(f), h);
    }
    ASSERT_EQ(bits(f), h << 16);
  }
}

// The nearest bf16 to a finite float, ties to the even one, found in double arithmetic from the
// two bf16 values around it (the one it truncates to and the next one away from zero).
uint16_t nearest_bf16(float f) {
  const uint32_t down = bits(f) >> 16;
  const uint32_t up = down + 1;  // past the largest finite value this is infinity's bits
  const double d = std::fabs(static_cast<double>(f));
  const double low = std::fabs(static_cast<double>(bf16_to_f32(static_cast<uint16_t>(down))));
  const double high = (up & 0x7fff) == 0x7f80 ? std::ldexp(1.0, 128)
                                              : std::fabs(static_cast<double>(bf16_to_f32(static_cast<uint16_t>(up))));
  if (d - low < high - d) return static_cast<uint16_t>(down);
  if (d - low > high - d) return static_cast<uint16_t>(up);
  return static_cast<uint16_t>((down & 1) == 0 ? down : up);
}

TEST(DType, bfloat16_rounds_every_sampled_float_to_the_nearest_even) {
  uint64_t state = 0x9e3779b97f4a7c15u;  // splitmix64: every exponent, sign and low-bit pattern
  for (int i = 0; i < 2000000; ++i) {
    uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    const auto u = static_cast<uint32_t>(z ^ (z >> 31));
    float f;
    std::memcpy(&f, &u, 4);
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(f)))) << std::hex << u;
      continue;
    }
    ASSERT_EQ(f32_to_bf16(f), nearest_bf16(f)) << std::hex << u;
  }
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds to infinity
  EXPECT_EQ(f32_to_bf16(-INFINITY), 0xff80);
  EXPECT_EQ(f32_to_bf16(std::ldexp(1.0f, -149)), 0x0000);  // the smallest subnormal: below half of bf16's
}

TEST(DType, names_round_trip_and_unknown_is_rejected) {
  for (DType d : {DType::F32, DType::BF16, DType::F16, DType::I64, DType::F8_E4M3})
    EXPECT_EQ(dtype_from_name(dtype_name(d)), d);
  EXPECT_FALSE(dtype_from_name("F17").has_value());
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
}

}  // namespace
}  // namespace aha::tensor
