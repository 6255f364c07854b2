#include "aha/ledger/weights_hash.hpp"

#include <string_view>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/base/sha256.hpp"
#include "aha/io/gguf/import_model.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/io/safetensors.hpp"

namespace aha::ledger {

const char* const kWeightsHashMethod =
    "SHA-256 over the tensors in name order; each tensor adds its name, NUL, dtype, NUL, shape "
    "(dims joined by ','), NUL, byte count (8 bytes little-endian) and its bytes";
const char* const kWeightsMetadataKey = "aha_weights_sha256";

namespace {

// The bytes that precede a tensor's data in its record.
std::string record_header(const std::string& name, const tensor::Tensor& t) {
  std::string h = name;
  h.push_back('\0');
  h += tensor::dtype_name(t.dtype());
  h.push_back('\0');
  for (size_t i = 0; i < t.shape().size(); ++i) {
    if (i > 0) h.push_back(',');
    h += std::to_string(t.shape()[i]);
  }
  h.push_back('\0');
  const uint64_t n = t.nbytes();
  for (int i = 0; i < 8; ++i) h.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return h;
}

// Adds tensors in name order, one at a time, so that a caller may drop each after it is hashed.
class WeightsHasher {
 public:
  void add(const std::string& name, const tensor::Tensor& t) {
    const std::string header = record_header(name, t);
    Sha256 one;
    one.update(header);
    one.update(t.data(), t.nbytes());
    all_.update(header);
    all_.update(t.data(), t.nbytes());
    out_.tensors[name] = one.hex_digest();
    out_.parameters += t.numel();
  }
  WeightsHash finish() {
    out_.sha256 = all_.hex_digest();
    return std::move(out_);
  }

 private:
  Sha256 all_;
  WeightsHash out_;
};

// A GGUF file's tensors under their HF names, as the model loads them (quantized ones
// dequantized to F32, the llama Q/K rows unpermuted).
WeightsHash hash_gguf(const std::string& path) {
  const io::gguf::GgufFile file(path);
  std::map<std::string, std::string> names;  // HF name -> GGUF name
  for (const io::gguf::TensorInfo& t : file.tensors())
    if (const std::optional<std::string> hf = io::gguf::hf_tensor_name(t.name)) names[*hf] = t.name;
  WeightsHasher hasher;
  for (const auto& [hf, gguf] : names) hasher.add(hf, io::gguf::hf_tensor(file, hf));
  return hasher.finish();
}

}  // namespace

WeightsHash hash_tensors(const std::map<std::string, tensor::Tensor>& tensors) {
  WeightsHasher hasher;
  for (const auto& [name, t] : tensors) hasher.add(name, t);
  return hasher.finish();
}

WeightsHash hash_model_dir(const std::string& dir) {
  if (io::gguf::is_gguf_path(dir)) return hash_gguf(dir);
  std::map<std::string, tensor::Tensor> tensors;
  if (is_file(dir + "/model.safetensors.index.json") && !is_file(dir + "/model.safetensors")) {
    const io::ModelDir model(dir);  // checks the index and every shard
    const Json index = read_json_file(dir + "/model.safetensors.index.json");
    for (const auto& [name, shard] : index["weight_map"].items()) tensors.emplace(name, model.get(name));
  } else if (is_file(dir + "/model.safetensors")) {
    const io::SafetensorsFile file(dir + "/model.safetensors");
    for (const std::string& name : file.names()) tensors.emplace(name, file.get(name));
  } else if (is_file(dir + "/adapter_model.safetensors")) {
    const io::SafetensorsFile file(dir + "/adapter_model.safetensors");
    for (const std::string& name : file.names()) tensors.emplace(name, file.get(name));
  } else {
    fail("{}: no model.safetensors, model.safetensors.index.json or adapter_model.safetensors to hash", dir);
  }
  return hash_tensors(tensors);
}

}  // namespace aha::ledger
