// `aha report`: one self-contained HTML page about a run directory (or a demo's --out holding
// several runs): a line chart per numeric metric over steps, grouped, with every run that logged
// the metric overlaid; sample completions with their rewards; the provenance summary; a demo's
// before/after table and any aha eval summaries. No scripts, no external resources.
#pragma once

#include <string>
#include <vector>

#include "apps/report/run_data.hpp"

namespace aha::report {

// The section a metric's chart goes in ("Rewards", "Completions", "Loss", ...), from its name.
std::string metric_group(const std::string& metric);

// The colour of the i-th run in every chart (a saturated palette, repeating after 8).
const char* run_color(size_t index);

// The "Metrics over steps" section: a chart per metric with a finite value, grouped, runs
// overlaid in their colours; metrics without a finite value are listed.
std::string charts_html(const std::vector<RunData>& runs);

// The report page for the runs found in `run_dir` (see discover_runs).
std::string build_report(const std::string& run_dir);

// Builds the report for `run_dir` and writes it atomically to `out_path`.
void write_report(const std::string& run_dir, const std::string& out_path);

}  // namespace aha::report
