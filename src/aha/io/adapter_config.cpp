#include "aha/io/adapter_config.hpp"

#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/gguf/reader.hpp"

namespace aha::io {
namespace fs = std::filesystem;
namespace {

// The PEFT release whose adapter_config.json keys aha writes.
constexpr const char* kPeftVersion = "0.18.1";

// `key` of `j` as T, or `fallback` when absent or null; a wrong type is an Error.
template <typename T>
T get_or(const Json& j, const char* key, T fallback, const std::string& origin, const char* expected) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const Json::exception&) {
    fail("{}: {}: expected {}, got {}", origin, key, expected, json_type_name(*it));
  }
}

// Fails unless `key` is absent, null, false, or an empty object/list.
void require_unused(const Json& j, const char* key, const std::string& origin, const char* what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null() || (it->is_boolean() && !it->get<bool>()) ||
      ((it->is_object() || it->is_array()) && it->empty()))
    return;
  fail("{}: {}: {} is not supported by aha", origin, key, what);
}

}  // namespace

bool is_adapter_dir(const std::string& dir) { return is_file((fs::path(dir) / "adapter_config.json").string()); }

AdapterConfig read_adapter_config(const std::string& dir) {
  const std::string origin = (fs::path(dir) / "adapter_config.json").string();
  const Json j = read_json_file(origin);
  if (!j.is_object()) fail("{}: expected a JSON object", origin);
  const std::string type = get_or<std::string>(j, "peft_type", "", origin, "a string");
  if (type != "LORA") fail("{}: peft_type: expected \"LORA\", got \"{}\"", origin, type);
  AdapterConfig c;
  c.base_model_name_or_path = get_or<std::string>(j, "base_model_name_or_path", "", origin, "a string");
  c.r = get_or<int64_t>(j, "r", 8, origin, "an integer");
  c.lora_alpha = get_or<double>(j, "lora_alpha", 8.0, origin, "a number");
  c.lora_dropout = get_or<double>(j, "lora_dropout", 0.0, origin, "a number");
  c.use_rslora = get_or<bool>(j, "use_rslora", false, origin, "true or false");
  if (c.r < 1) fail("{}: r: must be at least 1, got {}", origin, c.r);
  if (!(c.lora_dropout >= 0.0 && c.lora_dropout < 1.0)) fail("{}: lora_dropout: must be in [0, 1)", origin);
  auto targets = j.find("target_modules");
  if (targets == j.end() || targets->is_null()) fail("{}: target_modules: required", origin);
  if (targets->is_string()) c.target_modules = {targets->get<std::string>()};
  else c.target_modules = get_or<std::vector<std::string>>(j, "target_modules", {}, origin, "a list of names");
  const std::string bias = get_or<std::string>(j, "bias", "none", origin, "a string");
  if (bias != "none") fail("{}: bias: \"{}\" is not supported by aha (only \"none\")", origin, bias);
  require_unused(j, "use_dora", origin, "DoRA");
  require_unused(j, "fan_in_fan_out", origin, "fan_in_fan_out");
  require_unused(j, "modules_to_save", origin, "modules_to_save");
  require_unused(j, "rank_pattern", origin, "a per-module rank");
  require_unused(j, "alpha_pattern", origin, "a per-module alpha");
  require_unused(j, "layers_to_transform", origin, "a layer selection");
  require_unused(j, "lora_bias", origin, "lora_bias");
  require_unused(j, "use_qalora", origin, "QA-LoRA");
  require_unused(j, "target_parameters", origin, "target_parameters");
  require_unused(j, "trainable_token_indices", origin, "trainable_token_indices");
  require_unused(j, "alora_invocation_tokens", origin, "aLoRA");
  return c;
}

std::string adapter_config_json(const AdapterConfig& c) {
  // nlohmann::json sorts keys, as PEFT's save_pretrained (json.dumps(sort_keys=True)) does.
  Json j = {{"alora_invocation_tokens", nullptr},
            {"alpha_pattern", Json::object()},
            {"arrow_config", nullptr},
            {"auto_mapping", nullptr},
            {"base_model_name_or_path", c.base_model_name_or_path},
            {"bias", "none"},
            {"corda_config", nullptr},
            {"ensure_weight_tying", false},
            {"eva_config", nullptr},
            {"exclude_modules", nullptr},
            {"fan_in_fan_out", false},
            {"inference_mode", true},
            {"init_lora_weights", true},
            {"layer_replication", nullptr},
            {"layers_pattern", nullptr},
            {"layers_to_transform", nullptr},
            {"loftq_config", Json::object()},
            {"lora_alpha", c.lora_alpha},
            {"lora_bias", false},
            {"lora_dropout", c.lora_dropout},
            {"megatron_config", nullptr},
            {"megatron_core", "megatron.core"},
            {"modules_to_save", nullptr},
            {"peft_type", "LORA"},
            {"peft_version", kPeftVersion},
            {"qalora_group_size", 16},
            {"r", c.r},
            {"rank_pattern", Json::object()},
            {"revision", nullptr},
            {"target_modules", c.target_modules},
            {"target_parameters", nullptr},
            {"task_type", "CAUSAL_LM"},
            {"trainable_token_indices", nullptr},
            {"use_dora", false},
            {"use_qalora", false},
            {"use_rslora", c.use_rslora}};
  // PEFT writes an integral alpha as an integer (lora_alpha: int = 8).
  if (c.lora_alpha == static_cast<double>(static_cast<int64_t>(c.lora_alpha)))
    j["lora_alpha"] = static_cast<int64_t>(c.lora_alpha);
  return j.dump(2) + "\n";
}

std::string adapter_base_dir(const std::string& dir, const AdapterConfig& c) {
  const std::string origin = (fs::path(dir) / "adapter_config.json").string();
  if (c.base_model_name_or_path.empty())
    fail("{}: base_model_name_or_path: required, the base model directory the adapter applies to", origin);
  fs::path base(c.base_model_name_or_path);
  if (base.is_relative()) base = fs::path(dir) / base;
  if (gguf::is_gguf_path(base.string())) return base.string();
  if (!is_file((base / "config.json").string()))
    fail(
        "{}: base_model_name_or_path '{}' is not a model directory ({} has no config.json) or .gguf file; aha "
        "does not download models",
        origin, c.base_model_name_or_path, base.string());
  if (is_adapter_dir(base.string()))
    fail("{}: base_model_name_or_path '{}' is itself an adapter", origin, c.base_model_name_or_path);
  return base.string();
}

std::string model_file_dir(const std::string& dir, const std::string& name) {
  if (is_file((fs::path(dir) / name).string()) || !is_adapter_dir(dir)) return dir;
  return adapter_base_dir(dir, read_adapter_config(dir));
}

}  // namespace aha::io
