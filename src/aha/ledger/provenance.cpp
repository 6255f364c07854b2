#include "aha/ledger/provenance.hpp"

#include <sys/utsname.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/sha256.hpp"
#include "aha/ledger/behaviour_files.hpp"
#include "aha/ledger/weights_hash.hpp"
#include "aha/version_commit.hpp"

namespace aha::ledger {
namespace {

// 1: weights, run and lineage; 2: also "files", the SHA-256 of every behaviour file (config,
// tokenizer, chat template, ...) of the model and of each referenced model.
constexpr int kFormatVersion = 2;
// The power assumed per busy thread for the energy estimate, in watts (a server core's share of
// a typical 150-250 W CPU package). aha cannot measure power; the method says so.
constexpr double kWattsPerThread = 10.0;

// The value of "key : value" lines in a /proc file, or "".
std::string proc_field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }
  return "";
}

Json estimates(int64_t parameters, const RunRecord& run) {
  const double flops = 6.0 * static_cast<double>(parameters) * static_cast<double>(run.tokens_processed);
  const double threads = static_cast<double>(run.threads) * static_cast<double>(std::max<size_t>(1, run.hosts.size()));
  const double kwh = threads * kWattsPerThread * run.wall_seconds / 3.6e6;
  return {
      {"estimated_training_flops",
       {{"value", flops},
        {"method",
         "6 x parameters x tokens processed (forward and backward of a dense decoder, Kaplan et al. "
         "2020); an estimate, not a count"}}},
      {"estimated_energy_kwh",
       {{"value", kwh},
        {"method", fmt::format("threads ({}) x {} W assumed per busy thread x training wall time; an estimate, "
                               "not a measurement",
                               threads, kWattsPerThread)}}},
  };
}

void expect(bool ok, const std::string& origin, const std::string& field, const char* what) {
  if (!ok) fail("{}: malformed provenance: '{}' {}", origin, field, what);
}

// A "files" map: {relative name: SHA-256 hex}; `required` from format 2 on.
void check_files(const Json& parent, bool required, const std::string& origin, const std::string& field) {
  if (!parent.contains("files")) {
    expect(!required, origin, field, "is missing (format_version 2 records every behaviour file)");
    return;
  }
  const Json& files = parent["files"];
  expect(files.is_object(), origin, field, "must be an object of file name to SHA-256");
  for (const auto& [name, h] : files.items()) {
    expect(is_safe_relative_name(name), origin, field + "." + name,
           "must be a path inside the model directory (relative, no '..')");
    expect(h.is_string() && h.get_ref<const std::string&>().size() == 64, origin, field + "." + name,
           "must be a SHA-256 in hex");
  }
}

}  // namespace

Json hardware_description(int64_t threads) {
  Json h = {{"cpu", proc_field("/proc/cpuinfo", "model name")},
            {"logical_cores", std::thread::hardware_concurrency()},
            {"threads_used", threads},
            {"memory", proc_field("/proc/meminfo", "MemTotal")},
            {"accelerator", nullptr}};
  utsname u{};
  if (uname(&u) == 0) h["os"] = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  return h;
}

std::string record_sha256(const Json& record) {
  Json copy = record;
  copy.erase("record_sha256");
  return sha256_hex(copy.dump());
}

Json model_reference(const std::string& dir) {
  const WeightsHash w = hash_model_dir(dir);
  Json ref = {
      {"path", dir}, {"weights_sha256", w.sha256}, {"files", hash_behaviour_files(dir)}, {"provenance", nullptr}};
  if (is_file(dir + "/provenance.json")) ref["provenance"] = read_provenance(dir);
  return ref;
}

Json write_provenance(const std::string& model_dir, const RunRecord& run, const std::string& base_model_dir) {
  const WeightsHash w = hash_model_dir(model_dir);
  Json datasets = Json::array();
  for (const DatasetRecord& d : run.datasets) datasets.push_back(to_json(d));
  Json run_json = {{"kind", run.kind},
                   {"datasets", datasets},
                   {"rewards", run.rewards},
                   {"teachers", run.teachers},
                   {"adapters", run.adapters},
                   {"config", run.config},
                   {"aha_version", AHA_VERSION},
                   {"aha_commit", AHA_GIT_COMMIT},
                   {"seed", run.seed},
                   {"hardware", hardware_description(run.threads)},
                   {"processes", std::max<size_t>(1, run.hosts.size())},
                   {"hosts", run.hosts},
                   {"started_at", run.started_at},
                   {"finished_at", utc_now()},
                   {"wall_seconds", run.wall_seconds},
                   {"tokens_processed", run.tokens_processed}};
  run_json.update(estimates(w.parameters, run));
  Json doc = {
      {"format", "aha-provenance"},
      {"format_version", kFormatVersion},
      {"weights",
       {{"sha256", w.sha256}, {"method", kWeightsHashMethod}, {"parameters", w.parameters}, {"tensors", w.tensors}}},
      {"files", hash_behaviour_files(model_dir)},
      {"run", run_json},
      {"base_model", base_model_dir.empty() ? Json(nullptr) : model_reference(base_model_dir)}};
  doc["record_sha256"] = record_sha256(doc);
  write_file_atomic(model_dir + "/provenance.json", doc.dump(2) + "\n");
  return doc;
}

