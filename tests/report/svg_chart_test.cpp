// The SVG chart writer against hand-computed axes and pixel coordinates.
#include "apps/report/svg_chart.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace aha::report {
namespace {

void expect_ticks(const Axis& a, const std::vector<double>& expected) {
  ASSERT_EQ(a.ticks.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_DOUBLE_EQ(a.ticks[i], expected[i]) << i;
  EXPECT_DOUBLE_EQ(a.lo, expected.front());
  EXPECT_DOUBLE_EQ(a.hi, expected.back());
}

TEST(SvgAxis, nice_ticks_use_steps_of_one_two_or_five_and_widen_the_domain_to_whole_steps) {
  // (0.87 - 0.13) / 5 = 0.148 -> 1.48 x 10^-1, nearest of 1, 2, 5, 10 (split at sqrt 2, sqrt 10,
  // sqrt 50) is 2: step 0.2, domain [0, 1].
  Axis a = nice_axis(0.13, 0.87, 5);
  EXPECT_DOUBLE_EQ(a.step, 0.2);
  expect_ticks(a, {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  // 100 / 5 = 20: step 20 from -20 to 100.
  expect_ticks(nice_axis(-3, 97, 5), {-20, 0, 20, 40, 60, 80, 100});
  // A learning rate: 3.5e-4 / 5 = 7e-5 -> 5e-5.
  a = nice_axis(0, 3.5e-4, 5);
  EXPECT_DOUBLE_EQ(a.step, 5e-5);
  expect_ticks(a, {0, 5e-5, 1e-4, 1.5e-4, 2e-4, 2.5e-4, 3e-4, 3.5e-4});
}

TEST(SvgAxis, steps_axis_never_has_fractional_ticks_and_a_single_value_is_widened) {
  // Steps 1..3 would get 0.5 (2 / 6 = 0.33 -> 0.5); min_step 1 raises it to 1.
  expect_ticks(nice_axis(1, 3, 6, 1), {1, 2, 3});
  expect_ticks(nice_axis(5, 5, 6, 1), {4, 5, 6});           // widened by 1 each side
  expect_ticks(nice_axis(0, 0, 5), {-1, -0.5, 0, 0.5, 1});  // 0 widened by 1; 2 / 5 = 0.4 -> 0.5
  Axis a = nice_axis(0.3, 0.3, 5);                          // widened by 0.03: [0.27, 0.33], 0.012 -> 0.01
  EXPECT_DOUBLE_EQ(a.step, 0.01);
  expect_ticks(a, {0.27, 0.28, 0.29, 0.30, 0.31, 0.32, 0.33});
  // Clamped to [-1e300, 1e300] so that the width stays finite: 2e300 / 5 = 4e299 -> 5e299.
  a = nice_axis(-1e308, 1e308, 5);
  EXPECT_DOUBLE_EQ(a.step, 5e299);
  EXPECT_DOUBLE_EQ(a.lo, -1e300);
  EXPECT_DOUBLE_EQ(a.hi, 1e300);
  a = nice_axis(1e308, 1e308, 5);  // both clamped to 1e300, then widened by 1e299 either side
  EXPECT_DOUBLE_EQ(a.lo, 9e299);
  EXPECT_DOUBLE_EQ(a.hi, 1.1e300);
  expect_ticks(nice_axis(3, 1, 2), {1, 2, 3});  // reversed bounds are swapped
  // 1e15 and its next double differ by 0.125, under 1e-12 x 1e15: widened by 1e14 either side.
  a = nice_axis(1e15, std::nextafter(1e15, 2e15), 5);
  EXPECT_DOUBLE_EQ(a.lo, 9e14);
  EXPECT_DOUBLE_EQ(a.hi, 1.1e15);
  EXPECT_EQ(a.ticks.size(), 5u);  // 2e14 / 5 = 4e13 -> step 5e13
}

TEST(SvgAxis, tick_labels_are_short) {
  EXPECT_EQ(tick_label(0.6000000000000001), "0.6");
  EXPECT_EQ(tick_label(1e-5), "1e-05");
  EXPECT_EQ(tick_label(-0.0), "0");
  EXPECT_EQ(tick_label(250000), "250000");
  EXPECT_EQ(tick_label(1.5e-4), "0.00015");
}

TEST(SvgChart, points_land_where_the_scales_put_them) {
  Chart c;
  c.id = c.title = "reward";
  c.series.push_back({"grpo", "#1f77b4", {{1, 0.13}, {2, 0.5}, {3, 0.87}}});
  // Plot area: x from 64 to 440 - 16 = 424, y from 260 - 62 = 198 (bottom) to 32 (top).
  // x domain [1, 3]: 1 -> 64, 2 -> 244, 3 -> 424. y domain [0, 1]: 0.13 -> 198 - 0.13 x 166 = 176.42.
  const ChartScales s = chart_scales(c);
  EXPECT_DOUBLE_EQ(s.x(2), 244);
  EXPECT_DOUBLE_EQ(s.y(0.5), 115);
  const std::string svg = line_chart_svg(c);
  EXPECT_NE(svg.find("points=\"64.00,176.42 244.00,115.00 424.00,53.58\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("stroke=\"#1f77b4\""), std::string::npos);
  // y tick 0.6 at 198 - 0.6 x 166 = 98.4, labelled at x = 64 - 6.
  EXPECT_NE(svg.find("<text x=\"58.00\" y=\"98.40\" dy=\"0.32em\" text-anchor=\"end\">0.6</text>"), std::string::npos);
  // x tick 2 at 244, labelled 16 px under the axis.
  EXPECT_NE(svg.find("<text x=\"244.00\" y=\"214.00\" text-anchor=\"middle\">2</text>"), std::string::npos);
  EXPECT_EQ(svg.rfind("<svg class=\"chart\" data-metric=\"reward\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
}

TEST(SvgChart, non_finite_values_leave_gaps_and_a_lone_point_is_a_dot) {
  Chart c;
  c.id = c.title = "loss";
  c.series.push_back({"sft", "#d62728", {{1, 1}, {2, NAN}, {3, 3}, {4, INFINITY}, {5, 4}, {6, 5}}});
  // x [1, 6]: 5 / 6 -> 1 (min_step), 360 / 5 = 72 px per step. y [1, 5]: 4 / 5 = 0.8 -> 1, 166 / 4 =
  // 41.5 px per unit.
  const std::string svg = line_chart_svg(c);
  EXPECT_NE(svg.find("<circle cx=\"64.00\" cy=\"198.00\" r=\"3\""), std::string::npos) << svg;   // (1, 1)
  EXPECT_NE(svg.find("<circle cx=\"208.00\" cy=\"115.00\" r=\"3\""), std::string::npos) << svg;  // (3, 3)
  EXPECT_NE(svg.find("points=\"352.00,73.50 424.00,32.00\""), std::string::npos) << svg;         // (5, 4) (6, 5)
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(SvgChart, a_single_point_series_and_an_empty_chart_draw_valid_svg) {
  Chart one;
  one.id = one.title = "kl";
  one.series.push_back({"grpo", "#2ca02c", {{5, 0.3}}});
  // x [4, 6] -> 5 at the middle (244); y [0.27, 0.33] -> 0.3 at the middle (115).
  EXPECT_NE(line_chart_svg(one).find("<circle cx=\"244.00\" cy=\"115.00\" r=\"3\""), std::string::npos);
  Chart none;
  none.id = none.title = "entropy";
  none.series.push_back({"grpo", "#2ca02c", {{1, NAN}, {2, NAN}}});
  const std::string svg = line_chart_svg(none);
  EXPECT_EQ(svg.find("polyline"), std::string::npos);
  EXPECT_EQ(svg.find("circle"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

}  // namespace
}  // namespace aha::report
