#include "aha/model/gradients.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "aha/base/error.hpp"

namespace aha::model {
namespace {

// Calls fn(name, shape, values) for every tensor of w (a Weights or const Weights), empty or not.
template <typename W, typename Fn>
void for_each_tensor(W& w, Fn&& fn) {
  const int64_t hidden = static_cast<int64_t>(w.final_norm.size());
  const int64_t vocab = hidden ? static_cast<int64_t>(w.embed_tokens.size()) / hidden : 0;
  auto linear = [&](const std::string& name, auto& l) {
    fn(name + ".weight", tensor::Shape{l.out, l.in}, l.weight);
    fn(name + ".bias", tensor::Shape{l.out}, l.bias);
  };
  auto vector = [&](const std::string& name, auto& v) {
    fn(name, tensor::Shape{static_cast<int64_t>(v.size())}, v);
  };
  fn(std::string("model.embed_tokens.weight"), tensor::Shape{vocab, hidden}, w.embed_tokens);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    auto& l = w.layers[i];
    const std::string p = fmt::format("model.layers.{}.", i);
    vector(p + "input_layernorm.weight", l.input_norm);
    vector(p + "post_attention_layernorm.weight", l.post_attention_norm);
    linear(p + "self_attn.q_proj", l.q_proj);
    linear(p + "self_attn.k_proj", l.k_proj);
    linear(p + "self_attn.v_proj", l.v_proj);
    linear(p + "self_attn.o_proj", l.o_proj);
    vector(p + "self_attn.q_norm.weight", l.q_norm);
    vector(p + "self_attn.k_norm.weight", l.k_norm);
    linear(p + "mlp.gate_proj", l.gate_proj);
    linear(p + "mlp.up_proj", l.up_proj);
    linear(p + "mlp.down_proj", l.down_proj);
  }
  vector("model.norm.weight", w.final_norm);
  fn(std::string("lm_head.weight"), tensor::Shape{w.lm_head.out, w.lm_head.in}, w.lm_head.weight);
}

}  // namespace

Gradients zero_gradients_like(const Weights& weights) {
  Gradients g = weights;
  zero_gradients(g);
  return g;
}

void zero_gradients(Gradients& grads) {
  for_each_tensor(grads, [](const std::string&, const tensor::Shape&, std::vector<float>& v) {
    std::fill(v.begin(), v.end(), 0.0f);
  });
}

void check_gradient_shapes(const Weights& weights, const Gradients& grads) {
  if (grads.layers.size() != weights.layers.size())
    fail_internal("gradients do not have the weights' layer count");
  std::vector<size_t> sizes;
  for_each_tensor(weights, [&](const std::string&, const tensor::Shape&,
                               const std::vector<float>& v) { sizes.push_back(v.size()); });
  size_t i = 0;
  for_each_tensor(
      grads, [&](const std::string& name, const tensor::Shape&, const std::vector<float>& g) {
        const size_t expected = sizes[i++];
        if (!g.empty() && g.size() != expected)
          fail_internal(fmt::format("gradient '{}' does not have the shape of its weight", name));
      });
}

std::vector<Parameter> parameters(Weights& weights) {
  std::vector<Parameter> out;
  for_each_tensor(weights,
                  [&](const std::string& name, const tensor::Shape& shape, std::vector<float>& v) {
                    if (!v.empty()) out.push_back({name, shape, &v});
                  });
  return out;
}

std::map<std::string, tensor::Tensor> to_tensors(const Weights& weights) {
  std::map<std::string, tensor::Tensor> out;
  for_each_tensor(weights, [&](const std::string& name, const tensor::Shape& shape,
                               const std::vector<float>& v) {
    if (!v.empty()) out[name] = tensor::Tensor::from_f32(shape, v);
  });
  return out;
}

}  // namespace aha::model
