#include "aha/io/gguf/export_lora.hpp"

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>

#include "aha/base/error.hpp"
#include "aha/io/gguf/quantize.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/io/safetensors.hpp"

namespace aha::io::gguf {
namespace {

// PEFT's module name -> llama.cpp's tensor name inside a block.
const std::map<std::string, std::string>& lora_module_names() {
  static const std::map<std::string, std::string> names = {
      {"self_attn.q_proj", "attn_q"},      {"self_attn.k_proj", "attn_k"}, {"self_attn.v_proj", "attn_v"},
      {"self_attn.o_proj", "attn_output"}, {"mlp.gate_proj", "ffn_gate"},  {"mlp.up_proj", "ffn_up"},
      {"mlp.down_proj", "ffn_down"}};
  return names;
}

// The tensor type of an adapter's A and B under `type` (llama.cpp applies float adapters).
TensorType adapter_tensor_type(OutType type, const std::string& origin) {
  switch (type) {
    case OutType::f32: return TensorType::kF32;
    case OutType::f16: return TensorType::kF16;
    case OutType::bf16: return TensorType::kBF16;
    default: fail("{}: --outtype: a LoRA adapter is exported as f32, f16 or bf16 (or use --merge)", origin);
  }
}

}  // namespace

ExportSummary export_lora(const std::string& dir, const std::string& out, const ExportOptions& options) {
  const ModelDir base(dir);
  if (!base.adapter()) throw Error(ErrorKind::internal, "export_lora: not an adapter directory");
  const AdapterConfig& a = *base.adapter();
  const ModelConfig& c = base.config();
  const std::string arch = gguf_architecture(c, base.config_path());
  const std::string path = (std::filesystem::path(dir) / "adapter_model.safetensors").string();
  const TensorType type = adapter_tensor_type(options.outtype, path);
  const SafetensorsFile file(path);

  Writer w;
  w.set_string("general.architecture", arch);
  w.set_string("general.type", "adapter");
  set_general_metadata(w, dir, options.name);
  w.set_uint32("general.file_type", file_type(options.outtype));
  w.set_uint32("general.quantization_version", 2);
  w.set_string("adapter.type", "lora");
  const double alpha = a.use_rslora ? a.lora_alpha * std::sqrt(static_cast<double>(a.r)) : a.lora_alpha;
  w.set_float32("adapter.lora.alpha", static_cast<float>(alpha));

  ExportSummary summary;
  static const std::regex kName(
      R"(base_model\.model\.model\.layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_A\.weight)");
  for (const std::string& name : file.names()) {
    std::smatch m;
    if (name.find(".lora_B.") != std::string::npos) continue;  // taken with its A
    if (!std::regex_match(name, m, kName) || !lora_module_names().count(m[2].str()))
      fail("{}: tensor '{}' is not a LoRA A of a llama-family linear layer", path, name);
    const int64_t layer = std::stoll(m[1].str());
    const std::string stem = fmt::format("model.layers.{}.{}", layer, m[2].str());
    const std::string b_name = fmt::format("base_model.model.{}.lora_B.weight", stem);
    if (layer >= c.num_hidden_layers || !base.contains(stem + ".weight") || !file.contains(b_name))
      fail("{}: tensor '{}' has no base weight {}.weight or no lora_B beside it", path, name, stem);
    const tensor::Tensor ta = file.get(name), tb = file.get(b_name), tw = base.get(stem + ".weight");
    if (ta.shape().size() != 2 || tb.shape().size() != 2 || ta.shape()[0] != a.r || ta.shape()[1] != tw.shape()[1] ||
        tb.shape()[0] != tw.shape()[0] || tb.shape()[1] != a.r)
      fail("{}: tensors '{}' and '{}' do not have shapes (r, in) and (out, r) for r {} and the base's {}", path, name,
           b_name, a.r, stem);
    std::vector<float> lora_a = ta.to_f32(), lora_b = tb.to_f32();
    const bool q = m[2].str() == "self_attn.q_proj", k = m[2].str() == "self_attn.k_proj";
    if (arch == "llama" && (q || k))
      lora_b = permute_rope_rows(lora_b, q ? c.num_attention_heads : c.num_key_value_heads, a.r);
    const std::string gguf = fmt::format("blk.{}.{}.weight", layer, lora_module_names().at(m[2].str()));
    w.add_tensor(gguf + ".lora_a", {ta.shape()[1], a.r}, type, encode_row(type, lora_a.data(), ta.numel()));
    w.add_tensor(gguf + ".lora_b", {a.r, tb.shape()[0]}, type, encode_row(type, lora_b.data(), tb.numel()));
  }
  if (w.tensor_count() == 0) fail("{}: no LoRA tensors", path);
  if (w.tensor_count() != file.names().size())
    fail("{}: a lora_B tensor has no lora_A beside it ({} tensors, {} paired)", path, file.names().size(),
         w.tensor_count());
  w.write(out);
  summary.tensors = w.tensor_count();
  summary.metadata = w.metadata_count();
  summary.types = {{std::string(tensor_type_name(type)), static_cast<int>(summary.tensors)}};
  return summary;
}

}  // namespace aha::io::gguf
