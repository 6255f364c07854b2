// The weights' fingerprint: SHA-256 over the tensors in name order, each contributing its name,
// dtype, shape and bytes, so that it does not depend on file layout, sharding or metadata.
#pragma once

#include <map>
#include <string>

#include "aha/tensor/tensor.hpp"

namespace aha::ledger {

// How the hash is computed, in words (written into provenance.json).
extern const char* const kWeightsHashMethod;

struct WeightsHash {
  std::string sha256;                          // over all tensors in name order
  std::map<std::string, std::string> tensors;  // name -> SHA-256 of that tensor's record
  int64_t parameters = 0;                      // elements over all tensors
};

// Hashes `tensors` (ordered by name, as std::map is). Each tensor's record is: name, NUL, dtype
// name, NUL, shape as decimal dims joined by ',', NUL, byte count as 8 bytes little-endian, bytes.
WeightsHash hash_tensors(const std::map<std::string, tensor::Tensor>& tensors);

// Hashes the weights of the model or adapter directory `dir`: model.safetensors, the shards of
// model.safetensors.index.json, or adapter_model.safetensors; or of a .gguf file, its tensors
// under their HF names as the model loads them. Errors name the directory.
WeightsHash hash_model_dir(const std::string& dir);

// The safetensors `__metadata__` key that carries the weights' SHA-256.
extern const char* const kWeightsMetadataKey;

}  // namespace aha::ledger
