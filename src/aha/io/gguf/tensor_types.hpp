// Which ggml type each tensor of an export gets, as llama.cpp's tools choose: convert_hf_to_gguf.py
// for f32, f16, bf16 and q8_0; llama-quantize (without an importance matrix) for q4_0 and q4_k_m.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/io/gguf/format.hpp"

namespace aha::io::gguf {

// The --outtype of `aha export` (llama.cpp's names).
enum class OutType { f32, f16, bf16, q8_0, q4_0, q4_k_m };

// The OutType named `name` ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m"); an Error naming the
// choices otherwise.
OutType parse_out_type(const std::string& name);

// llama.cpp's general.file_type (llama_ftype) of `type`: 0, 1, 32, 7, 2, 15.
uint32_t file_type(OutType type);

// Where a tensor sits in the model, for the choice of its type.
struct TensorRole {
  std::string name;         // the GGUF name, "blk.3.attn_v.weight"
  std::vector<int64_t> ne;  // ggml dimensions (ne[0]: row length)
  int64_t layer = -1;       // decoder layer, -1 outside
  int64_t layers = 0;       // the model's decoder layers
  bool tied = false;        // the model has no output.weight (token_embd serves as output)
};

// The type of the tensor `role` under `type`: F32 for 1-D tensors and norms; for 2-D weights the
// outtype's, with q4_k_m's and q4_0's mix (q6_K for output.weight, or token_embd when tied; q4_k_m
// also q6_K for attn_v and ffn_down of the layers llama.cpp's use_more_bits picks), then
// llama.cpp's fallback when a row is not a whole number of blocks (q4_K -> q5_0, q6_K -> q8_0,
// then f16).
TensorType tensor_type(OutType type, const TensorRole& role);

}  // namespace aha::io::gguf
