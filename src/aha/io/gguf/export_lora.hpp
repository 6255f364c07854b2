// A PEFT LoRA adapter directory as a GGUF LoRA adapter llama.cpp applies at run time
// (llama.cpp's convert_lora_to_gguf.py layout): general.type "adapter", adapter.type "lora",
// adapter.lora.alpha, and for each adapted linear `blk.N.<tensor>.weight.lora_a` (ggml
// dimensions {in, r}) and `.lora_b` ({r, out}), B's rows permuted as the base's Q/K rows are.
#pragma once

#include <string>

#include "aha/io/gguf/export_model.hpp"

namespace aha::io::gguf {

// Writes adapter directory `dir` to `out` as a GGUF LoRA adapter, atomically. `options.outtype`
// must be f32, f16 or bf16 (an Error otherwise). With use_rslora, adapter.lora.alpha is
// alpha·√r, so that llama.cpp's alpha / r is PEFT's alpha / √r.
ExportSummary export_lora(const std::string& dir, const std::string& out, const ExportOptions& options);

}  // namespace aha::io::gguf
