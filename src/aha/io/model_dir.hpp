// A model directory in Hugging Face layout: config.json plus model.safetensors or shards
// listed in model.safetensors.index.json.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"
#include "aha/io/safetensors.hpp"

namespace aha::io {

class ModelDir {
 public:
  // Opens `dir`: reads config.json and maps every safetensors file; errors name the file.
  explicit ModelDir(const std::string& dir);

  // The directory path.
  const std::string& path() const { return dir_; }
  // The parsed config.json.
  const ModelConfig& config() const { return config_; }
  // True when some safetensors file of the model holds `name`.
  bool contains(const std::string& name) const { return where_.count(name) != 0; }
  // A view of tensor `name`; throws naming the directory when absent.
  tensor::Tensor get(const std::string& name) const;
  // The path of the file that holds tensor `name` (for error messages).
  const std::string& file_of(const std::string& name) const;

 private:
  std::string dir_;
  ModelConfig config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile*> where_;
};

}  // namespace aha::io
