#include "aha/io/gguf/import_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <regex>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/io/gguf/dequantize.hpp"

namespace aha::io::gguf {
namespace {

// HF names and llama.cpp's: whole tensors, and the parts of layer tensors between
// "model.layers.N." / "blk.N." and ".weight" / ".bias".
constexpr std::pair<std::string_view, std::string_view> kTopNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"}};
constexpr std::pair<std::string_view, std::string_view> kLayerNames[] = {
    {"input_layernorm", "attn_norm"},    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},      {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"}, {"self_attn.q_norm", "attn_q_norm"},
    {"self_attn.k_norm", "attn_k_norm"}, {"post_attention_layernorm", "ffn_norm"},
    {"mlp.gate_proj", "ffn_gate"},       {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"}};

// The architecture of `file` (general.architecture), one of those aha runs.
std::string architecture(const GgufFile& file) {
  const std::optional<std::string> arch = file.string("general.architecture");
  if (!arch) fail("{}: missing metadata 'general.architecture'", file.path());
  if (*arch != "llama" && *arch != "qwen2" && *arch != "qwen3")
    fail("{}: general.architecture '{}' is not supported (supported: llama, qwen2, qwen3)", file.path(), *arch);
  return *arch;
}

int64_t required_integer(const GgufFile& file, const std::string& key) {
  const std::optional<int64_t> v = file.integer(key);
  if (!v) fail("{}: missing metadata '{}'", file.path(), key);
  return *v;
}

const TensorInfo& required_tensor(const GgufFile& file, const std::string& name) {
  const TensorInfo* t = file.find_tensor(name);
  if (!t) fail("{}: missing tensor '{}'", file.path(), name);
  return *t;
}

// The token ids that end a turn: eos, and end-of-turn / end-of-message when the file names them.
Json eos_ids(const GgufFile& file) {
  Json ids = Json::array();
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"})
    if (const std::optional<int64_t> id = file.integer(key); id && std::find(ids.begin(), ids.end(), *id) == ids.end())
      ids.push_back(*id);
  return ids;
}

// The head count whose rows llama.cpp's converter permuted in GGUF tensor `name` (the `llama`
// architecture's attn_q and attn_k), or 0 when it left the tensor as it was.
int64_t permuted_heads(const GgufFile& file, const std::string& name) {
  if (file.string("general.architecture") != "llama") return 0;
  static const std::regex q(R"(blk\.\d+\.attn_q\.(weight|bias))"), k(R"(blk\.\d+\.attn_k\.(weight|bias))");
  const int64_t heads = required_integer(file, "llama.attention.head_count");
  if (std::regex_match(name, q)) return heads;
  if (std::regex_match(name, k)) return file.integer("llama.attention.head_count_kv").value_or(heads);
  return 0;
}

// Undoes the converter's permutation of the rows of `t` (for a vector, its elements): within each
// head, GGUF row 2i + j holds HF row j * head_dim / 2 + i.
std::vector<uint8_t> unpermute_rows(const GgufFile& file, const TensorInfo& t, int64_t heads) {
  const int64_t units = t.dims.size() == 1 ? t.elements : t.elements / t.dims[0];
  if (t.dims.size() == 1 && block_elements(t.type) != 1)
    fail("{}: tensor '{}': a quantized vector cannot be unpermuted", file.path(), t.name);
  if (heads <= 0 || units % (2 * heads) != 0)
    fail("{}: tensor '{}': {} rows are not {} heads of an even size", file.path(), t.name, units, heads);
  const size_t unit_bytes = static_cast<size_t>(t.bytes / static_cast<uint64_t>(units));
  const int64_t head_dim = units / heads, half = head_dim / 2;
  std::vector<uint8_t> out(t.bytes);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        const int64_t from = h * head_dim + 2 * i + j, to = h * head_dim + j * half + i;
        std::memcpy(out.data() + to * unit_bytes, t.data + from * unit_bytes, unit_bytes);
      }
  return out;
}

tensor::DType float_dtype(TensorType t) {
  return t == TensorType::kF32 ? tensor::DType::F32 : t == TensorType::kF16 ? tensor::DType::F16 : tensor::DType::BF16;
}

}  // namespace

tensor::Tensor hf_tensor(const GgufFile& file, const std::string& hf_name) {
  const std::optional<std::string> name = gguf_tensor_name(hf_name);
  const TensorInfo* t = name ? file.find_tensor(*name) : nullptr;
  if (!t) fail("{}: missing tensor '{}' (GGUF name '{}')", file.path(), hf_name, name.value_or("none"));
  tensor::Shape shape(t->dims.rbegin(), t->dims.rend());
  std::vector<uint8_t> permuted;
  if (const int64_t heads = permuted_heads(file, *name)) permuted = unpermute_rows(file, *t, heads);
  const uint8_t* data = permuted.empty() ? t->data : permuted.data();
  if (block_elements(t->type) == 1) {
    if (permuted.empty()) return tensor::Tensor(float_dtype(t->type), std::move(shape), t->data, file.owner());
    return tensor::Tensor::from_bytes(float_dtype(t->type), std::move(shape), std::move(permuted));
  }
  std::vector<float> values(static_cast<size_t>(t->elements));
  dequantize_row(t->type, data, t->elements, values.data());
  return tensor::Tensor::from_f32(std::move(shape), values);
}

std::optional<std::vector<uint8_t>> hf_q8_0_blocks(const GgufFile& file, const std::string& hf_name) {
  const std::optional<std::string> name = gguf_tensor_name(hf_name);
  const TensorInfo* t = name ? file.find_tensor(*name) : nullptr;
  if (!t || t->type != TensorType::kQ8_0) return std::nullopt;
  if (const int64_t heads = permuted_heads(file, *name)) return unpermute_rows(file, *t, heads);
  return std::vector<uint8_t>(t->data, t->data + t->bytes);
}

std::optional<TensorType> hf_tensor_type(const GgufFile& file, const std::string& hf_name) {
  const std::optional<std::string> name = gguf_tensor_name(hf_name);
  const TensorInfo* t = name ? file.find_tensor(*name) : nullptr;
  if (!t) return std::nullopt;
  return t->type;
}

Json hf_config_json(const GgufFile& file) {
  const std::string arch = architecture(file);
  const std::string p = arch + ".";
  Json c = {{"model_type", arch}, {"hidden_act", "silu"}};
  c["hidden_size"] = required_integer(file, p + "embedding_length");
  c["num_hidden_layers"] = required_integer(file, p + "block_count");
  c["intermediate_size"] = required_integer(file, p + "feed_forward_length");
  c["num_attention_heads"] = required_integer(file, p + "attention.head_count");
  if (auto kv = file.integer(p + "attention.head_count_kv")) c["num_key_value_heads"] = *kv;
  if (auto head_dim = file.integer(p + "attention.key_length")) c["head_dim"] = *head_dim;
  if (auto v = file.integer(p + "attention.value_length"); v && c.contains("head_dim") && *v != c["head_dim"])
    fail("{}: {}attention.value_length {} differs from key_length {}", file.path(), p, *v, c["head_dim"].dump());
  if (auto ctx = file.integer(p + "context_length")) c["max_position_embeddings"] = *ctx;
  if (auto eps = file.number(p + "attention.layer_norm_rms_epsilon")) c["rms_norm_eps"] = *eps;
  if (auto theta = file.number(p + "rope.freq_base")) c["rope_theta"] = *theta;
  if (auto scaling = file.string(p + "rope.scaling.type");
      (scaling && *scaling != "none") || file.find_tensor("rope_freqs.weight"))
    fail("{}: RoPE scaling ({}rope.scaling.type or rope_freqs.weight) is not supported", file.path(), p);
  const TensorInfo& embed = required_tensor(file, "token_embd.weight");
  if (embed.dims.size() != 2) fail("{}: tensor 'token_embd.weight' must have 2 dimensions", file.path());
  c["vocab_size"] = embed.dims[1];
  if (auto vocab = file.integer(p + "vocab_size"); vocab && *vocab != embed.dims[1])
    fail("{}: {}vocab_size {} differs from token_embd.weight's {} rows", file.path(), p, *vocab, embed.dims[1]);
  c["tie_word_embeddings"] = file.find_tensor("output.weight") == nullptr;
  const bool qkv_bias = file.find_tensor("blk.0.attn_q.bias") != nullptr;
  if (arch == "qwen2" && !qkv_bias) fail("{}: a qwen2 model needs tensor 'blk.0.attn_q.bias'", file.path());
  if (arch != "qwen2") c["attention_bias"] = qkv_bias;
  if (arch == "llama") c["mlp_bias"] = file.find_tensor("blk.0.ffn_gate.bias") != nullptr;
  if (arch != "llama") c["use_sliding_window"] = false;
  if (auto bos = file.integer("tokenizer.ggml.bos_token_id")) c["bos_token_id"] = *bos;
  if (Json eos = eos_ids(file); !eos.empty()) c["eos_token_id"] = eos.size() == 1 ? eos[0] : eos;
  return c;
}

std::optional<std::string> gguf_tensor_name(const std::string& hf_name) {
  for (const auto& [hf, gguf] : kTopNames)
    if (hf_name == hf) return std::string(gguf);
  static const std::regex pattern(R"(model\.layers\.(\d+)\.(.+)\.(weight|bias))");
  std::smatch m;
  if (!std::regex_match(hf_name, m, pattern)) return std::nullopt;
  for (const auto& [hf, gguf] : kLayerNames)
    if (m[2].str() == hf) return "blk." + m[1].str() + "." + std::string(gguf) + "." + m[3].str();
  return std::nullopt;
}

std::optional<std::string> hf_tensor_name(const std::string& gguf_name) {
  for (const auto& [hf, gguf] : kTopNames)
    if (gguf_name == gguf) return std::string(hf);
  static const std::regex pattern(R"(blk\.(\d+)\.(.+)\.(weight|bias))");
  std::smatch m;
  if (!std::regex_match(gguf_name, m, pattern)) return std::nullopt;
  for (const auto& [hf, gguf] : kLayerNames)
    if (m[2].str() == gguf) return "model.layers." + m[1].str() + "." + std::string(hf) + "." + m[3].str();
  return std::nullopt;
}

std::string quantized_types(const GgufFile& file) {
  std::string types;
  for (const TensorInfo& t : file.tensors()) {
    const std::string name(tensor_type_name(t.type));
    if (block_elements(t.type) > 1 && (", " + types + ",").find(" " + name + ",") == std::string::npos)
      types += (types.empty() ? "" : ", ") + name;
  }
  return types;
}

std::string full_tuning_notice(const std::string& model) {
  if (!is_gguf_path(model)) return "";
  const std::string types = quantized_types(GgufFile(model));
  if (types.empty()) return "";
  return fmt::format("{} holds quantized weights ({}): full fine-tuning dequantizes them into float32", model, types);
}

}  // namespace aha::io::gguf
