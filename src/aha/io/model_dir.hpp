// A model directory in Hugging Face layout: config.json plus model.safetensors or shards
// listed in model.safetensors.index.json; or a LoRA adapter directory in PEFT's layout
// (adapter_config.json, adapter_model.safetensors), which opens its base model's files; or a GGUF
// file (io/gguf), seen through the config.json and HF tensors it describes.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aha/io/adapter_config.hpp"
#include "aha/io/gguf/reader.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/io/safetensors.hpp"

namespace aha::io {

class ModelDir {
 public:
  // Opens `dir`: reads config.json and maps every safetensors file; errors name the file. For an
  // adapter directory these are its base model's, and adapter() describes the adapter. A `.gguf`
  // file (or an adapter whose base is one) is mapped and validated instead.
  explicit ModelDir(const std::string& dir);

  // The directory path.
  const std::string& path() const { return dir_; }
  // The directory of config.json and the weights: path(), or an adapter's base model.
  const std::string& base_path() const { return base_dir_; }
  // The adapter's config when path() is an adapter directory, else nullptr.
  const AdapterConfig* adapter() const { return adapter_ ? &*adapter_ : nullptr; }
  // The parsed config.json.
  const ModelConfig& config() const { return config_; }
  // The GGUF file when the model is one, else nullptr.
  const gguf::GgufFile* gguf() const { return gguf_.get(); }
  // The path of config.json, or of the GGUF file (for error messages).
  const std::string& config_path() const { return config_path_; }
  // True when some safetensors file of the model holds `name`.
  bool contains(const std::string& name) const;
  // For a GGUF file: the type tensor `name` is stored in (nullopt when absent), and its Q8_0
  // blocks when it is stored so (io/gguf/import_model.hpp); nullopt for safetensors.
  std::optional<gguf::TensorType> gguf_type(const std::string& name) const;
  std::optional<std::vector<uint8_t>> q8_0_blocks(const std::string& name) const;
  // A view of tensor `name`; throws naming the directory when absent.
  tensor::Tensor get(const std::string& name) const;
  // Drops tensor `name`'s pages from resident memory once it has been copied out.
  void release(const std::string& name) const;
  // The path of the file that holds tensor `name` (for error messages).
  const std::string& file_of(const std::string& name) const;

 private:
  void open_weights();

  std::string dir_, base_dir_, config_path_;
  std::optional<AdapterConfig> adapter_;
  ModelConfig config_;
  std::unique_ptr<gguf::GgufFile> gguf_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile*> where_;
};

// The config.json text of model `dir` (an adapter's base model's; for a GGUF file the config it
// describes) and the path that names it in errors.
std::pair<std::string, std::string> model_config_text(const std::string& dir);

}  // namespace aha::io
