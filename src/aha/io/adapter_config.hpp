// A LoRA adapter directory in PEFT's layout: adapter_config.json (read and written with PEFT's
// keys) beside adapter_model.safetensors (tensor names in model/lora.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aha::io {

struct AdapterConfig {
  std::string base_model_name_or_path;  // as written in the file
  int64_t r = 8;
  double lora_alpha = 8.0;
  double lora_dropout = 0.0;
  bool use_rslora = false;
  std::vector<std::string> target_modules;  // as written ("all-linear" is kept as it is)
};

// True when `dir` holds adapter_config.json.
bool is_adapter_dir(const std::string& dir);

// Reads dir/adapter_config.json; LoRA features aha does not implement (DoRA, biases, per-module
// ranks, modules_to_save, fan_in_fan_out, layer selections) are Errors naming the key.
AdapterConfig read_adapter_config(const std::string& dir);

// adapter_config.json's text as PEFT writes it: every key of PEFT's LoraConfig, sorted.
std::string adapter_config_json(const AdapterConfig& config);

// The base model directory of adapter `dir`: base_model_name_or_path when absolute, else relative
// to `dir`; an Error naming adapter_config.json when it is not a directory with config.json.
std::string adapter_base_dir(const std::string& dir, const AdapterConfig& config);

// Where model directory `dir` keeps file `name` (tokenizer.json, generation_config.json, ...):
// `dir` itself, or for an adapter directory that lacks the file, its base model directory.
std::string model_file_dir(const std::string& dir, const std::string& name);

}  // namespace aha::io
