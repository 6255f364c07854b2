#include "apps/report/sections.hpp"

#include <fmt/format.h>

#include <set>

#include "aha/base/file.hpp"
#include "aha/compliance/model_card.hpp"
#include "apps/report/html.hpp"

namespace aha::report {
namespace {

constexpr size_t kCompletionsPerStep = 8;
constexpr size_t kPromptBytes = 300, kCompletionBytes = 1200;

// object[key], or null when `object` is not an object or lacks the key (never throws).
const Json& member(const Json& object, const char* key) {
  static const Json null;
  return object.is_object() && object.contains(key) ? object[key] : null;
}

std::string field_text(const Json& object, const char* key) { return value_text(member(object, key)); }

// A field as raw (unescaped) text: a string as it is, null as "", anything else as JSON.
std::string raw_text(const Json& object, const char* key) {
  const Json& v = member(object, key);
  return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
}

// A completion's step (-1 when it has none).
double step_of(const Json& completion) {
  const Json& v = member(completion, "step");
  return v.is_number() ? v.get<double>() : -1;
}

std::string row(const std::string& name, const std::string& html) {
  return "<tr><th>" + html_escape(name) + "</th><td>" + html + "</td></tr>";
}

std::string dataset_html(const Json& d) {
  std::string source, identity;
  if (raw_text(d, "kind") == "generator") {
    source = fmt::format("generator {} v{} {}", field_text(d, "generator"), field_text(d, "version"),
                         field_text(d, "parameters"));
    identity = "seed " + field_text(d, "seed");
  } else {
    source = field_text(d, "path");
    identity = "<code>" + field_text(d, "sha256") + "</code>";
  }
  std::string declared;
  const Json& declared_fields = member(d, "declared");
  if (declared_fields.is_object())
    for (const auto& [k, v] : declared_fields.items())
      if (k != "teacher_provenance") declared += html_escape(k) + ": " + value_text(v) + "<br>";
  return fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                     field_text(d, "role"), source, identity, field_text(d, "records"), field_text(d, "tokens"),
                     declared);
}

std::string datasets_html(const Json& datasets) {
  if (datasets.empty()) return "none";
  std::string t =
      "<table class=\"inner\"><tr><th>role</th><th>source</th><th>SHA-256 or seed</th><th>records</th>"
      "<th>tokens</th><th>declared</th></tr>";
  for (const Json& d : datasets) t += dataset_html(d);
  return t + "</table>";
}

std::string estimate_html(const Json& e, const char* unit) {
  return fmt::format("{} {}<br><span class=\"note\">{}</span>", field_text(e, "value"), unit, field_text(e, "method"));
}

// "grpo ← sft ← (from scratch)": this run's kind and each base model's, newest first.
std::string lineage_text(const Json& doc) {
  std::string out;
  const Json* p = &doc;
  for (int depth = 0; p && p->is_object() && depth < 64; ++depth) {
    out += (out.empty() ? "" : " ← ") + field_text(member(*p, "run"), "kind");
    const Json& base = member(*p, "base_model");
    if (base.is_null()) return out + " ← (from scratch)";
    if (!member(base, "provenance").is_object()) return out + " ← " + field_text(base, "path") + " (no provenance)";
    p = &member(base, "provenance");
  }
  return out;
}

std::string base_model_html(const Json& base) {
  if (base.is_null()) return "none (trained from scratch)";
  return fmt::format("{}<br>weights SHA-256 <code>{}</code>", field_text(base, "path"),
                     field_text(base, "weights_sha256"));
}

}  // namespace

std::string value_text(const Json& v) {
  if (v.is_null()) return "—";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) return fmt::format("{:.6g}", v.get<double>());
  if (v.is_string()) return html_escape(v.get<std::string>());
  return html_escape(v.dump());
}

std::string demo_summary_html(const std::string& dir) {
  if (!is_file(dir + "/summary.json")) return "";
  const Json s = read_json_file(dir + "/summary.json");
  if (!s.is_object() || !member(s, "models").is_array()) return "";
  const std::string n = std::to_string(member(s, "samples").is_number_integer() ? s["samples"].get<int64_t>() : 8);
  std::string t = "<h2 id=\"demo\">Demo: the models side by side</h2><p>";
  for (const char* k : {"recipe", "task", "seed", "test_items", "samples", "temperature", "top_p",
                        "max_completion_tokens", "teacher_accuracy", "wall_seconds"})
    if (s.contains(k)) t += fmt::format("{}: {}; ", k, field_text(s, k));
  t += fmt::format(
      "</p><table><tr><th>model</th><th>verifier</th><th>greedy pass@1</th><th>pass@1</th><th>maj@{0}</th>"
      "<th>pass@{0}</th><th>mean completion tokens</th><th>training seconds</th><th>training steps</th>"
      "<th>training tokens</th></tr>",
      n);
  for (const Json& m : s["models"])
    for (const char* verifier : {"strict", "lenient"}) {
      const Json& v = member(m, verifier);
      t += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td></tr>",
          field_text(m, "model"), verifier, field_text(v, "greedy_pass1"), field_text(v, "pass1"),
          field_text(v, ("maj" + n).c_str()), field_text(v, ("pass" + n).c_str()),
          field_text(m, "mean_completion_tokens"), field_text(m, "train_seconds"), field_text(m, "train_steps"),
          field_text(m, "train_tokens"));
    }
  return t + "</table>";
}

