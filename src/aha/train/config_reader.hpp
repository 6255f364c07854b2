// What every YAML run config (pretrain/sft, grpo, distill) shares: reading the file and the
// `--set key=value` overrides, typed values with errors that name file:line and key, and
// unknown keys reported with the nearest valid one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace YAML {
class Node;
}

namespace aha::train {

// Receives one key: its name, its YAML value and where it was given ("file:line" or
// "key=value (command-line override)"), for prefixing errors.
using ConfigSetter = std::function<void(const std::string& name, const YAML::Node& value, const std::string& where)>;

// Calls `set` for every top-level key of the YAML file `path` (which must be a mapping or
// empty), then for every override "key=value" (the value read as YAML). Invalid YAML is an
// Error naming path:line.
void read_config(const std::string& path, const std::vector<std::string>& overrides, const ConfigSetter& set);

// One input path of a config: its key and its value (empty: not given).
struct ConfigPath {
  std::string key, value;
};

// Checks that every given path of `paths` exists. Relative paths resolve against the current
// directory, as TRL's do; one missing there is an Error naming `config_path` and the key, which
// says so when a file of that name is beside the config file instead.
void check_input_paths(const std::string& config_path, const std::vector<ConfigPath>& paths);

// A config field of one of the types configs use.
using ConfigValue = std::variant<double*, int64_t*, bool*, std::string*, std::optional<double>*, std::optional<bool>*,
                                 std::vector<std::string>*, std::vector<double>*>;

// Sets `value` from `node`: a number, an integer, true/false, text (null: ""), null or a
// value for the optionals, a list (or one name) of names, a list of numbers. A value of the
// wrong type is an Error "where: key: expected ..., got ...".
void set_config_value(const ConfigValue& value, const YAML::Node& node, const std::string& key,
                      const std::string& where);

// The Error for an unknown key: the nearest of `names` suggested when one is close, else the
// doc that lists the keys (e.g. "docs/grpo.md").
[[noreturn]] void fail_unknown_key(const std::string& where, const std::string& name,
                                   const std::vector<std::string>& names, const std::string& doc);

// The valid key nearest to `key` by edit distance, or "" when none is close.
std::string nearest_key(const std::string& key, const std::vector<std::string>& keys);

// Checks TRL's LoRA keys (with use_peft): lora_r at least 1, lora_alpha positive, lora_dropout
// in [0, 1), lora_target_modules known (model/lora.hpp); `origin` names the config in errors.
void validate_lora_keys(int64_t lora_r, double lora_alpha, double lora_dropout,
                        const std::vector<std::string>& lora_target_modules, const std::string& origin);

// `text` as a number or an integer (all of it, no overflow); false when it is not one.
bool parse_config_number(const std::string& text, double& out);
bool parse_config_integer(const std::string& text, int64_t& out);

}  // namespace aha::train
