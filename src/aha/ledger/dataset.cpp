#include "aha/ledger/dataset.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/sha256.hpp"
#include "aha/base/yaml.hpp"

namespace aha::ledger {
namespace fs = std::filesystem;
namespace {

std::string known_keys() {
  std::string out;
  for (const std::string& k : declaration_keys()) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// Checks a DATASET.yaml's fields: known keys, strings (language: a string or list of strings).
Json check_declaration(const Json& d, const std::string& origin) {
  if (d.is_null()) return Json::object();
  if (!d.is_object()) fail("{}: must be a mapping of the keys {}", origin, known_keys());
  for (const auto& [key, value] : d.items()) {
    const auto& keys = declaration_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      fail("{}: unknown key '{}' (known: {})", origin, key, known_keys());
    if (key == "teacher_provenance") {
      if (!value.is_object()) fail("{}: 'teacher_provenance' must be a mapping (a provenance.json)", origin);
    } else if (key == "generation") {
      if (!value.is_object()) fail("{}: 'generation' must be a mapping (how the data was generated)", origin);
    } else if (key == "language") {
      const bool ok =
          value.is_string() ||
          (value.is_array() && std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); }));
      if (!ok) fail("{}: 'language' must be a string or a list of strings", origin);
    } else if (!value.is_string()) {
      fail("{}: '{}' must be a string, got {}", origin, key, json_type_name(value));
    }
  }
  if (d.contains("category")) {
    const std::string c = d["category"];
    static const std::vector<std::string> kCategories = {"public", "private", "crawled", "user", "synthetic", "other"};
    if (std::find(kCategories.begin(), kCategories.end(), c) == kCategories.end())
      fail("{}: 'category' is '{}'; expected one of public, private, crawled, user, synthetic, other", origin, c);
  }
  return d;
}

std::string sidecar_of(const std::string& path) {
  if (is_file(path + ".DATASET.yaml")) return path + ".DATASET.yaml";
  const fs::path p(path);
  const std::string folder = p.has_parent_path() ? p.parent_path().string() : ".";
  if (is_file(folder + "/DATASET.yaml")) return folder + "/DATASET.yaml";
  return "";
}

}  // namespace

const std::vector<std::string>& declaration_keys() {
  static const std::vector<std::string> keys = {"name",     "description",        "source",    "license",
                                                "language", "content_type",       "category",  "generated_by",
                                                "acquired", "teacher_provenance", "generation"};
  return keys;
}

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

DatasetRecord fingerprint_file(const std::string& path, const std::string& role, int64_t records, int64_t tokens) {
  DatasetRecord r;
  r.role = role;
  r.kind = "file";
  r.path = path;
  std::error_code ec;
  r.absolute_path = fs::absolute(path, ec).lexically_normal().string();
  r.sha256 = sha256_file(path, &r.bytes);
  r.records = records;
  r.tokens = tokens;
  r.read_at = utc_now();
  r.declared_in = sidecar_of(path);
  if (!r.declared_in.empty())
    r.declared = check_declaration(yaml_to_json(read_file(r.declared_in), r.declared_in), r.declared_in);
  return r;
}

DatasetRecord generator_record(const std::string& name, const std::string& version, const Json& parameters,
                               uint64_t seed, const std::string& role, int64_t records, int64_t tokens) {
  DatasetRecord r;
  r.role = role;
  r.kind = "generator";
  r.generator = name;
  r.generator_version = version;
  r.parameters = parameters;
  r.seed = seed;
  r.records = records;
  r.tokens = tokens;
  r.read_at = utc_now();
  return r;
}

Json to_json(const DatasetRecord& r) {
  Json j = {{"role", r.role}, {"kind", r.kind}, {"records", r.records}, {"tokens", r.tokens}, {"read_at", r.read_at}};
  if (r.kind == "file") {
    j.update({{"path", r.path},
              {"absolute_path", r.absolute_path},
              {"sha256", r.sha256},
              {"bytes", r.bytes},
              {"declared", r.declared},
              {"declared_in", r.declared_in}});
  } else {
    j.update(
        {{"generator", r.generator}, {"version", r.generator_version}, {"parameters", r.parameters}, {"seed", r.seed}});
  }
  return j;
}

DatasetRecord dataset_from_json(const Json& j, const std::string& origin) {
  DatasetRecord r;
  try {
    r.role = j.at("role");
    r.kind = j.at("kind");
    r.records = j.at("records");
    r.tokens = j.at("tokens");
    r.read_at = j.at("read_at");
    if (r.kind == "file") {
      r.path = j.at("path");
      r.absolute_path = j.at("absolute_path");
      r.sha256 = j.at("sha256");
      r.bytes = j.at("bytes");
      r.declared = check_declaration(j.at("declared"), origin + ": 'declared' of " + r.path);
      r.declared_in = j.at("declared_in");
    } else if (r.kind == "generator") {
      r.generator = j.at("generator");
      r.generator_version = j.at("version");
      r.parameters = j.at("parameters");
      r.seed = j.at("seed");
    } else {
      fail("{}: dataset kind '{}' is neither 'file' nor 'generator'", origin, r.kind);
    }
  } catch (const Json::exception& e) {
    fail("{}: malformed dataset record: {}", origin, e.what());
  }
  return r;
}

}  // namespace aha::ledger
