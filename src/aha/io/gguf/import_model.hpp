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

// The HF name of GGUF tensor `gguf_name`, the reverse of gguf_tensor_name.
std::optional<std::string> hf_tensor_name(const std::string& gguf_name);

// HF tensor `hf_name` of `file`: shape [out, in] for matrices; F32, F16 and BF16 data as they are
// stored (a view unless permuted), quantized types dequantized to F32. Throws when absent.
tensor::Tensor hf_tensor(const GgufFile& file, const std::string& hf_name);

// HF tensor `hf_name` of `file` as the Q8_0 blocks it stores (34 bytes per 32 values of a row),
// rows in HF's order (the llama Q/K permutation undone); nullopt when stored in another type.
std::optional<std::vector<uint8_t>> hf_q8_0_blocks(const GgufFile& file, const std::string& hf_name);

// The type `file` stores HF tensor `hf_name` in, from the header alone; nullopt when absent.
std::optional<TensorType> hf_tensor_type(const GgufFile& file, const std::string& hf_name);

// The block-quantized tensor types of `file` ("q4_K, q6_K"), or "" when it has none.
std::string quantized_types(const GgufFile& file);

// For full fine-tuning of `model` (a model directory or .gguf file): the line that says its
// quantized weights are dequantized into float32, or "" when it holds none.
std::string full_tuning_notice(const std::string& model);

}  // namespace aha::io::gguf
