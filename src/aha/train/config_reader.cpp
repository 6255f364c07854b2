#include "aha/train/config_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/model/lora.hpp"

namespace aha::train {
namespace {

bool parse_bool(const std::string& s, bool& out) {
  if (s == "true" || s == "True" || s == "TRUE") return out = true, true;
  if (s == "false" || s == "False" || s == "FALSE") return out = false, true;
  return false;
}

// A list of names from a YAML list, or from one name ("all-linear").
void set_names(std::vector<std::string>& out, const YAML::Node& node, const std::string& key,
               const std::string& where) {
  out.clear();
  if (node.IsScalar()) return out.push_back(node.Scalar());
  if (!node.IsSequence()) fail("{}: {}: expected a list of names", where, key);
  for (const auto& item : node) {
    if (!item.IsScalar()) fail("{}: {}: expected a list of names", where, key);
    out.push_back(item.Scalar());
  }
}

void set_numbers(std::vector<double>& out, const YAML::Node& node, const std::string& key, const std::string& where) {
  out.clear();
  if (!node.IsSequence()) fail("{}: {}: expected a list of numbers", where, key);
  for (const auto& v : node) {
    double x = 0;
    if (!v.IsScalar() || !parse_config_number(v.Scalar(), x)) fail("{}: {}: expected a list of numbers", where, key);
    out.push_back(x);
  }
}

// A scalar (or null) value of one of the single-value types.
void set_scalar(const ConfigValue& value, const YAML::Node& node, const std::string& key, const std::string& where) {
  if (!node.IsScalar() && !node.IsNull())
    fail("{}: {}: expected a single value, got a {}", where, key, node.IsMap() ? "mapping" : "list");
  const std::string text = node.IsNull() ? "" : node.Scalar();
  auto bad = [&](const char* expected) { fail("{}: {}: expected {}, got \"{}\"", where, key, expected, text); };
  std::visit(
      [&](auto* target) {
        using T = std::remove_cvref_t<decltype(*target)>;
        if constexpr (std::is_same_v<T, double>) {
          if (!parse_config_number(text, *target)) bad("a number");
        } else if constexpr (std::is_same_v<T, int64_t>) {
          if (!parse_config_integer(text, *target)) bad("an integer");
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!parse_bool(text, *target)) bad("true or false");
        } else if constexpr (std::is_same_v<T, std::optional<double>>) {
          double x = 0;
          if (node.IsNull()) *target = std::nullopt;
          else if (!parse_config_number(text, x)) bad("a number or null");
          else *target = x;
        } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
          bool x = false;
          if (node.IsNull()) *target = std::nullopt;
          else if (!parse_bool(text, x)) bad("true, false or null");
          else *target = x;
        } else if constexpr (std::is_same_v<T, std::string>) {
          *target = text;
        } else {
          fail_internal("set_scalar: a list type");
        }
      },
      value);
}

}  // namespace

void read_config(const std::string& path, const std::vector<std::string>& overrides, const ConfigSetter& set) {
  YAML::Node root;
  try {
    root = YAML::Load(read_file(path));
  } catch (const YAML::Exception& e) {
    fail("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg);
  }
  if (!root.IsNull() && !root.IsMap()) fail("{}: expected a mapping of keys to values", path);
  if (root.IsMap())
    for (const auto& item : root)
      set(item.first.Scalar(), item.second, fmt::format("{}:{}", path, item.first.Mark().line + 1));
  for (const std::string& text : overrides) {
    const size_t eq = text.find('=');
    const std::string where = text + " (command-line override)";
    if (eq == std::string::npos || eq == 0) fail("{}: expected key=value", where);
    YAML::Node value;
    try {
      value = YAML::Load(text.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      fail("{}: the value is not valid YAML: {}", where, e.msg);
    }
    set(text.substr(0, eq), value, where);
  }
}

void check_input_paths(const std::string& config_path, const std::vector<ConfigPath>& paths) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const ConfigPath& p : paths) {
    if (p.value.empty() || fs::exists(p.value, ec)) continue;
    const fs::path beside = fs::path(config_path).parent_path() / p.value;
    if (fs::path(p.value).is_relative() && fs::path(config_path).has_parent_path() && fs::exists(beside, ec))
      fail(
          "{}: {}: {}: not found in the current directory; a file of that name is beside the config ({}): run from "
          "there or give the path",
          config_path, p.key, p.value, beside.string());
    fail("{}: {}: {}: not found (relative paths resolve against the current directory, {})", config_path, p.key,
         p.value, fs::current_path(ec).string());
  }
}

void set_config_value(const ConfigValue& value, const YAML::Node& node, const std::string& key,
                      const std::string& where) {
  if (auto* names = std::get_if<std::vector<std::string>*>(&value)) return set_names(**names, node, key, where);
  if (auto* numbers = std::get_if<std::vector<double>*>(&value)) return set_numbers(**numbers, node, key, where);
  set_scalar(value, node, key, where);
}

void fail_unknown_key(const std::string& where, const std::string& name, const std::vector<std::string>& names,
                      const std::string& doc) {
  const std::string near = nearest_key(name, names);
  if (near.empty()) fail("{}: unknown key '{}' ({} lists the keys)", where, name, doc);
  fail("{}: unknown key '{}'; did you mean '{}'?", where, name, near);
}

std::string nearest_key(const std::string& key, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = std::max<size_t>(3, key.size() / 3) + 1;
  for (const std::string& name : names) {
    // Levenshtein distance, one row at a time.
    std::vector<size_t> row(name.size() + 1);
    for (size_t j = 0; j <= name.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= key.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= name.size(); ++j) {
        const size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (key[i - 1] == name[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    if (row[name.size()] < best_distance) best_distance = row[name.size()], best = name;
  }
  return best;
}

void validate_lora_keys(int64_t lora_r, double lora_alpha, double lora_dropout,
                        const std::vector<std::string>& lora_target_modules, const std::string& origin) {
  if (lora_r < 1) fail("{}: lora_r: must be at least 1", origin);
  if (!(lora_alpha > 0)) fail("{}: lora_alpha: must be positive", origin);
  if (!(lora_dropout >= 0 && lora_dropout < 1)) fail("{}: lora_dropout: must be in [0, 1)", origin);
  model::resolve_lora_targets(lora_target_modules, origin + ": lora_target_modules");
}

bool parse_config_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || *end != '\0') return false;
  out = v;
  return true;
}

bool parse_config_integer(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  out = v;
  return true;
}

}  // namespace aha::train
