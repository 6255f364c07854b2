#include "aha/io/model_dir.hpp"

#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/gguf/import_model.hpp"

namespace aha::io {
namespace {

// The shard file names of an index, in first-use order, after checking the index.
std::vector<std::string> shard_names(const Json& index, const std::string& origin,
                                     std::map<std::string, std::string>& tensor_to_shard) {
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    fail("{}: missing object 'weight_map'", origin);
  std::vector<std::string> shards;
  for (const auto& [name, file] : index["weight_map"].items()) {
    if (!file.is_string()) fail("{}: weight_map['{}'] must be a file name", origin, name);
    std::string shard = file.get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
      fail("{}: weight_map['{}'] = '{}' is not a file name in the model directory", origin, name, shard);
    tensor_to_shard[name] = shard;
    if (std::find(shards.begin(), shards.end(), shard) == shards.end()) shards.push_back(shard);
  }
  return shards;
}

}  // namespace

ModelDir::ModelDir(const std::string& dir) : dir_(dir), base_dir_(dir) {
  namespace fs = std::filesystem;
  if (!gguf::is_gguf_path(dir) && !is_directory(dir)) fail("{}: not a model directory or .gguf file", dir);
  if (is_adapter_dir(dir)) {
    adapter_ = read_adapter_config(dir);
    base_dir_ = adapter_base_dir(dir, *adapter_);
    if (!is_file((fs::path(dir) / "adapter_model.safetensors").string()))
      fail("{}: missing adapter_model.safetensors beside adapter_config.json", dir);
  }
  if (gguf::is_gguf_path(base_dir_)) {
    gguf_ = std::make_unique<gguf::GgufFile>(base_dir_);
    config_path_ = base_dir_;
    config_ = parse_model_config(gguf::hf_config_json(*gguf_), base_dir_);
    return;
  }
  config_path_ = (fs::path(base_dir_) / "config.json").string();
  if (!is_file(config_path_)) fail("{}: missing config.json", base_dir_);
  config_ = read_model_config(config_path_);
  open_weights();
}

void ModelDir::open_weights() {
  namespace fs = std::filesystem;
  const std::string& dir = base_dir_;

  std::string single = (fs::path(dir) / "model.safetensors").string();
  std::string index_path = (fs::path(dir) / "model.safetensors.index.json").string();
  if (is_file(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(single));
    for (const auto& name : files_.back()->names()) where_[name] = files_.back().get();
    return;
  }
  if (!is_file(index_path)) fail("{}: missing model.safetensors (or model.safetensors.index.json for shards)", dir);
  std::map<std::string, std::string> tensor_to_shard;
  std::vector<std::string> shards = shard_names(read_json_file(index_path), index_path, tensor_to_shard);
  std::map<std::string, const SafetensorsFile*> by_name;
  for (const auto& shard : shards) {
    std::string path = (fs::path(dir) / shard).string();
    if (!is_file(path)) fail("{}: shard '{}' is listed but missing", index_path, shard);
    files_.push_back(std::make_unique<SafetensorsFile>(path));
    by_name[shard] = files_.back().get();
  }
  for (const auto& [name, shard] : tensor_to_shard) {
    const SafetensorsFile* file = by_name[shard];
    if (!file->contains(name)) fail("{}: tensor '{}' is listed in {} but not there", index_path, name, shard);
    where_[name] = file;
  }
}

bool ModelDir::contains(const std::string& name) const {
  if (!gguf_) return where_.count(name) != 0;
  const std::optional<std::string> gguf_name = gguf::gguf_tensor_name(name);
  return gguf_name && gguf_->find_tensor(*gguf_name);
}

std::optional<gguf::TensorType> ModelDir::gguf_type(const std::string& name) const {
  return gguf_ ? gguf::hf_tensor_type(*gguf_, name) : std::nullopt;
}

std::optional<std::vector<uint8_t>> ModelDir::q8_0_blocks(const std::string& name) const {
  return gguf_ ? gguf::hf_q8_0_blocks(*gguf_, name) : std::nullopt;
}

tensor::Tensor ModelDir::get(const std::string& name) const {
  if (gguf_) return gguf::hf_tensor(*gguf_, name);
  auto it = where_.find(name);
  if (it == where_.end()) fail("{}: missing tensor '{}'", base_dir_, name);
  return it->second->get(name);
}

void ModelDir::release(const std::string& name) const {
  if (gguf_) {
    const std::optional<std::string> gguf_name = gguf::gguf_tensor_name(name);
    if (const gguf::TensorInfo* t = gguf_name ? gguf_->find_tensor(*gguf_name) : nullptr) gguf_->release(*t);
    return;
  }
  auto it = where_.find(name);
  if (it != where_.end()) it->second->release(name);
}

const std::string& ModelDir::file_of(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? base_dir_ : it->second->path();
}

std::pair<std::string, std::string> model_config_text(const std::string& dir) {
  const std::string base = model_file_dir(dir, "config.json");
  if (gguf::is_gguf_path(base)) return {gguf::hf_config_json(gguf::GgufFile(base)).dump(2) + "\n", base};
  const std::string path = (std::filesystem::path(base) / "config.json").string();
  return {read_file(path), path};
}

}  // namespace aha::io
