// A GGUF model (llama.cpp's architectures llama, qwen2 and qwen3) seen as a Hugging Face model:
// its config.json from the `<arch>.*` metadata and its tensors under HF names in HF layout, with
// llama.cpp's Q/K row permutation of the `llama` architecture undone.
#pragma once

#include <optional>
#include <string>

#include "aha/base/json_fwd.hpp"
#include "aha/io/gguf/reader.hpp"
#include "aha/tensor/tensor.hpp"

namespace aha::io::gguf {

// The config.json that describes `file`'s model (model_type, sizes, rope, eps, tying, biases, token ids).
Json hf_config_json(const GgufFile& file);

// The GGUF name of HF tensor `hf_name` ("model.layers.0.self_attn.q_proj.weight" -> "blk.0.attn_q.weight").
std::optional<std::string> gguf_tensor_name(const std::string& hf_name);

// HF tensor `hf_name` of `file`: shape [out, in] for matrices; F32, F16 and BF16 data as they are
// stored (a view unless permuted), quantized types dequantized to F32. Throws when absent.
tensor::Tensor hf_tensor(const GgufFile& file, const std::string& hf_name);

// True when any tensor of `file` is block-quantized (q8_0, q4_0, q4_K, q6_K).
bool is_quantized(const GgufFile& file);

}  // namespace aha::io::gguf