std::string evaluations_html(const std::string& dir, const std::vector<RunData>& runs) {
  std::vector<std::pair<std::string, Json>> evals;
  for (const Json& e : compliance::find_eval_results(dir)) evals.emplace_back("eval", e);
  for (const RunData& r : runs)
    if (r.dir != dir)
      for (const Json& e : compliance::find_eval_results(r.dir)) evals.emplace_back(r.name + "/eval", e);
  if (evals.empty()) return "";
  std::set<std::string> keys;
  for (const auto& [where, e] : evals)
    for (const auto& [k, v] : e["metrics"].items()) keys.insert(k);
  std::string t =
      "<h2 id=\"evaluations\">Evaluations</h2><table><tr><th>where</th><th>name</th><th>model</th>"
      "<th>items</th><th>samples</th>";
  for (const std::string& k : keys) t += "<th>" + html_escape(k) + "</th>";
  t += "</tr>";
  for (const auto& [where, e] : evals) {
    t += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>", html_escape(where),
                     field_text(e, "name"), field_text(e, "model"), field_text(e, "items"), field_text(e, "samples"));
    for (const std::string& k : keys) t += "<td>" + field_text(e["metrics"], k.c_str()) + "</td>";
    t += "</tr>";
  }
  return t + "</table>";
}

std::string completions_html(const RunData& run) {
  if (run.completions.empty()) return "";
  std::set<double> steps;
  for (const Json& c : run.completions) steps.insert(step_of(c));
  std::string t = fmt::format(
      "<h3>{}</h3><p class=\"note\">{} completions logged, at {} distinct steps; shown: up to {} from the first "
      "and from the last logged step. Prompts are cut at {} bytes, completions at {}.</p>",
      html_escape(run.name), run.completions.size(), steps.size(), kCompletionsPerStep, kPromptBytes, kCompletionBytes);
  t += "<table class=\"completions\"><tr><th>step</th><th>prompt</th><th>completion</th><th>rewards</th>"
       "<th>reward</th><th>advantage</th></tr>";
  for (const double step : std::set<double>{*steps.begin(), *steps.rbegin()}) {
    size_t shown = 0;
    for (const Json& c : run.completions) {
      if (step_of(c) != step || shown == kCompletionsPerStep) continue;
      ++shown;
      std::string rewards;
      const Json& parts = member(c, "rewards");
      if (parts.is_object())
        for (const auto& [k, v] : parts.items()) rewards += html_escape(k) + ": " + value_text(v) + "<br>";
      t += fmt::format(
          "<tr><td>{}</td><td class=\"text\">{}</td><td class=\"text completion\">{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td></tr>",
          field_text(c, "step"), escape_truncated(raw_text(c, "prompt"), kPromptBytes),
          escape_truncated(raw_text(c, "completion"), kCompletionBytes), rewards, field_text(c, "reward"),
          field_text(c, "advantage"));
    }
  }
  return t + "</table>";
}

std::string provenance_html(const RunData& run) {
  if (!run.provenance) return "";
  const Json& p = *run.provenance;
  const Json& r = member(p, "run");
  const Json& hw = member(r, "hardware");
  std::string rewards, teachers;
  for (const Json& f : member(r, "rewards")) rewards += field_text(f, "name") + " " + field_text(f, "options") + "<br>";
  for (const Json& f : member(r, "teachers")) teachers += field_text(f, "path") + "<br>";
  std::string t = fmt::format("<h3>{}</h3><table class=\"provenance\">", html_escape(run.name));
  t += row("run kind", field_text(r, "kind")) + row("lineage (newest first)", lineage_text(p));
  t += row("base model", base_model_html(member(p, "base_model")));
  t += row("weights", fmt::format("SHA-256 <code>{}</code>, {} parameters", field_text(member(p, "weights"), "sha256"),
                                  field_text(member(p, "weights"), "parameters")));
  t += row("datasets", datasets_html(member(r, "datasets")));
  t += row("reward functions", rewards.empty() ? "none" : rewards) +
       row("teachers", teachers.empty() ? "none" : teachers);
  t += row("seed", field_text(r, "seed"));
  t += row("hardware", fmt::format("{}; {} logical cores, {} threads used; memory {}; {}", field_text(hw, "cpu"),
                                   field_text(hw, "logical_cores"), field_text(hw, "threads_used"),
                                   field_text(hw, "memory"), field_text(hw, "os")));
  t += row("started, finished", field_text(r, "started_at") + " — " + field_text(r, "finished_at"));
  t += row("wall time (s)", field_text(r, "wall_seconds")) + row("tokens processed", field_text(r, "tokens_processed"));
  t += row("estimated training compute", estimate_html(member(r, "estimated_training_flops"), "FLOPs"));
  t += row("estimated energy", estimate_html(member(r, "estimated_energy_kwh"), "kWh"));
  t += row("aha", field_text(r, "aha_version") + " (commit " + field_text(r, "aha_commit") + ")");
  return t + "</table>";
}

}  // namespace aha::report
