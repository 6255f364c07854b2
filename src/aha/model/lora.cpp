#include "aha/model/lora.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "aha/backend/ops.hpp"
#include "aha/base/error.hpp"

namespace aha::model {
namespace {

constexpr const char* kNames[kLoraModules] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                              "gate_proj", "up_proj", "down_proj"};

// SplitMix64's finaliser: a counter-based hash for dropout masks.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// True when dropout keeps element i: a uniform in [0, 1) from 24 hash bits is at least p.
bool keeps(const LoraDropout& d, uint64_t i) {
  const uint64_t u = mix(d.seed ^ mix(i + 0x9e3779b97f4a7c15ULL)) >> 40;
  return static_cast<double>(u) * 0x1p-24 >= d.p;
}

// dropout(inp) (rows, in), or an empty vector when p = 0 (the input is used as it is).
std::vector<float> dropped_input(const float* inp, int64_t n, const LoraDropout& d) {
  std::vector<float> x;
  if (d.p <= 0.0) return x;
  x.resize(static_cast<size_t>(n));
  const float keep_scale = static_cast<float>(1.0 / (1.0 - d.p));
  for (int64_t i = 0; i < n; ++i) x[i] = keeps(d, static_cast<uint64_t>(i)) ? inp[i] * keep_scale : 0.0f;
  return x;
}

}  // namespace

std::vector<std::string> resolve_lora_targets(const std::vector<std::string>& names, const std::string& origin) {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    if (name == "all-linear") {
      for (const char* n : kNames) out.push_back(n);
      continue;
    }
    if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames))
      fail(
          "{}: target module '{}' is not one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, "
          "all-linear",
          origin, name);
    out.push_back(name);
  }
  if (out.empty()) fail("{}: no target modules: name at least one (or all-linear)", origin);
  std::vector<std::string> ordered;  // PEFT stores a set; keep the module order, without repeats
  for (const char* n : kNames)
    if (std::find(out.begin(), out.end(), n) != out.end()) ordered.push_back(n);
  return ordered;
}

float LoraSettings::scale() const {
  const double rank = static_cast<double>(r);
  return static_cast<float>(use_rslora ? alpha / std::sqrt(rank) : alpha / rank);
}

Lora zero_lora(const io::ModelConfig& c, const LoraSettings& settings) {
  if (settings.r < 1) fail("LoRA rank r must be at least 1, got {}", settings.r);
  // A rank above every width of the model adds nothing and could exhaust memory.
  if (settings.r > std::max(c.hidden_size, c.intermediate_size))
    fail("LoRA rank r {} exceeds the model's widths (hidden_size {}, intermediate_size {})", settings.r, c.hidden_size,
         c.intermediate_size);
  Lora lora;
  lora.settings = settings;
  lora.layers.resize(static_cast<size_t>(c.num_hidden_layers));
  const auto& t = settings.target_modules;
  for (const ParameterSpec& p : parameter_table(c)) {
    if (p.lora_module == kNotLoraTarget || std::find(t.begin(), t.end(), kNames[p.lora_module]) == t.end()) continue;
    LoraLinear& l = lora.layers[static_cast<size_t>(p.layer)][p.lora_module];
    l.in = p.shape[1], l.out = p.shape[0], l.r = settings.r;
    l.a.assign(static_cast<size_t>(l.r * l.in), 0.0f);
    l.b.assign(static_cast<size_t>(l.out * l.r), 0.0f);
    l.base = p.name.substr(0, p.name.size() - std::string(".weight").size());
  }
  return lora;
}

void zero_lora_values(Lora& lora) {
  for (auto& layer : lora.layers)
    for (LoraLinear& l : layer) {
      std::fill(l.a.begin(), l.a.end(), 0.0f);
      std::fill(l.b.begin(), l.b.end(), 0.0f);
    }
}

std::vector<Parameter> lora_parameters(Lora& lora) {
  std::vector<Parameter> out;
  for (size_t i = 0; i < lora.layers.size(); ++i)
    for (int m = 0; m < kLoraModules; ++m) {
      LoraLinear& l = lora.layers[i][m];
      if (l.a.empty()) continue;
      const std::string p = "base_model.model." + l.base + ".";
      out.push_back({p + "lora_A.weight", {l.r, l.in}, &l.a});
      out.push_back({p + "lora_B.weight", {l.out, l.r}, &l.b});
    }
  return out;
}

std::map<std::string, tensor::Tensor> lora_tensors(const Lora& lora) {
  std::map<std::string, tensor::Tensor> out;
  for (const Parameter& p : lora_parameters(const_cast<Lora&>(lora)))
    out[p.name] = tensor::Tensor::from_f32(p.shape, *p.values);
  return out;
}

