#include "aha/model/gradients.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/model/parameter_table.hpp"

namespace aha::model {
namespace {

// Calls fn(name, shape, values) for every tensor of w's parameter table, empty (frozen) or not.
// A default-constructed Weights (no model_type) has no tensors.
template <typename W, typename Fn>
void for_each_tensor(W& w, Fn&& fn) {
  if (w.config.model_type.empty()) return;
  Weights& mutable_w = const_cast<Weights&>(w);  // the slot only locates the tensor
  for (const ParameterSpec& p : parameter_table(w.config)) fn(p.name, p.shape, *p.slot(mutable_w).values);
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
  if (grads.layers.size() != weights.layers.size()) fail_internal("gradients do not have the weights' layer count");
  std::vector<size_t> sizes;
  for_each_tensor(weights, [&](const std::string&, const tensor::Shape&, const std::vector<float>& v) {
    sizes.push_back(v.size());
  });
  size_t i = 0;
  for_each_tensor(grads, [&](const std::string& name, const tensor::Shape&, const std::vector<float>& g) {
    const size_t expected = sizes[i++];
    if (!g.empty() && g.size() != expected)
      fail_internal(fmt::format("gradient '{}' does not have the shape of its weight", name));
  });
}

std::vector<Parameter> parameters(Weights& weights) {
  std::vector<Parameter> out;
  for_each_tensor(weights, [&](const std::string& name, const tensor::Shape& shape, std::vector<float>& v) {
    if (!v.empty()) out.push_back({name, shape, &v});
  });
  return out;
}

std::map<std::string, tensor::Tensor> to_tensors(const Weights& weights) {
  std::map<std::string, tensor::Tensor> out;
  for_each_tensor(weights, [&](const std::string& name, const tensor::Shape& shape, const std::vector<float>& v) {
    if (!v.empty()) out[name] = tensor::Tensor::from_f32(shape, v);
  });
  return out;
}

}  // namespace aha::model
