#include "apps/report/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "aha/base/file.hpp"
#include "aha/version_commit.hpp"
#include "apps/report/html.hpp"
#include "apps/report/sections.hpp"
#include "apps/report/svg_chart.hpp"

namespace aha::report {
namespace {

// Chart sections in page order; metric_group returns one of these names.
constexpr std::array<const char*, 9> kGroups = {"Rewards and accuracy",
                                                "Evaluation on held-out prompts",
                                                "Completions (length, truncation)",
                                                "Loss and gradient norm",
                                                "KL and entropy",
                                                "Clip ratios",
                                                "Learning rate",
                                                "Throughput and time",
                                                "Other"};

constexpr const char* kStyle = R"css(
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1500px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; } h3 { font-size: 15px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; border: 1px solid #ddd; }
figcaption { font-size: 11px; color: #555; padding: 2px 6px 6px; max-width: 428px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
table.inner th, table.inner td { border-color: #e2e2e2; }
td.text { white-space: pre-wrap; font-family: monospace; max-width: 560px; overflow-wrap: anywhere; }
.note { color: #666; font-size: 11px; }
code { font-size: 11px; overflow-wrap: anywhere; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
)css";

bool has_finite(const Metric& m) {
  for (const Point& p : m.points)
    if (std::isfinite(p.y)) return true;
  return false;
}

// "12 points (2 missing or not finite, not drawn)" for every run in the chart.
std::string caption(const std::vector<RunData>& runs, const std::string& metric) {
  std::string out;
  for (const RunData& r : runs) {
    const auto it = r.metrics.find(metric);
    if (it == r.metrics.end()) continue;
    out += fmt::format("{}{}: {} points", out.empty() ? "" : "; ", html_escape(r.name), it->second.points.size());
    if (it->second.missing > 0) out += fmt::format(" ({} missing or not finite, not drawn)", it->second.missing);
  }
  return out;
}

std::string chart_html(const std::vector<RunData>& runs, const std::string& metric) {
  Chart chart;
  chart.id = metric;
  chart.title = metric;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto it = runs[i].metrics.find(metric);
    if (it != runs[i].metrics.end()) chart.series.push_back({runs[i].name, run_color(i), it->second.points});
  }
  return "<figure>" + line_chart_svg(chart) + "<figcaption>" + caption(runs, metric) + "</figcaption></figure>";
}

// Every metric once, in the order first seen over the runs.
std::vector<std::string> all_metrics(const std::vector<RunData>& runs) {
  std::vector<std::string> out;
  for (const RunData& r : runs)
    for (const std::string& m : r.metric_order)
      if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  return out;
}

std::string runs_html(const std::vector<RunData>& runs) {
  std::string out = "<table><tr><th>run</th><th>directory</th><th>logged steps</th><th>metrics</th></tr>";
  for (size_t i = 0; i < runs.size(); ++i)
    out += fmt::format(
        "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td></tr>",
        run_color(i), html_escape(runs[i].name), html_escape(runs[i].dir), runs[i].lines, runs[i].metric_order.size());
  return out + "</table>";
}

std::string titled(const char* id, const char* title, const std::string& body) {
  return body.empty() ? "" : fmt::format("<h2 id=\"{}\">{}</h2>{}", id, title, body);
}

}  // namespace

std::string metric_group(const std::string& metric) {
  // A dynamic_sampling run's filtered batch: beside the same metric of what was sampled.
  const std::string m = metric.starts_with("filtered/") ? metric.substr(9) : metric;
  if (m.starts_with("eval/")) return kGroups[1];
  if (m == "reward" || m == "reward_std" || m == "frac_reward_zero_std" || m.starts_with("rewards/")) return kGroups[0];
  if (m.starts_with("completions/")) return kGroups[2];
  if (m == "loss" || m == "eval_loss" || m == "grad_norm") return kGroups[3];
  if (m == "kl" || m == "entropy") return kGroups[4];
  if (m.starts_with("clip_ratio/")) return kGroups[5];
  if (m == "learning_rate") return kGroups[6];
  if (m.ends_with("tokens_per_second") || m.ends_with("_seconds") || m == "num_tokens") return kGroups[7];
  return kGroups[8];
}

const char* run_color(size_t index) {
  static constexpr std::array<const char*, 8> kPalette = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                          "#9467bd", "#e377c2", "#17becf", "#bcbd22"};
  return kPalette[index % kPalette.size()];
}

std::string charts_html(const std::vector<RunData>& runs) {
  std::vector<std::string> drawable, empty;
  for (const std::string& m : all_metrics(runs)) {
    bool finite = false;
    for (const RunData& r : runs)
      if (r.metrics.count(m) && has_finite(r.metrics.at(m))) finite = true;
    (finite ? drawable : empty).push_back(m);
  }
  std::string out = "<h2 id=\"charts\">Metrics over steps</h2>";
  if (drawable.empty()) out += "<p>No step logged a finite numeric metric yet.</p>";
  for (const char* group : kGroups) {
    std::string charts;
    for (const std::string& m : drawable)
      if (metric_group(m) == group) charts += chart_html(runs, m);
    if (!charts.empty()) out += fmt::format("<h3>{}</h3><div class=\"charts\">{}</div>", group, charts);
  }
  if (!empty.empty()) {
    out += "<p class=\"note\">Not charted (no finite value logged):";
    for (const std::string& m : empty) {
      out += ' ';
      out += html_escape(m);
    }
    out += "</p>";
  }
  return out;
}

std::string build_report(const std::string& run_dir) {
  const std::vector<RunData> runs = discover_runs(run_dir);
  std::string completions, provenance;
  for (const RunData& r : runs) {
    completions += completions_html(r);
    provenance += provenance_html(r);
  }
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>aha report: {}</title><style>{}</style>"
      "</head><body><h1>aha report: {}</h1><p class=\"note\">Written by aha {} (commit {}) from {}.</p>",
      html_escape(run_dir), kStyle, html_escape(run_dir), AHA_VERSION, AHA_GIT_COMMIT, html_escape(run_dir));
  page += runs_html(runs) + demo_summary_html(run_dir) + evaluations_html(run_dir, runs) + charts_html(runs);
  page += titled("completions", "Sample completions", completions);
  page += titled("provenance", "Provenance (from provenance.json)", provenance);
  return page + "</body></html>\n";
}

void write_report(const std::string& run_dir, const std::string& out_path) {
  write_file_atomic(out_path, build_report(run_dir));
}

}  // namespace aha::report