void read_lora_tensors(Lora& lora, const std::function<tensor::Tensor(const std::string&)>& get,
                       const std::string& origin) {
  for (const Parameter& p : lora_parameters(lora)) {
    const tensor::Tensor t = get(p.name);
    if (t.shape() != p.shape)
      fail("{}: tensor '{}' has shape {}, expected {}", origin, p.name, tensor::shape_string(t.shape()),
           tensor::shape_string(p.shape));
    if (!tensor::is_float_dtype(t.dtype()))
      fail("{}: tensor '{}' has dtype {}, expected F32, F16 or BF16", origin, p.name, tensor::dtype_name(t.dtype()));
    *p.values = t.to_f32();
  }
}

const LoraLinear* adapter_for(const Lora& lora, const ParameterSpec& p) {
  if (p.lora_module == kNotLoraTarget) return nullptr;
  const LoraLinear& l = lora.layers[static_cast<size_t>(p.layer)][p.lora_module];
  return l.a.empty() ? nullptr : &l;
}

void merge_lora(Weights& weights, const Lora& lora) {
  if (weights.layers.size() != lora.layers.size()) fail_internal("the adapter does not have the model's layer count");
  const double scale = lora.settings.scale();
  for (const ParameterSpec& p : parameter_table(weights.config)) {
    const LoraLinear* l = adapter_for(lora, p);
    if (!l) continue;
    Linear& w = *p.slot(weights).linear;
    if (w.in != l->in || w.out != l->out) fail_internal("adapter and weight shapes differ");
    merge_lora_linear(w.weight, *l, scale);
  }
}

void merge_lora_linear(std::vector<float>& weight, const LoraLinear& l, double scale) {
  if (weight.size() != static_cast<size_t>(l.out * l.in)) fail_internal("adapter and weight shapes differ");
  // W (out, in) += scale · B (out, r) · A (r, in), each element summed in double.
  for (int64_t o = 0; o < l.out; ++o)
    for (int64_t j = 0; j < l.in; ++j) {
      double sum = 0.0;
      for (int64_t k = 0; k < l.r; ++k) sum += static_cast<double>(l.b[o * l.r + k]) * l.a[k * l.in + j];
      weight[o * l.in + j] = static_cast<float>(weight[o * l.in + j] + scale * sum);
    }
}

void lora_forward(float* out, const float* inp, const LoraLinear& l, float scale, int64_t rows,
                  const LoraDropout& dropout) {
  const std::vector<float> dropped = dropped_input(inp, rows * l.in, dropout);
  const float* x = dropped.empty() ? inp : dropped.data();
  // h (rows, r) = scale · x · Aᵀ; y (rows, out) = h · Bᵀ
  std::vector<float> h(static_cast<size_t>(rows * l.r)), y(static_cast<size_t>(rows * l.out));
  backend::ops().linear_forward(h.data(), x, l.a.data(), nullptr, rows, l.in, l.r);
  for (float& v : h) v *= scale;
  backend::ops().linear_forward(y.data(), h.data(), l.b.data(), nullptr, rows, l.r, l.out);
  for (size_t i = 0; i < y.size(); ++i) out[i] += y[i];
}

void lora_backward(float* dinp, LoraLinear& grad, const float* dout, const float* inp, const LoraLinear& l, float scale,
                   int64_t rows, const LoraDropout& dropout) {
  const std::vector<float> dropped = dropped_input(inp, rows * l.in, dropout);
  const float* x = dropped.empty() ? inp : dropped.data();
  std::vector<float> h(static_cast<size_t>(rows * l.r)), dh(h.size(), 0.0f);
  backend::ops().linear_forward(h.data(), x, l.a.data(), nullptr, rows, l.in, l.r);
  for (float& v : h) v *= scale;
  // dB += doutᵀ · h; dh = dout · B, then through the scale: d(x·Aᵀ) = scale · dh.
  backend::ops().linear_backward(dh.data(), grad.b.empty() ? nullptr : grad.b.data(), nullptr, dout, h.data(),
                                 l.b.data(), rows, l.r, l.out);
  for (float& v : dh) v *= scale;
  float* da = grad.a.empty() ? nullptr : grad.a.data();
  if (dropped.empty()) {
    backend::ops().linear_backward(dinp, da, nullptr, dh.data(), x, l.a.data(), rows, l.in, l.r);
    return;
  }
  std::vector<float> dx(static_cast<size_t>(rows * l.in), 0.0f);
  backend::ops().linear_backward(dinp ? dx.data() : nullptr, da, nullptr, dh.data(), x, l.a.data(), rows, l.in, l.r);
  if (!dinp) return;
  const float keep_scale = static_cast<float>(1.0 / (1.0 - dropout.p));
  for (int64_t i = 0; i < rows * l.in; ++i)
    if (keeps(dropout, static_cast<uint64_t>(i))) dinp[i] += dx[i] * keep_scale;
}

uint64_t lora_dropout_seed(uint64_t micro_batch_seed, int64_t layer, int module) {
  return mix(micro_batch_seed ^ mix(static_cast<uint64_t>(layer * kLoraModules + module) + 1));
}

}  // namespace aha::model
