#include "aha/compliance/verify.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <set>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/base/sha256.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/ledger/behaviour_files.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/ledger/signature.hpp"
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

  // The behaviour files of `dir` against the "files" map of `holder` (a record or a model
  // reference); `prefix` starts each subject. A record without the map (format 1) vouches for none.
  void check_files(const std::string& dir, const Json& holder, const std::string& prefix) {
    const std::vector<std::string> present = ledger::present_behaviour_files(dir);
    if (!holder.contains("files")) {
      if (!present.empty())
        add(CheckStatus::not_checked, prefix + "files",
            fmt::format("not recorded (provenance format 1), so verify cannot vouch for: {}",
                        fmt::join(present, ", ")));
      return;
    }
    const Json& files = holder["files"];
    std::set<std::string> names(present.begin(), present.end());
    for (const auto& [name, hash] : files.items()) names.insert(name);
    for (const std::string& name : names) {
      const std::string subject = prefix + "file " + name;
      if (!files.contains(name)) {
        add(CheckStatus::differs, subject, "present but not in provenance.json (added after the record was written)");
        continue;
      }
      const std::string recorded = files[name];
      if (!is_file(dir + "/" + name)) {
        add(CheckStatus::differs, subject, fmt::format("recorded {}, now missing", recorded));
        continue;
      }
      const std::string now = sha256_file(dir + "/" + name);
      add(now == recorded ? CheckStatus::ok : CheckStatus::differs, subject,
          now == recorded ? fmt::format("sha256 {}", now) : fmt::format("recorded {}, now {}", recorded, now));
    }
  }

  // An adapter changes nothing without its base model: the base that adapter_config.json names is
  // re-hashed, when it is on disk, against the base the adapter was trained on.
  void check_adapter_base(const std::string& dir, const Json& record) {
    if (!io::is_adapter_dir(dir)) return;
    const io::AdapterConfig config = io::read_adapter_config(dir);
    std::filesystem::path base(config.base_model_name_or_path);
    if (base.is_relative()) base = std::filesystem::path(dir) / base;
    const std::string subject = "base model " + base.string();
    const Json& ref = record["base_model"];
    if (ref.is_null()) {
      add(CheckStatus::differs, subject, "adapter_config.json names it, but provenance.json records no base model");
      return;
    }
    const std::string recorded = ref["weights_sha256"];
    if (!is_file((base / "config.json").string())) {
      add(CheckStatus::not_checked, subject,
          fmt::format("not found (adapter_config.json names it); the adapter was trained on weights hashing to {}",
                      recorded));
      return;
    }
    const std::string now = ledger::hash_model_dir(base.string()).sha256;
    add(now == recorded ? CheckStatus::ok : CheckStatus::differs, subject + " weights",
        fmt::format("recorded {}, now {}", recorded, now));
    check_files(base.string(), ref, subject + " ");
  }

  // dir/provenance.sig over `provenance` (the record's bytes) by the key in `public_key`.
  void check_signature(const std::string& dir, const std::string& provenance, const std::string& public_key) {
    const std::string key_id = ledger::public_key_id(public_key);
    if (!is_file(dir + "/" + ledger::kSignatureFile)) {
      add(CheckStatus::differs, "signature",
          fmt::format("no {}: --pubkey needs a record signed with aha sign", ledger::kSignatureFile));
      return;
    }
    const ledger::SignatureFile sig = ledger::read_signature(dir);
    if (sig.key_id != key_id) {
      add(CheckStatus::differs, "signature",
          fmt::format("made by key {}, not by the --pubkey key {}", sig.key_id, key_id));
      return;
    }
    if (!ledger::signature_matches(sig, provenance, public_key)) {
      add(CheckStatus::differs, "signature",
          fmt::format("not valid for provenance.json as it is (sha256 {}; the signed file's was {})",
                      sha256_hex(provenance), sig.signed_sha256));
      return;
    }
    add(CheckStatus::ok, "signature", fmt::format("Ed25519 by key {} over provenance.json", key_id));
    report.signed_by = key_id;
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
    if (record["run"].contains("adapters"))
      for (const Json& a : record["run"]["adapters"]) {
        check_reference(a, label + " > adapter " + a["path"].get<std::string>());
        check_merge_base(record, a, label);
      }
  }

  // A merge's adapter was trained on a base its own provenance records; the merge used base_model.
  void check_merge_base(const Json& record, const Json& adapter, const std::string& label) {
    const Json& merged_into = record["base_model"];
    const Json& p = adapter["provenance"];
    if (merged_into.is_null() || p.is_null() || p["base_model"].is_null()) return;
    const std::string trained_on = p["base_model"]["weights_sha256"], used = merged_into["weights_sha256"];
    add(trained_on == used ? CheckStatus::ok : CheckStatus::differs,
        "record " + label + " > adapter " + adapter["path"].get<std::string>() + " base",
        fmt::format("trained on a base hashing to {}, merged into one hashing to {}", trained_on, used));
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

namespace {

void check_contents(Verifier& v, const std::string& dir, const std::string& provenance) {
  const Json doc = ledger::parse_provenance(provenance, dir + "/provenance.json");
  try {
    v.check_weights(dir, doc["weights"]);
    v.check_files(dir, doc, "");
    v.check_adapter_base(dir, doc);
    v.check_record(doc, "this model");
  } catch (const Json::exception& e) {
    // parse_provenance checks every field verify reads; this names anything it missed.
    fail("{}/provenance.json: malformed: {}", dir, e.what());
  }
}

}  // namespace

VerifyReport verify_contents(const std::string& dir, const std::string& provenance) {
  Verifier v;
  check_contents(v, dir, provenance);
  return v.report;
}

VerifyReport verify_model(const std::string& dir, const std::string& public_key) {
  Verifier v;
  if (!public_key.empty()) {
    ledger::require_key_outside(public_key, dir, "public key");
    ledger::public_key_id(public_key);  // a bad key is exit 2 before anything is checked
  }
  // Read once: the signature and every check below cover these bytes, whatever happens to the file.
  const std::string provenance = ledger::read_provenance_bytes(dir);
  if (!public_key.empty()) {
    v.check_signature(dir, provenance, public_key);
  } else if (is_file(dir + "/" + ledger::kSignatureFile)) {
    const ledger::SignatureFile sig = ledger::read_signature(dir);
    v.add(CheckStatus::not_checked, "signature",
          fmt::format("{} by key {}; give --pubkey to check it", ledger::kSignatureFile, sig.key_id));
  }
  check_contents(v, dir, provenance);
  return v.report;
}

}  // namespace aha::compliance
