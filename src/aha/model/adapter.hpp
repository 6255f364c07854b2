// LoRA adapters as files: an adapter directory in PEFT's layout read into a Lora, and written.
#pragma once

#include <functional>
#include <string>

#include "aha/io/adapter_config.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/model/lora.hpp"

namespace aha::model {

// The settings of adapter_config.json (target modules resolved); `origin` names it in errors.
LoraSettings lora_settings(const io::AdapterConfig& config, const std::string& origin);

// The adapter of `dir` (opened on an adapter directory) with its weights from
// adapter_model.safetensors, checked against the base model's shapes.
Lora load_adapter(const io::ModelDir& dir);

// Writes `dir`/adapter_config.json and `dir`/adapter_model.safetensors (F32, PEFT's names), each
// atomically; `base_model` becomes base_model_name_or_path.
void write_adapter(const std::string& dir, const Lora& lora, const std::string& base_model);

// Writes directory `out`: adapter `adapter_dir` merged into its base model, as a full HF model
// directory (the base's config.json, model.safetensors in F32 with W + (alpha/r)·B·A, tokenizer
// and generation files from the adapter directory or else the base). It is written under a
// temporary name and renamed when complete; `out` must not exist or be an empty directory.
// `finish`, when given, is called with the temporary directory once the model is in it (to add a
// file, e.g. provenance.json, before the directory appears under its name).
void merge_adapter(const std::string& adapter_dir, const std::string& out,
                   const std::function<void(const std::string& dir)>& finish = {});

}  // namespace aha::model
