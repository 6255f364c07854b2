#include "aha/io/gguf/export_model.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/gguf/export_vocab.hpp"
#include "aha/io/gguf/quantize.hpp"
#include "aha/io/model_dir.hpp"

namespace aha::io::gguf {
namespace {

namespace fs = std::filesystem;

// Hugging Face's names inside a decoder layer and llama.cpp's for the same tensor.
const std::vector<std::pair<std::string, std::string>>& layer_names() {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"input_layernorm.weight", "attn_norm.weight"},    {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.q_proj.bias", "attn_q.bias"},          {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.k_proj.bias", "attn_k.bias"},          {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.v_proj.bias", "attn_v.bias"},          {"self_attn.o_proj.weight", "attn_output.weight"},
      {"self_attn.o_proj.bias", "attn_output.bias"},     {"self_attn.q_norm.weight", "attn_q_norm.weight"},
      {"self_attn.k_norm.weight", "attn_k_norm.weight"}, {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},       {"mlp.gate_proj.bias", "ffn_gate.bias"},
      {"mlp.up_proj.weight", "ffn_up.weight"},           {"mlp.up_proj.bias", "ffn_up.bias"},
      {"mlp.down_proj.weight", "ffn_down.weight"},       {"mlp.down_proj.bias", "ffn_down.bias"},
  };
  return names;
}

// llama3 RoPE scaling as convert_hf_to_gguf.py writes it: one factor per frequency pair, by
// which llama.cpp divides that frequency.
std::vector<float> llama3_rope_factors(const ModelConfig& c) {
  const RopeScaling& s = c.rope_scaling;
  const double low_wavelen = s.original_max_position_embeddings / s.low_freq_factor;
  const double high_wavelen = s.original_max_position_embeddings / s.high_freq_factor;
  std::vector<float> factors;
  for (int64_t i = 0; i < c.head_dim; i += 2) {
    const float freq = 1.0f / std::pow(static_cast<float>(c.rope_theta), static_cast<float>(i) / c.head_dim);
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < high_wavelen) factors.push_back(1.0f);
    else if (wavelen > low_wavelen) factors.push_back(static_cast<float>(s.factor));
    else {
      const double smooth =
          (s.original_max_position_embeddings / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      factors.push_back(static_cast<float>(1 / ((1 - smooth) / s.factor + smooth)));
    }
  }
  return factors;
}

// The `<arch>.*` hyperparameters (convert_hf_to_gguf.py's set_gguf_parameters).
void set_hyperparameters(Writer& w, const std::string& arch, const ModelConfig& c) {
  w.set_uint32(arch + ".context_length", static_cast<uint32_t>(c.max_position_embeddings));
  w.set_uint32(arch + ".embedding_length", static_cast<uint32_t>(c.hidden_size));
  w.set_uint32(arch + ".block_count", static_cast<uint32_t>(c.num_hidden_layers));
  w.set_uint32(arch + ".feed_forward_length", static_cast<uint32_t>(c.intermediate_size));
  w.set_uint32(arch + ".attention.head_count", static_cast<uint32_t>(c.num_attention_heads));
  w.set_uint32(arch + ".attention.head_count_kv", static_cast<uint32_t>(c.num_key_value_heads));
  w.set_float32(arch + ".attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  w.set_float32(arch + ".rope.freq_base", static_cast<float>(c.rope_theta));
  w.set_uint32(arch + ".attention.key_length", static_cast<uint32_t>(c.head_dim));
  w.set_uint32(arch + ".attention.value_length", static_cast<uint32_t>(c.head_dim));
  if (arch == "llama") {
    w.set_uint32(arch + ".vocab_size", static_cast<uint32_t>(c.vocab_size));
    w.set_uint32(arch + ".rope.dimension_count", static_cast<uint32_t>(c.head_dim));
  }
}

// The licence of the model card's YAML front matter (`license: mit`), or "".
std::string card_license(const std::string& dir) {
  const std::string path = (fs::path(dir) / "README.md").string();
  if (!is_file(path)) return "";
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line != "---") return "";
  while (std::getline(in, line) && line != "---")
    if (line.starts_with("license:")) {
      std::string value = line.substr(8);
      value.erase(0, value.find_first_not_of(" \"'"));
      value.erase(value.find_last_not_of(" \"'\r") + 1);
      return value;
    }
  return "";
}

void add_count(ExportSummary& s, TensorType type) {
  const std::string name(tensor_type_name(type));
  for (auto& [n, count] : s.types)
    if (n == name) return void(++count);
  s.types.emplace_back(name, 1);
}

// Adds one tensor: `values` in PyTorch order with `shape`, encoded in the type `outtype` gives it.
void add_tensor(Writer& w, ExportSummary& s, OutType outtype, TensorRole role, const std::vector<float>& values) {
  const TensorType type = tensor_type(outtype, role);
  w.add_tensor(role.name, role.ne, type, encode_row(type, values.data(), static_cast<int64_t>(values.size())));
  add_count(s, type);
}

}  // namespace

