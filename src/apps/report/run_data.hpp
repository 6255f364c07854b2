// What `aha report` reads from a run directory: metrics.jsonl (one JSON object per logged step),
// completions.jsonl (GRPO's samples) and the model's provenance.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "apps/report/svg_chart.hpp"

namespace aha::report {

struct Metric {
  std::vector<Point> points;  // x = step; y = NaN where the line held null (NaN or inf when written)
  int64_t missing = 0;        // points whose value was null or not finite
};

struct RunData {
  std::string name;  // the subdirectory's name, or the directory's own name for a lone run
  std::string dir;
  int64_t lines = 0;                      // metrics.jsonl lines read
  std::vector<std::string> metric_order;  // numeric metrics in the order first seen
  std::map<std::string, Metric> metrics;
  std::vector<Json> completions;   // completions.jsonl, one object a line
  std::optional<Json> provenance;  // provenance.json when the directory has one
};

// Adds the lines of a metrics.jsonl (`text`, read from `origin`) to `run`: every numeric field but
// "step" is a metric over "step"; null counts as a missing value; other types are not metrics. A
// line that is not a JSON object or has no numeric "step" is a bad-input Error naming `origin`
// and the line.
void parse_metrics(const std::string& text, const std::string& origin, RunData& run);

// The objects of a JSON-lines text (blank lines skipped); errors name `origin` and the line.
std::vector<Json> parse_json_lines(const std::string& text, const std::string& origin);

// The runs in `dir`: `dir` itself and each immediate subdirectory (sorted by name) that holds a
// metrics.jsonl, with their completions and provenance. A missing directory, or one where no
// run is found, is a bad-input Error.
std::vector<RunData> discover_runs(const std::string& dir);

}  // namespace aha::report