Json write_merge_provenance(const std::string& merged_dir, const std::string& adapter_dir, const std::string& base_dir,
                            const std::string& started_at, double wall_seconds) {
  RunRecord run;
  run.kind = "merge";
  run.adapters.push_back(model_reference(adapter_dir));
  run.config = {{"adapter", adapter_dir}, {"base_model", base_dir}};
  run.threads = 1;
  run.started_at = started_at;
  run.wall_seconds = wall_seconds;
  return write_provenance(merged_dir, run, base_dir);
}

void check_provenance(const Json& doc, const std::string& origin) {
  expect(doc.is_object(), origin, "(top level)", "must be an object");
  expect(doc.contains("format") && doc["format"] == "aha-provenance", origin, "format", "must be \"aha-provenance\"");
  expect(doc.contains("record_sha256") && doc["record_sha256"].is_string(), origin, "record_sha256",
         "must be a string");
  const Json version = doc.value("format_version", Json(1));
  expect(version.is_number_integer() && version.get<int64_t>() >= 1, origin, "format_version",
         "must be a positive integer");
  if (version.get<int64_t>() > kFormatVersion)
    fail("{}: provenance format_version {} was written by a newer aha (this one reads up to {})", origin,
         version.get<int64_t>(), kFormatVersion);
  check_files(doc, version.get<int64_t>() >= 2, origin, "files");
  expect(doc.contains("weights") && doc["weights"].is_object(), origin, "weights", "must be an object");
  const Json& w = doc["weights"];
  expect(w.contains("sha256") && w["sha256"].is_string(), origin, "weights.sha256", "must be a string");
  expect(w.contains("tensors") && w["tensors"].is_object(), origin, "weights.tensors", "must be an object");
  for (const auto& [name, h] : w["tensors"].items())
    expect(h.is_string(), origin, "weights.tensors." + name, "must be a string");
  expect(doc.contains("run") && doc["run"].is_object(), origin, "run", "must be an object");
  const Json& run = doc["run"];
  expect(run.contains("kind") && run["kind"].is_string(), origin, "run.kind", "must be a string");
  expect(run.contains("datasets") && run["datasets"].is_array(), origin, "run.datasets", "must be an array");
  for (const Json& d : run["datasets"]) {
    dataset_from_json(d, origin + ": run.datasets");
    if (d.contains("declared") && d["declared"].contains("teacher_provenance"))
      check_provenance(d["declared"]["teacher_provenance"], origin + ": teacher_provenance of a dataset");
  }
  expect(run.contains("teachers") && run["teachers"].is_array(), origin, "run.teachers", "must be an array");
  expect(run.contains("rewards") && run["rewards"].is_array(), origin, "run.rewards", "must be an array");
  // "adapters" is recorded by merges (absent from records written before aha merge wrote any).
  expect(!run.contains("adapters") || run["adapters"].is_array(), origin, "run.adapters", "must be an array");
  for (const char* f : {"wall_seconds", "tokens_processed", "seed"})
    expect(run.contains(f) && run[f].is_number(), origin, std::string("run.") + f, "must be a number");
  for (const char* f : {"started_at", "aha_version", "aha_commit"})
    expect(run.contains(f) && run[f].is_string(), origin, std::string("run.") + f, "must be a string");
  expect(run.contains("hardware") && run["hardware"].is_object(), origin, "run.hardware", "must be an object");
  for (const char* f : {"estimated_training_flops", "estimated_energy_kwh"})
    expect(run.contains(f) && run[f].is_object() && run[f].contains("value") && run[f]["value"].is_number() &&
               run[f].contains("method") && run[f]["method"].is_string(),
           origin, std::string("run.") + f, "must be an object with a number 'value' and a string 'method'");
  expect(w.contains("parameters") && w["parameters"].is_number(), origin, "weights.parameters", "must be a number");
  expect(w.contains("method") && w["method"].is_string(), origin, "weights.method", "must be a string");
  expect(doc.contains("base_model"), origin, "base_model", "is missing (null when trained from scratch)");
  const Json& base = doc["base_model"];
  std::vector<const Json*> refs;
  if (!base.is_null()) refs.push_back(&base);
  for (const Json& t : run["teachers"]) refs.push_back(&t);
  if (run.contains("adapters"))
    for (const Json& a : run["adapters"]) refs.push_back(&a);
  for (const Json* ref : refs) {
    expect(ref->is_object() && ref->contains("weights_sha256") && (*ref)["weights_sha256"].is_string() &&
               ref->contains("path") && (*ref)["path"].is_string() && ref->contains("provenance"),
           origin, "base_model/teachers/adapters", "must be objects with path, weights_sha256 and provenance");
    check_files(*ref, false, origin, "base_model/teachers/adapters files");
    if (!(*ref)["provenance"].is_null()) check_provenance((*ref)["provenance"], origin + ": embedded provenance");
  }
}

Json parse_provenance(const std::string& text, const std::string& origin) {
  Json doc = parse_json(text, origin);
  check_provenance(doc, origin);
  return doc;
}

std::string read_provenance_bytes(const std::string& dir) {
  const std::string path = dir + "/provenance.json";
  if (!is_file(path)) fail("{}: no provenance.json (models aha trains carry one)", dir);
  return read_file(path);
}

Json read_provenance(const std::string& dir) {
  return parse_provenance(read_provenance_bytes(dir), dir + "/provenance.json");
}

}  // namespace aha::ledger
