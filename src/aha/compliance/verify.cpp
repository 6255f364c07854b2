#include "aha/compliance/verify.hpp"

#include <fmt/format.h>

#include <set>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/base/sha256.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/ledger/weights_hash.hpp"

namespace aha::compliance {
namespace {

struct Verifier {
  VerifyReport report;
  std::set<std::string> datasets_seen;  // absolute_path + sha256, each checked once

  void add(CheckStatus s, std::string subject, std::string detail) {
    report.findings.push_back({s, std::move(subject), std::move(detail)});
  }

  void check_weights(const std::string& dir, const Json& recorded) {
    const ledger::WeightsHash now = ledger::hash_model_dir(dir);
    const Json& tensors = recorded["tensors"];
    for (const auto& [name, hash] : now.tensors) {
      if (!tensors.contains(name))
        add(CheckStatus::differs, "tensor " + name, "present in the weights but not in provenance.json");
      else if (tensors[name] != hash)
        add(CheckStatus::differs, "tensor " + name,
            fmt::format("recorded {}, now {}", tensors[name].get<std::string>(), hash));
    }
    for (const auto& [name, hash] : tensors.items())
      if (now.tensors.count(name) == 0)
        add(CheckStatus::differs, "tensor " + name, "recorded but missing from the weights");
    const std::string recorded_hash = recorded["sha256"];
    add(recorded_hash == now.sha256 ? CheckStatus::ok : CheckStatus::differs, "weights",
        fmt::format("{} tensors, recorded {}, now {}", now.tensors.size(), recorded_hash, now.sha256));
    if (is_file(dir + "/model.safetensors")) {
      const io::SafetensorsFile file(dir + "/model.safetensors");
      const auto& meta = file.metadata();
      const auto it = meta.find(ledger::kWeightsMetadataKey);
      if (it != meta.end() && it->second != now.sha256)
        add(CheckStatus::differs, "model.safetensors __metadata__",
            fmt::format("{} is {}, the tensors hash to {}", ledger::kWeightsMetadataKey, it->second, now.sha256));
    }
  }

  void check_dataset(const Json& d, const std::string& label) {
    if (d["kind"] != "file") return;
    const std::string path = d["absolute_path"], sha = d["sha256"];
    if (d["declared"].contains("teacher_provenance"))
      check_record(d["declared"]["teacher_provenance"],
                   label + " > teacher of dataset " + d["path"].get<std::string>());
    if (!datasets_seen.insert(path + " " + sha).second) return;
    const std::string subject = "dataset " + d["path"].get<std::string>();
    if (!is_file(path)) {
      add(CheckStatus::not_checked, subject, fmt::format("not found at {} (recorded by {})", path, label));
      return;
    }
    const std::string now = sha256_file(path);
    add(now == sha ? CheckStatus::ok : CheckStatus::differs, subject,
        fmt::format("at {}: recorded {}, now {}", path, sha, now));
  }

  void check_reference(const Json& ref, const std::string& label) {
    if (ref["provenance"].is_null()) {
      add(CheckStatus::not_checked, "record " + label,
          fmt::format("{} had no provenance.json; its weights hashed to {}", ref["path"].get<std::string>(),
                      ref["weights_sha256"].get<std::string>()));
      return;
    }
    const Json& p = ref["provenance"];
    const bool same = p["weights"]["sha256"] == ref["weights_sha256"];
    add(same ? CheckStatus::ok : CheckStatus::differs, "record " + label + " weights",
        fmt::format("referenced as {}, its provenance records {}", ref["weights_sha256"].get<std::string>(),
                    p["weights"]["sha256"].get<std::string>()));
    check_record(p, label);
  }

  // One provenance record and everything it embeds; `label` names it by its place in the lineage.
  void check_record(const Json& record, const std::string& label) {
    const std::string recorded = record["record_sha256"], now = ledger::record_sha256(record);
    add(recorded == now ? CheckStatus::ok : CheckStatus::differs, "record " + label,
        fmt::format("{} run: record_sha256 {}, content hashes to {}", record["run"]["kind"].get<std::string>(),
                    recorded, now));
    for (const Json& d : record["run"]["datasets"]) check_dataset(d, label);
    if (!record["base_model"].is_null())
      check_reference(record["base_model"], label + " > base " + record["base_model"]["path"].get<std::string>());
    for (const Json& t : record["run"]["teachers"])
      check_reference(t, label + " > teacher " + t["path"].get<std::string>());
  }
};

}  // namespace

bool VerifyReport::passed(bool strict) const {
  for (const Finding& f : findings)
    if (f.status == CheckStatus::differs || (strict && f.status == CheckStatus::not_checked)) return false;
  return true;
}

const char* status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::ok: return "ok";
    case CheckStatus::differs: return "DIFFERS";
    case CheckStatus::not_checked: return "not checked";
  }
  return "?";
}

VerifyReport verify_model(const std::string& dir) {
  const Json doc = ledger::read_provenance(dir);
  Verifier v;
  try {
    v.check_weights(dir, doc["weights"]);
    v.check_record(doc, "this model");
  } catch (const Json::exception& e) {
    // read_provenance checks every field verify reads; this names anything it missed.
    fail("{}/provenance.json: malformed: {}", dir, e.what());
  }
  return v.report;
}

}  // namespace aha::compliance
