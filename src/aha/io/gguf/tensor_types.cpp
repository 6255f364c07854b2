#include "aha/io/gguf/tensor_types.hpp"

#include "aha/base/error.hpp"

namespace aha::io::gguf {
namespace {

// llama-quantize's use_more_bits: the first and last eighth of the layers and every third one
// between them.
bool use_more_bits(int64_t layer, int64_t layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// llama-quantize's tensor_type_fallback: a type whose block does not divide the row length.
TensorType fallback(TensorType type, int64_t row) {
  if (row % block_elements(type) == 0) return type;
  if (type == TensorType::kQ4_K) type = TensorType::kQ5_0;
  else if (type == TensorType::kQ6_K) type = TensorType::kQ8_0;
  return row % block_elements(type) == 0 ? type : TensorType::kF16;
}

// The llama-quantize mix of a quantized 2-D weight whose default type is `base`.
TensorType quantize_mix(OutType type, TensorType base, const TensorRole& role) {
  const bool output = role.name == "output.weight" || (role.tied && role.name == "token_embd.weight");
  if (output) return TensorType::kQ6_K;
  if (type == OutType::q4_k_m && role.layer >= 0 && use_more_bits(role.layer, role.layers) &&
      (ends_with(role.name, ".attn_v.weight") || ends_with(role.name, ".ffn_down.weight")))
    return TensorType::kQ6_K;
  return base;
}

}  // namespace

OutType parse_out_type(const std::string& name) {
  if (name == "f32") return OutType::f32;
  if (name == "f16") return OutType::f16;
  if (name == "bf16") return OutType::bf16;
  if (name == "q8_0") return OutType::q8_0;
  if (name == "q4_0") return OutType::q4_0;
  if (name == "q4_k_m") return OutType::q4_k_m;
  fail("--outtype: expected f32, f16, bf16, q8_0, q4_0 or q4_k_m, got \"{}\"", name);
}

uint32_t file_type(OutType type) {
  switch (type) {
    case OutType::f32: return 0;
    case OutType::f16: return 1;
    case OutType::bf16: return 32;
    case OutType::q8_0: return 7;
    case OutType::q4_0: return 2;
    case OutType::q4_k_m: return 15;
  }
  return 0;
}

TensorType tensor_type(OutType type, const TensorRole& role) {
  if (role.ne.size() < 2 || !ends_with(role.name, ".weight") || ends_with(role.name, "_norm.weight"))
    return TensorType::kF32;
  switch (type) {
    case OutType::f32: return TensorType::kF32;
    case OutType::f16: return TensorType::kF16;
    case OutType::bf16: return TensorType::kBF16;
    case OutType::q8_0: return fallback(TensorType::kQ8_0, role.ne[0]);
    case OutType::q4_0: return fallback(quantize_mix(type, TensorType::kQ4_0, role), role.ne[0]);
    case OutType::q4_k_m: return fallback(quantize_mix(type, TensorType::kQ4_K, role), role.ne[0]);
  }
  return TensorType::kF32;
}

}  // namespace aha::io::gguf
