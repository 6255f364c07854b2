#include "apps/report/run_data.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/ledger/provenance.hpp"

namespace aha::report {
namespace fs = std::filesystem;

namespace {

// Calls `each(json, line_number)` for every non-blank line of `text`, read from `path`.
template <typename Each>
void for_each_json_line(const std::string& text, const std::string& path, Each each) {
  std::istringstream in(text);
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const Json value = parse_json(line, fmt::format("{}:{}", path, number));
    if (!value.is_object()) fail("{}:{}: expected a JSON object, found {}", path, number, json_type_name(value));
    each(value, number);
  }
}

void add_point(RunData& run, const std::string& key, double step, double value) {
  auto [it, fresh] = run.metrics.try_emplace(key);
  if (fresh) run.metric_order.push_back(key);
  it->second.points.push_back({step, value});
  if (!std::isfinite(value)) ++it->second.missing;
}

RunData read_run(const std::string& dir, const std::string& name) {
  RunData run;
  run.name = name;
  run.dir = dir;
  parse_metrics(read_file(dir + "/metrics.jsonl"), dir + "/metrics.jsonl", run);
  const std::string completions = dir + "/completions.jsonl";
  if (is_file(completions)) run.completions = parse_json_lines(read_file(completions), completions);
  if (is_file(dir + "/provenance.json")) run.provenance = ledger::read_provenance(dir);
  return run;
}

}  // namespace

void parse_metrics(const std::string& text, const std::string& path, RunData& run) {
  for_each_json_line(text, path, [&](const Json& line, int64_t number) {
    if (!line.contains("step") || !line["step"].is_number())
      fail("{}:{}: field 'step' must be a number (found {})", path, number,
           line.contains("step") ? json_type_name(line["step"]) : "none");
    const double step = line["step"].get<double>();
    for (const auto& [key, value] : line.items()) {
      if (key == "step") continue;
      if (value.is_number()) add_point(run, key, step, value.get<double>());
      else if (value.is_null()) add_point(run, key, step, NAN);
    }
    ++run.lines;
  });
}

std::vector<Json> parse_json_lines(const std::string& text, const std::string& path) {
  std::vector<Json> out;
  for_each_json_line(text, path, [&](const Json& line, int64_t) { out.push_back(line); });
  return out;
}

std::vector<RunData> discover_runs(const std::string& dir) {
  if (!is_directory(dir)) fail("--run {}: no such directory", dir);
  std::vector<RunData> runs;
  const fs::path root = fs::absolute(dir).lexically_normal();
  if (is_file(dir + "/metrics.jsonl")) {
    const std::string name = (root.has_filename() ? root : root.parent_path()).filename().string();
    runs.push_back(read_run(dir, name));
  }
  std::vector<std::string> subdirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory(ec) && is_file(entry.path().string() + "/metrics.jsonl"))
      subdirs.push_back(entry.path().filename().string());
  std::sort(subdirs.begin(), subdirs.end());
  for (const std::string& s : subdirs) runs.push_back(read_run(dir + "/" + s, s));
  if (runs.empty())
    fail(
        "--run {}: no metrics.jsonl in it or in its immediate subdirectories (expected the output_dir of "
        "aha pretrain, sft or grpo, or the --out of aha demo)",
        dir);
  return runs;
}

}  // namespace aha::report
