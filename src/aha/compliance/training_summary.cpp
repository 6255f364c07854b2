#include "aha/compliance/training_summary.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "aha/base/file.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/ledger/provenance.hpp"

namespace aha::compliance {
namespace {

const char* const kNoneRecorded = "none: no dataset of this kind is recorded in the model's provenance";

std::string declared(const Json& d, const char* key) {
  const Json& decl = d["declared"];
  if (!decl.contains(key)) return kToBeCompleted;
  if (decl[key].is_array()) {
    std::string out;
    for (const Json& v : decl[key]) out += (out.empty() ? "" : ", ") + v.get<std::string>();
    return out;
  }
  return decl[key].get<std::string>();
}

// Which of the template's 2.x sections a file dataset belongs to.
std::string section_of(const Json& d) {
  const Json& decl = d["declared"];
  if (decl.contains("teacher_provenance") || decl.contains("generated_by")) return "2_5_synthetic";
  const std::string c = decl.value("category", "");
  if (c == "public") return "2_1_public_datasets";
  if (c == "private") return "2_2_private_third_party";
  if (c == "crawled") return "2_3_crawled";
  if (c == "user") return "2_4_user_data";
  if (c == "synthetic") return "2_5_synthetic";
  return "2_6_other";
}

Json dataset_entry(const Json& d) {
  Json e = {{"name", dataset_display_name(d)},
            {"path", d["path"]},
            {"sha256", d["sha256"]},
            {"used_for", d["role"].get<std::string>() + " (" + d["run_kind"].get<std::string>() + ")"},
            {"records", d["records"]},
            {"tokens", d["tokens"]},
            {"source", declared(d, "source")},
            {"license", declared(d, "license")},
            {"language", declared(d, "language")},
            {"content_type", declared(d, "content_type")},
            {"acquired", d["declared"].value("acquired", d["read_at"].get<std::string>())}};
  if (!d["declared"].contains("category"))
    e["category"] = std::string("not declared in a DATASET.yaml ") + kToBeCompleted;
  if (section_of(d) == "2_5_synthetic")
    e["generating_model"] = d["declared"].value("generated_by", std::string(kToBeCompleted));
  return e;
}

Json generator_entry(const Json& g) {
  return {{"name", dataset_display_name(g)},
          {"generator", g["generator"]},
          {"version", g["version"]},
          {"parameters", g["parameters"]},
          {"seed", g["seed"]},
          {"used_for", g["role"].get<std::string>() + " (" + g["run_kind"].get<std::string>() + ")"},
          {"records", g["records"]},
          {"tokens", g["tokens"]},
          {"generating_model", "none: a deterministic program built into aha"},
          {"license", "not applicable (generated)"},
          {"language", "en"},
          {"content_type", "text (arithmetic)"}};
}

Json sources(const Lineage& l) {
  Json s = {{"2_1_public_datasets", Json::array()}, {"2_2_private_third_party", Json::array()},
            {"2_3_crawled", Json::array()},         {"2_4_user_data", Json::array()},
            {"2_5_synthetic", Json::array()},       {"2_6_other", Json::array()}};
  for (const Json& d : l.datasets) s[section_of(d)].push_back(dataset_entry(d));
  for (const Json& g : l.generators) s["2_5_synthetic"].push_back(generator_entry(g));
  return s;
}

Json general(const Lineage& l, const ProviderInfo& p, const std::string& model_dir) {
  std::set<std::string> languages, content_types;
  std::string latest;
  bool undeclared_language = false, undeclared_type = false;
  for (const Json& d : l.datasets) {
    undeclared_language |= !d["declared"].contains("language");
    undeclared_type |= !d["declared"].contains("content_type");
    if (d["declared"].contains("language")) {
      const Json& lang = d["declared"]["language"];
      if (lang.is_string()) languages.insert(lang.get<std::string>());
      else
        for (const Json& x : lang) languages.insert(x.get<std::string>());
    }
    if (d["declared"].contains("content_type")) content_types.insert(d["declared"]["content_type"].get<std::string>());
    latest = std::max(latest, d["declared"].value("acquired", d["read_at"].get<std::string>()));
  }
  for (const Json& g : l.generators) {
    languages.insert("en");
    content_types.insert("text (arithmetic)");
    latest = std::max(latest, g["read_at"].get<std::string>());
  }
  if (undeclared_language) languages.insert(std::string("undeclared for some datasets ") + kToBeCompleted);
  if (undeclared_type) content_types.insert(std::string("undeclared for some datasets ") + kToBeCompleted);
  const int64_t tokens = training_tokens(l);
  const std::string name =
      p.has("model_name") ? p.get("model_name") : std::filesystem::path(model_dir).filename().string();
  Json upstream = Json::array();
  for (const Json& u : l.upstream) upstream.push_back(u);
  for (const Json& a : l.adapters)
    if (!a["has_provenance"].get<bool>())
      upstream.push_back({{"path", a["path"]}, {"weights_sha256", a["weights_sha256"]}});
  return {{"1_1_provider",
           {{"name", p.get("provider_name")},
            {"contact", p.get("provider_contact")},
            {"authorised_representative", p.get("authorised_representative")}}},
          {"1_2_model",
           {{"name", name},
            {"version", p.get("model_version")},
            {"release_date", p.get("release_date")},
            {"weights_sha256", l.weights["sha256"]},
            {"modified_from", upstream}}},
          {"1_3_modalities_and_size",
           {{"modalities", {"text"}},
            {"training_tokens", tokens},
            {"size_bin", text_size_bin(tokens)},
            {"content_types", content_types},
            {"languages", languages},
            {"latest_acquisition_date", latest.empty() ? std::string(kToBeCompleted) : latest},
            {"acquisition_date_note",
             "the time aha read and fingerprinted each dataset, unless its DATASET.yaml "
             "declares 'acquired'"}}}};
}

// True when some of the lineage has no aha provenance: an upstream base model or a merged adapter.
bool has_unrecorded_parts(const Lineage& l) {
  return !l.upstream.empty() || std::any_of(l.adapters.begin(), l.adapters.end(),
                                            [](const Json& a) { return !a["has_provenance"].get<bool>(); });
}

Json annex_xi(const std::string& model_dir, const Lineage& l) {
  // An adapter directory's architecture is its base model's config.json (when the base is on disk).
  std::filesystem::path config_path = std::filesystem::path(model_dir) / "config.json";
  if (!is_file(config_path.string()) && io::is_adapter_dir(model_dir)) {
    std::filesystem::path base(io::read_adapter_config(model_dir).base_model_name_or_path);
    if (base.is_relative()) base = std::filesystem::path(model_dir) / base;
    config_path = base / "config.json";
  }
  const Json cfg = is_file(config_path.string()) ? read_json_file(config_path.string()) : Json::object();
  Json arch = Json::object();
  for (const char* k : {"model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads",
                        "num_key_value_heads", "intermediate_size", "vocab_size", "max_position_embeddings"})
    if (cfg.is_object() && cfg.contains(k)) arch[k] = cfg[k];
  double flops = 0, seconds = 0, kwh = 0;
  Json methods = Json::array(), hardware = Json::array();
  for (auto it = l.runs.rbegin(); it != l.runs.rend(); ++it) {
    const Json& r = *it;
    flops += r["estimated_training_flops"]["value"].get<double>();
    kwh += r["estimated_energy_kwh"]["value"].get<double>();
    seconds += r["wall_seconds"].get<double>();
    methods.push_back({{"kind", r["kind"]},
                       {"tokens_processed", r["tokens_processed"]},
                       {"seed", r["seed"]},
                       {"started_at", r["started_at"]},
                       {"aha_version", r["aha_version"]},
                       {"aha_commit", r["aha_commit"]}});
    hardware.push_back(r["hardware"]);
  }
  const Json& newest = l.runs.front();
  return {{"architecture", arch},
          {"parameters", l.weights["parameters"]},
          {"training_method", methods},
          {"compute_flops", {{"value", flops}, {"method", newest["estimated_training_flops"]["method"]}}},
          {"training_time_seconds", seconds},
          {"energy_kwh", {{"value", kwh}, {"method", newest["estimated_energy_kwh"]["method"]}}},
          {"hardware", hardware},
          {"scope_note", !has_unrecorded_parts(l) ? "all runs from initialisation"
                                                  : "the runs recorded by aha; compute and energy of upstream models "
                                                    "and merged adapters without provenance are not included"}};
}

}  // namespace

std::string text_size_bin(int64_t tokens) {
  if (tokens < 1'000'000'000LL) return "Less than 1 billion tokens";
  if (tokens <= 10'000'000'000'000LL) return "1 billion to 10 trillion tokens";
  return "More than 10 trillion tokens";
}

std::string dataset_display_name(const Json& d) {
  if (d["kind"] == "generator")
    return "aha built-in task '" + d["generator"].get<std::string>() + "' v" + d["version"].get<std::string>();
  if (d["declared"].contains("name")) return d["declared"]["name"];
  return std::filesystem::path(d["path"].get<std::string>()).filename().string();
}

Json training_summary(const std::string& model_dir, const Lineage& l, const ProviderInfo& p) {
  Json teachers = Json::array();
  for (const Json& t : l.teachers) teachers.push_back(t);
  return {{"template",
           "European Commission, Template for the Public Summary of Training Content for general-purpose "
           "AI models (July 2025), sections 1-3; Annex XI fields of the AI Act"},
          {"generated_by", "aha card, from the model's provenance.json"},
          {"1_general_information", general(l, p, model_dir)},
          {"2_data_sources", sources(l)},
          {"2_5_distillation_teachers", teachers},
          {"3_data_processing",
           {{"3_1_tdm_opt_outs", p.get("tdm_opt_out_measures")},
            {"3_1_copyright_policy", p.get("copyright_policy")},
            {"3_2_illegal_content_removal", p.get("illegal_content_measures")},
            {"3_3_other", p.has("other_processing") ? p.get("other_processing")
                                                    : "aha tokenized every dataset as recorded (pretraining texts "
                                                      "packed into blocks, SFT examples truncated at max_length); "
                                                      "no other filtering was applied by aha"}}},
          {"annex_xi", annex_xi(model_dir, l)}};
}

}  // namespace aha::compliance
