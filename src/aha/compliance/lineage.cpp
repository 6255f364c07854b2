#include "aha/compliance/lineage.hpp"

#include <algorithm>

namespace aha::compliance {
namespace {

void add_teacher(Lineage& l, const std::string& name, const std::string& hash, const std::string& via) {
  for (const Json& t : l.teachers)
    if (t["weights_sha256"] == hash) return;
  l.teachers.push_back({{"name", name}, {"weights_sha256", hash}, {"via", via}});
}

// Adds `record`'s run and, when `follow_base`, its base model's records.
void walk(Lineage& l, const Json& record, bool follow_base = true) {
  const Json& run = record["run"];
  l.runs.push_back(run);
  const std::string kind = run["kind"];
  for (Json d : run["datasets"]) {
    d["run_kind"] = kind;
    if (d["kind"] == "generator") {
      l.generators.push_back(d);
      continue;
    }
    const bool seen = std::any_of(l.datasets.begin(), l.datasets.end(), [&](const Json& e) {
      return e["absolute_path"] == d["absolute_path"] && e["sha256"] == d["sha256"];
    });
    if (seen) continue;
    const Json& declared = d["declared"];
    if (declared.contains("teacher_provenance")) {
      const std::string name =
          declared.value("generated_by", std::string("teacher of ") + d["path"].get<std::string>());
      add_teacher(l, name, declared["teacher_provenance"]["weights"]["sha256"],
                  "generated dataset " + d["path"].get<std::string>());
    }
    l.datasets.push_back(d);
  }
  for (const Json& r : run.value("rewards", Json::array())) l.rewards.push_back(r);
  for (const Json& t : run["teachers"]) add_teacher(l, t["path"], t["weights_sha256"], kind + " run");
  // A merged adapter's own runs; its base is the merge's base_model, walked below (not twice).
  const Json& base = record["base_model"];
  for (const Json& a : run.value("adapters", Json::array())) {
    Json onto =
        base.is_null() ? Json(nullptr) : Json{{"path", base["path"]}, {"weights_sha256", base["weights_sha256"]}};
    l.adapters.push_back({{"path", a["path"]},
                          {"weights_sha256", a["weights_sha256"]},
                          {"has_provenance", !a["provenance"].is_null()},
                          {"base_model", onto}});
    if (!a["provenance"].is_null()) walk(l, a["provenance"], false);
  }
  if (!follow_base || base.is_null()) return;
  if (base["provenance"].is_null())
    l.upstream.push_back({{"path", base["path"]}, {"weights_sha256", base["weights_sha256"]}});
  else walk(l, base["provenance"]);
}

}  // namespace

Lineage flatten_lineage(const Json& doc) {
  Lineage l;
  l.weights = doc["weights"];
  walk(l, doc);
  return l;
}

int64_t training_tokens(const Lineage& l) {
  int64_t n = 0;
  for (const Json& d : l.datasets)
    if (d["role"] == "train") n += d["tokens"].get<int64_t>();
  for (const Json& g : l.generators)
    if (g["role"] == "train") n += g["tokens"].get<int64_t>();
  return n;
}

}  // namespace aha::compliance
