#include "apps/report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "apps/report/html.hpp"

namespace aha::report {
namespace {

// factor x 10^power, computed so that decimal steps stay exact where doubles allow (3 x 0.2 is
// 6 / 10, not 0.6000000000000001).
double tick_value(double k, double factor, int power) {
  return power >= 0 ? k * factor * std::pow(10.0, power) : k * factor / std::pow(10.0, -power);
}

std::string px(double v) { return fmt::format("{:.2f}", v); }

struct Bounds {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  bool empty() const { return !(x1 >= x0); }
};

Bounds finite_bounds(const Chart& chart) {
  Bounds b;
  for (const Series& s : chart.series)
    for (const Point& p : s.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      b.x0 = std::min(b.x0, p.x), b.x1 = std::max(b.x1, p.x);
      b.y0 = std::min(b.y0, p.y), b.y1 = std::max(b.y1, p.y);
    }
  return b;
}

std::string axes_svg(const Chart& c, const ChartScales& s) {
  const ChartLayout& l = c.layout;
  const double plot_bottom = l.height - l.bottom, plot_right = l.width - l.right;
  std::string out;
  for (const double t : s.y_axis.ticks) {
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e4e4e4\"/>", px(l.left), px(s.y(t)),
                       px(plot_right), px(s.y(t)));
    out += fmt::format("<text x=\"{}\" y=\"{}\" dy=\"0.32em\" text-anchor=\"end\">{}</text>", px(l.left - 6),
                       px(s.y(t)), tick_label(t));
  }
  for (const double t : s.x_axis.ticks) {
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555\"/>", px(s.x(t)), px(plot_bottom),
                       px(s.x(t)), px(plot_bottom + 4));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px(s.x(t)), px(plot_bottom + 16),
                       tick_label(t));
  }
  out += fmt::format("<path d=\"M{} {}V{}H{}\" fill=\"none\" stroke=\"#555\"/>", px(l.left), px(l.top), px(plot_bottom),
                     px(plot_right));
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px(l.left + (plot_right - l.left) / 2),
                     px(plot_bottom + 32), html_escape(c.x_label));
  return out;
}

// Polylines through each run of consecutive finite points; a run of one point is a dot.
std::string series_svg(const Series& series, const ChartScales& s, bool dots) {
  std::vector<Point> points = series.points;
  std::stable_sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  std::string out, run;
  size_t in_run = 0;
  Point last{};
  const auto close_run = [&] {
    if (in_run == 1)
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"/>", px(s.x(last.x)), px(s.y(last.y)),
                         series.color);
    else if (in_run > 1)
      out += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>", series.color, run);
    run.clear();
    in_run = 0;
  };
  for (const Point& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      close_run();
      continue;
    }
    run += fmt::format("{}{},{}", run.empty() ? "" : " ", px(s.x(p.x)), px(s.y(p.y)));
    ++in_run;
    last = p;
    if (dots)
      out +=
          fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"/>", px(s.x(p.x)), px(s.y(p.y)), series.color);
  }
  close_run();
  return out;
}

std::string legend_svg(const Chart& c) {
  std::string out;
  double x = c.layout.left;
  const double y = c.layout.height - 12;
  for (const Series& s : c.series) {
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>", px(x), px(y - 9), s.color);
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", px(x + 14), px(y), html_escape(s.name));
    x += 14 + 7 * static_cast<double>(s.name.size()) + 14;
  }
  return out;
}

}  // namespace

Axis nice_axis(double lo, double hi, int count, double min_step) {
  if (std::isnan(lo) || std::isnan(hi)) lo = 0, hi = 1;
  lo = std::clamp(lo, -1e300, 1e300), hi = std::clamp(hi, -1e300, 1e300);  // keeps hi - lo finite
  if (lo > hi) std::swap(lo, hi);
  // A width below 1e-12 of the magnitude counts as empty: finer ticks would not be distinct doubles.
  if (!(hi - lo > std::max(1e-300, 1e-12 * std::max(std::abs(lo), std::abs(hi))))) {
    const double pad = lo == 0 || min_step >= 1 ? std::max(1.0, min_step) : std::abs(lo) * 0.1;
    lo -= pad, hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, count);
  int power = static_cast<int>(std::floor(std::log10(raw)));
  const double error = raw / std::pow(10.0, power);
  double factor = error >= std::sqrt(50.0) ? 10 : error >= std::sqrt(10.0) ? 5 : error >= std::sqrt(2.0) ? 2 : 1;
  const auto bump = [&] {
    factor = factor == 1 ? 2 : factor == 2 ? 5 : 10;
    if (factor == 10) factor = 1, ++power;
  };
  if (factor == 10) factor = 1, ++power;
  while (tick_value(1, factor, power) < min_step) bump();
  Axis a;
  a.step = tick_value(1, factor, power);
  // The small tolerance keeps 0.6 / 0.2 = 2.9999999999999996 from adding a tick.
  const double k0 = std::floor(lo / a.step + 1e-9), k1 = std::ceil(hi / a.step - 1e-9);
  for (double k = k0; k <= k1 && a.ticks.size() < 1000; k += 1) a.ticks.push_back(tick_value(k, factor, power));
  a.lo = a.ticks.front(), a.hi = a.ticks.back();
  return a;
}

std::string tick_label(double v) { return v == 0 ? "0" : fmt::format("{:.6g}", v); }

ChartScales chart_scales(const Chart& chart) {
  Bounds b = finite_bounds(chart);
  if (b.empty()) b = {0, 1, 0, 1};
  ChartScales s;
  s.x_axis = nice_axis(b.x0, b.x1, 6, 1);
  s.y_axis = nice_axis(b.y0, b.y1, 5);
  const ChartLayout& l = chart.layout;
  s.x = {s.x_axis.lo, s.x_axis.hi, l.left, l.width - l.right};
  s.y = {s.y_axis.lo, s.y_axis.hi, l.height - l.bottom, l.top};
  return s;
}

std::string line_chart_svg(const Chart& chart) {
  const ChartLayout& l = chart.layout;
  const ChartScales s = chart_scales(chart);
  size_t finite = 0;
  for (const Series& series : chart.series)
    for (const Point& p : series.points) finite += std::isfinite(p.x) && std::isfinite(p.y);
  std::string out = fmt::format(
      "<svg class=\"chart\" data-metric=\"{}\" data-plot=\"{} {} {} {}\" xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#333\" "
      "role=\"img\" aria-label=\"{}\">",
      html_escape(chart.id), l.left, l.top, l.width - l.left - l.right, l.height - l.top - l.bottom, l.width, l.height,
      l.width, l.height, html_escape(chart.title));
  out += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>", l.width, l.height);
  out += fmt::format("<text x=\"{}\" y=\"20\" font-size=\"13\" font-weight=\"bold\">{}</text>", px(l.left),
                     html_escape(chart.title));
  out += axes_svg(chart, s);
  for (const Series& series : chart.series) out += series_svg(series, s, finite <= 40);
  out += legend_svg(chart);
  return out + "</svg>";
}

}  // namespace aha::report
