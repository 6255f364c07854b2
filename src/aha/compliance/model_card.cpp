#include "aha/compliance/model_card.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/compliance/training_summary.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/ledger/provenance.hpp"

namespace aha::compliance {
namespace fs = std::filesystem;
namespace {

// A YAML scalar: a JSON string is a valid YAML double-quoted scalar.
std::string q(const std::string& s) { return Json(s).dump(); }

// The string field `key` of `j`, or `fallback` when it is absent or not a string.
std::string string_or(const Json& j, const char* key, const std::string& fallback) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

std::string front_matter(const std::string& model_dir, const std::string& name, const Lineage& l, const ProviderInfo& p,
                         const Json& summary, const std::vector<Json>& evals) {
  const bool adapter = io::is_adapter_dir(model_dir);
  std::string y = "---\n";
  y += fmt::format("license: {}\n", p.has("license") ? q(p.get("license")) : "unknown");
  // HF's base_model names an upstream model; a lineage trained from scratch by aha has none. An
  // adapter's card names the model it applies to, as PEFT's cards do (base_model_name_or_path).
  if (adapter) y += fmt::format("base_model: {}\n", q(io::read_adapter_config(model_dir).base_model_name_or_path));
  else if (!l.upstream.empty()) y += fmt::format("base_model: {}\n", q(l.upstream.back()["path"]));
  std::set<std::string> names;
  for (const Json& d : l.datasets) names.insert(dataset_display_name(d));
  for (const Json& g : l.generators) names.insert(dataset_display_name(g));
  if (!names.empty()) {
    y += "datasets:\n";
    for (const std::string& n : names) y += fmt::format("- {}\n", q(n));
  }
  const Json& langs = summary["1_general_information"]["1_3_modalities_and_size"]["languages"];
  std::vector<std::string> codes;
  for (const Json& lang : langs)
    if (lang.get<std::string>().find(' ') == std::string::npos) codes.push_back(lang);
  if (!codes.empty()) {
    y += "language:\n";
    for (const std::string& c : codes) y += fmt::format("- {}\n", q(c));
  }
  y += fmt::format("library_name: {}\npipeline_tag: text-generation\ntags:\n- aha\n- reasoning\n",
                   adapter ? "peft" : "transformers");
  if (adapter) y += "- lora\n";
  std::set<std::string> kinds;
  for (const Json& r : l.runs) kinds.insert(r["kind"]);
  for (const std::string& k : kinds) y += fmt::format("- {}\n", q(k));
  if (!evals.empty()) {
    y += fmt::format("model-index:\n- name: {}\n  results:\n", q(name));
    for (const Json& e : evals) {
      y += fmt::format(
          "  - task:\n      type: text-generation\n    dataset:\n      name: {}\n      type: {}\n    metrics:\n",
          q(string_or(e, "name", "eval")), q(string_or(e, "name", "eval")));
      for (const auto& [metric, value] : e["metrics"].items())
        if (value.is_number())
          y += fmt::format(
              "    - type: {}\n      value: {}\n      name: {}\n", q(metric), value.dump(),
              q(fmt::format("{} ({} samples, reward {})", metric, e.contains("samples") ? e["samples"].dump() : "?",
                            string_or(e, "reward", "?"))));
    }
  }
  return y + "---\n";
}

std::string lineage_table(const Lineage& l) {
  std::string t = "| run | datasets | tokens processed | estimated FLOPs | wall time (s) |\n|---|---|---|---|---|\n";
  for (auto it = l.runs.rbegin(); it != l.runs.rend(); ++it) {
    std::string data;
    for (const Json& d : (*it)["datasets"])
      data += (data.empty() ? "" : ", ") + dataset_display_name(d) + " (" + d["role"].get<std::string>() + ")";
    t += fmt::format("| {} | {} | {} | {:.4g} | {:.1f} |\n", (*it)["kind"].get<std::string>(), data,
                     (*it)["tokens_processed"].dump(), (*it)["estimated_training_flops"]["value"].get<double>(),
                     (*it)["wall_seconds"].get<double>());
  }
  return t;
}

}  // namespace

std::vector<Json> find_eval_results(const std::string& model_dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  if (is_directory(model_dir + "/eval"))
    for (const auto& entry : fs::directory_iterator(model_dir + "/eval", ec))
      if (is_file(entry.path().string() + "/summary.json")) paths.push_back(entry.path().string() + "/summary.json");
  std::sort(paths.begin(), paths.end());
  std::vector<Json> out;
  for (const std::string& p : paths) {
    Json s = read_json_file(p);
    if (!s.is_object() || !s.contains("metrics") || !s["metrics"].is_object())
      fail("{}: not an aha eval summary (no 'metrics' object)", p);
    out.push_back(std::move(s));
  }
  return out;
}

std::string model_card(const std::string& model_dir, const Lineage& l, const ProviderInfo& p,
                       const std::vector<Json>& evals) {
  const Json summary = training_summary(model_dir, l, p);
  const std::string name = summary["1_general_information"]["1_2_model"]["name"];
  std::string md = front_matter(model_dir, name, l, p, summary, evals);
  md += fmt::format("\n# {}\n\nProvided by {} ({}). Version {}.\n\n", name, p.get("provider_name"),
                    p.get("provider_contact"), p.get("model_version"));
  md += fmt::format("## Intended use\n\n{}\n\n## Limitations\n\n{}\n\n", p.get("intended_use"), p.get("limitations"));
  const Json& a = summary["annex_xi"];
  md += fmt::format("## Model\n\n- architecture: {}\n- parameters: {}\n\n", a["architecture"].dump(),
                    a["parameters"].dump());
  md +=
      "## Training\n\nEvery run that shaped these weights, oldest first (from provenance.json):\n\n" + lineage_table(l);
  for (const Json& u : l.upstream)
    md += fmt::format(
        "\nStarted from {} (weights SHA-256 {}), which carries no aha provenance: its own training "
        "data is described by its provider.\n",
        u["path"].get<std::string>(), u["weights_sha256"].get<std::string>());
  for (const Json& a : l.adapters) {
    const Json& base = a["base_model"];
    md += fmt::format(
        "\nMerged from the LoRA adapter {} (weights SHA-256 {}{}) into the base model {} (weights SHA-256 "
        "{}).\n",
        a["path"].get<std::string>(), a["weights_sha256"].get<std::string>(),
        a["has_provenance"].get<bool>() ? "; its runs are listed above"
                                        : "; it carries no aha provenance: its training data is "
                                          "described by its provider",
        string_or(base, "path", "(not recorded)"), string_or(base, "weights_sha256", "(not recorded)"));
  }
  for (const Json& t : l.teachers)
    md += fmt::format("\nDistillation teacher: {} (weights SHA-256 {}), via {}.\n", t["name"].get<std::string>(),
                      t["weights_sha256"].get<std::string>(), t["via"].get<std::string>());
  md += "\nThe training data, by the categories of the EU template, is listed in TRAINING_SUMMARY.md.\n\n";
  md += "## Evaluation\n\n";
  if (evals.empty()) md += "No results under eval/ (run `aha eval`).\n\n";
  for (const Json& e : evals) {
    md += fmt::format("### {}\n\n| metric | value |\n|---|---|\n", string_or(e, "name", "eval"));
    for (const auto& [metric, value] : e["metrics"].items()) md += fmt::format("| {} | {} |\n", metric, value.dump());
    md += "\n";
  }
  md += fmt::format(
      "## Environmental impact\n\n- compute: {:.4g} FLOPs ({})\n- energy: {:.6g} kWh ({})\n- hardware: {}\n\n",
      a["compute_flops"]["value"].get<double>(), a["compute_flops"]["method"].get<std::string>(),
      a["energy_kwh"]["value"].get<double>(), a["energy_kwh"]["method"].get<std::string>(),
      a["hardware"].empty() ? std::string("unknown") : string_or(a["hardware"][0], "cpu", "unknown"));
  md +=
      fmt::format("## Provenance\n\nWeights SHA-256: `{}` ({}). Check this directory with `aha verify --model DIR`.\n",
                  l.weights["sha256"].get<std::string>(), l.weights["method"].get<std::string>());
  return md;
}

static std::vector<std::string> write_card_files(const std::string& model_dir, const std::string& provider_path,
                                                 bool overwrite) {
  const Json doc = ledger::read_provenance(model_dir);
  const ProviderInfo provider = read_provider(provider_path.empty() ? model_dir + "/provider.yaml" : provider_path);
  const Lineage lineage = flatten_lineage(doc);
  const std::vector<Json> evals = find_eval_results(model_dir);
  const Json summary = training_summary(model_dir, lineage, provider);
  const std::vector<std::string> paths = {model_dir + "/README.md", model_dir + "/TRAINING_SUMMARY.md",
                                          model_dir + "/training_summary.json"};
  std::string existing;  // the names of those already there
  size_t count = 0;
  for (const std::string& path : paths)
    if (std::filesystem::exists(path))
      existing += (count++ ? ", " : "") + std::filesystem::path(path).filename().string();
  if (count > 0 && !overwrite)
    fail(
        "{}: {} already there (the card writes README.md, TRAINING_SUMMARY.md and training_summary.json "
        "together); pass --overwrite to replace {}",
        model_dir, existing, count == 1 ? "it" : "them");
  write_file_atomic(paths[0], model_card(model_dir, lineage, provider, evals));
  write_file_atomic(paths[1], training_summary_markdown(summary));
  write_file_atomic(paths[2], summary.dump(2) + "\n");
  return paths;
}

std::vector<std::string> write_card(const std::string& model_dir, const std::string& provider_path, bool overwrite) {
  try {
    return write_card_files(model_dir, provider_path, overwrite);
  } catch (const Json::exception& e) {
    // check_provenance covers the fields the card reads; this names anything it missed.
    fail("{}/provenance.json or eval/*/summary.json: malformed: {}", model_dir, e.what());
  }
}

}  // namespace aha::compliance
