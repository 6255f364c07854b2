// A Hugging Face model directory (llama, mistral, qwen2, qwen3) as a GGUF file llama.cpp loads,
// laid out as llama.cpp's convert_hf_to_gguf.py lays it out: general.architecture llama (for
// llama and mistral), qwen2 or qwen3, the `<arch>.*` hyperparameters, llama.cpp's tensor names
// (token_embd, blk.N.attn_q, ..., output), the Q/K rows of the llama architecture permuted from
// Hugging Face's rotate-half RoPE to ggml's adjacent pairs, llama3 RoPE scaling as rope_freqs,
// the tokenizer, and the provenance and licence in general.*.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/io/gguf/tensor_types.hpp"
#include "aha/io/gguf/writer.hpp"
#include "aha/io/hf_config.hpp"

namespace aha::io::gguf {

// What `aha export` was asked for.
struct ExportOptions {
  OutType outtype = OutType::f16;
  std::string name;  // general.name; "" for the model directory's name
};

// What an export wrote: the count of each tensor type, for the command's summary.
struct ExportSummary {
  size_t tensors = 0;
  size_t metadata = 0;
  std::vector<std::pair<std::string, int>> types;  // ("q4_K", 12), in order of first use
};

// llama.cpp's architecture name for `config` ("llama", "qwen2", "qwen3"); an Error naming what
// llama.cpp cannot run (qwen3's attention output bias, llama3 RoPE scaling outside llama).
std::string gguf_architecture(const ModelConfig& config, const std::string& origin);

// Rows of a q_proj or k_proj weight (or bias) with `heads` heads, each head's rows reordered from
// Hugging Face's halves (0..d/2-1, d/2..d-1) to ggml's interleaved pairs: row h·d + 2i + t takes
// row h·d + t·d/2 + i. `cols` is the row length (1 for a bias).
std::vector<float> permute_rope_rows(const std::vector<float>& values, int64_t heads, int64_t cols);

// Sets general.name, general.license (the model card's front matter), general.description and
// aha.provenance (provenance.json's record, its record_sha256 and weights hash) from `dir`.
void set_general_metadata(Writer& writer, const std::string& dir, const std::string& name);

// Writes model directory `dir` (not an adapter) to `out` as GGUF, atomically; `out` is replaced
// if it exists (the command checks first).
ExportSummary export_model(const std::string& dir, const std::string& out, const ExportOptions& options);

}  // namespace aha::io::gguf
