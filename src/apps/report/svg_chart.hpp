// Line charts as plain SVG: linear scales, "nice" axis ticks (steps of 1, 2 or 5 x 10^k), one
// polyline per series; non-finite values leave gaps, and a lone point is drawn as a dot.
#pragma once

#include <string>
#include <vector>

namespace aha::report {

// A linear map from the data interval [d0, d1] onto the pixel interval [r0, r1].
struct LinearScale {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  // The pixel coordinate of data value `v`.
  double operator()(double v) const { return r0 + (v - d0) * (r1 - r0) / (d1 - d0); }
};

// An axis: its domain widened to whole tick steps, the step and the tick values.
struct Axis {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> ticks;
};

// The axis for data in [lo, hi] with about `count` intervals (d3's tick rule: the step is 1, 2,
// 5 or 10 x 10^k, whichever is nearest to (hi - lo) / count), but never a step under `min_step`
// (1 for training steps). Bounds are clamped to [-1e300, 1e300]. An empty interval (hi - lo under
// 1e-12 of the magnitude) is widened first: by 1 when lo is 0 (or min_step is 1), else by a tenth
// of |lo| either side.
Axis nice_axis(double lo, double hi, int count, double min_step = 0);

// A tick value as a label: at most 6 significant digits, no trailing zeros ("0.2", "1e-05").
std::string tick_label(double v);

struct Point {
  double x = 0, y = 0;  // a non-finite y (NaN for a missing value) leaves a gap
};

struct Series {
  std::string name;   // legend text
  std::string color;  // CSS colour of the line
  std::vector<Point> points;
};

// Where things go in a chart, in pixels.
struct ChartLayout {
  double width = 440, height = 260;                     // three charts side by side in a 1440-pixel window
  double left = 64, right = 16, top = 32, bottom = 62;  // margins around the plot area
};

struct Chart {
  std::string id;     // data-metric attribute, also used by the browser test
  std::string title;  // drawn at the top
  std::string x_label = "step";
  std::vector<Series> series;
  ChartLayout layout;
};

// The x and y scales of `chart` (from its finite points) and their axes.
struct ChartScales {
  Axis x_axis, y_axis;
  LinearScale x, y;
};
ChartScales chart_scales(const Chart& chart);

// The chart as one <svg class="chart" data-metric="ID" data-plot="X Y W H"> element (data-plot: the
// plot area in pixels): title, grid, axes with tick labels, a polyline per run of consecutive finite
// points (a dot for a lone one, and a dot on every point when the chart has at most 40), a legend.
std::string line_chart_svg(const Chart& chart);

}  // namespace aha::report
