// The dtype a model's linears multiply in, and the load-time choice of it (`--dtype`, `dtype:`).
#pragma once

#include <string_view>

namespace aha::model {

enum class ComputeDType {
  float32,   // fp32 weights and products
  bfloat16,  // the matrices held once in bf16; inputs rounded to bf16, every sum in fp32
  q8_0,      // the matrices held once as ggml's q8_0 (backend/cpu/gemm_q8.hpp): int8 blocks of 32 with
             // an fp16 scale; inputs quantized per row the same way, each block's sum exact in int32
};

// What a user asks for: a ComputeDType, or `automatic`, the dtype the checkpoint stores (bfloat16
// when its matrices are BF16, q8_0 when a GGUF's are Q8_0, float32 otherwise: F16 and the other
// GGUF types have no kernels of their own yet).
enum class DTypeChoice { automatic, float32, bfloat16, q8_0 };

// "auto", "float32", "bfloat16" or "q8_0" (also "fp32", "bf16"); anything else is a bad-input Error that
// names `where` ("--dtype", "grpo.yaml: dtype").
DTypeChoice parse_dtype_choice(std::string_view text, std::string_view where);

// The name --dtype prints for `dtype` ("float32", "bfloat16", "q8_0").
std::string_view dtype_name(ComputeDType dtype);

}  // namespace aha::model