std::string gguf_architecture(const ModelConfig& c, const std::string& origin) {
  const std::string arch = c.model_type == "mistral" ? "llama" : c.model_type;
  if (arch != "llama" && arch != "qwen2" && arch != "qwen3")
    fail("{}: model_type \"{}\" has no GGUF export (llama, mistral, qwen2, qwen3)", origin, c.model_type);
  if (arch == "qwen3" && c.attention_out_bias)
    fail("{}: attention_bias: llama.cpp's qwen3 has no bias on o_proj; this model cannot be exported", origin);
  if (arch == "qwen2" && c.num_attention_heads * c.head_dim != c.hidden_size)
    fail("{}: head_dim: llama.cpp's qwen2 needs num_attention_heads × head_dim = hidden_size", origin);
  if (c.rope_scaling.kind == "llama3" && arch != "llama")
    fail("{}: rope_scaling: llama.cpp reads llama3 RoPE scaling for the llama architecture only", origin);
  return arch;
}

std::vector<float> permute_rope_rows(const std::vector<float>& values, int64_t heads, int64_t cols) {
  const auto rows = static_cast<int64_t>(values.size()) / cols;
  const int64_t d = rows / heads, half = d / 2;
  std::vector<float> out(values.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t t = 0; t < 2; ++t)
        std::copy_n(values.begin() + (h * d + t * half + i) * cols, cols, out.begin() + (h * d + 2 * i + t) * cols);
  return out;
}

void set_general_metadata(Writer& w, const std::string& dir, const std::string& name) {
  w.set_string("general.name", name.empty() ? fs::path(dir).lexically_normal().filename().string() : name);
  if (const std::string license = card_license(dir); !license.empty()) w.set_string("general.license", license);
  const std::string provenance_path = (fs::path(dir) / "provenance.json").string();
  if (!is_file(provenance_path)) {
    w.set_string("general.description", "Exported by aha; the model directory had no provenance.json");
    return;
  }
  const std::string text = read_file(provenance_path);
  const Json p = parse_json(text, provenance_path);
  if (!p.is_object()) fail("{}: expected a JSON object", provenance_path);
  auto field = [](const Json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  const std::string kind = p.contains("run") ? field(p["run"], "kind") : "";
  const std::string record = field(p, "record_sha256");
  const std::string weights = p.contains("weights") ? field(p["weights"], "sha256") : "";
  w.set_string("general.description",
               fmt::format("Trained by aha (run kind {}); the provenance record (sha256 {}) is in aha.provenance",
                           kind.empty() ? "unknown" : kind, record.empty() ? "unknown" : record));
  w.set_string("aha.provenance", text);
  w.set_string("aha.provenance.record_sha256", record);
  w.set_string("aha.provenance.weights_sha256", weights);
}

ExportSummary export_model(const std::string& dir, const std::string& out, const ExportOptions& options) {
  const ModelDir model(dir);
  if (model.adapter()) throw Error(ErrorKind::internal, "export_model: an adapter directory (use export_lora)");
  const ModelConfig& c = model.config();
  const std::string arch = gguf_architecture(c, model.config_path());
  const GgufVocab vocab = read_gguf_vocab(dir, c.vocab_size);
  Writer w;
  w.set_string("general.architecture", arch);
  w.set_string("general.type", "model");
  set_general_metadata(w, dir, options.name);
  w.set_uint32("general.file_type", file_type(options.outtype));
  w.set_uint32("general.quantization_version", 2);
  set_hyperparameters(w, arch, c);
  set_vocab_metadata(w, vocab);

  ExportSummary summary;
  const bool tied = c.tie_word_embeddings;  // as aha runs it, whatever else the files hold
  auto role = [&](std::string name, const tensor::Shape& shape, int64_t layer) {
    return TensorRole{std::move(name), std::vector<int64_t>(shape.rbegin(), shape.rend()), layer, c.num_hidden_layers,
                      tied};
  };
  auto add = [&](const std::string& hf, const std::string& gguf, int64_t layer) {
    const tensor::Tensor t = model.get(hf);
    std::vector<float> values = t.to_f32();
    if (arch == "llama" && (hf.find(".q_proj.") != std::string::npos || hf.find(".k_proj.") != std::string::npos)) {
      const int64_t heads = hf.find(".q_proj.") != std::string::npos ? c.num_attention_heads : c.num_key_value_heads;
      values = permute_rope_rows(values, heads, t.shape().size() == 2 ? t.shape()[1] : 1);
    }
    add_tensor(w, summary, options.outtype, role(gguf, t.shape(), layer), values);
    model.release(hf);
  };
  add("model.embed_tokens.weight", "token_embd.weight", -1);
  if (c.rope_scaling.kind == "llama3") {
    const std::vector<float> factors = llama3_rope_factors(c);
    add_tensor(w, summary, options.outtype, role("rope_freqs.weight", {static_cast<int64_t>(factors.size())}, -1),
               factors);
  }
  for (int64_t i = 0; i < c.num_hidden_layers; ++i)
    for (const auto& [hf, gguf] : layer_names()) {
      const std::string name = fmt::format("model.layers.{}.{}", i, hf);
      if (model.contains(name)) add(name, fmt::format("blk.{}.{}", i, gguf), i);
    }
  add("model.norm.weight", "output_norm.weight", -1);
  if (!tied) add("lm_head.weight", "output.weight", -1);
  w.write(out);
  summary.tensors = w.tensor_count();
  summary.metadata = w.metadata_count();
  return summary;
}

}  // namespace aha::io::gguf
