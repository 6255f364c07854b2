// Gradients of a decoder's weights, laid out as the weights, and the weights as named tensors.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "aha/model/weights.hpp"
#include "aha/tensor/tensor.hpp"

namespace aha::model {

// d(loss)/d(weight) for every weight, in the layout of Weights. An empty vector marks a frozen
// weight that gets no gradient. With tied embeddings the LM head's gradient is added to
// embed_tokens' (lm_head stays empty, as in the weights).
using Gradients = Weights;

// Gradients shaped like `weights`, all zero.
Gradients zero_gradients_like(const Weights& weights);

// Sets every gradient to zero, keeping the shapes.
void zero_gradients(Gradients& grads);

// Throws an internal Error unless every non-empty tensor of `grads` has its weight's size.
void check_gradient_shapes(const Weights& weights, const Gradients& grads);

// One tensor of a Weights (or Gradients) under its Hugging Face name.
struct Parameter {
  std::string name;     // "model.layers.0.self_attn.q_proj.weight", ...
  tensor::Shape shape;  // (out, in) for matrices, (n) for norms and biases
  std::vector<float>* values;
};

// Every non-empty tensor of `weights`, in a fixed order (embedding, layers, final norm, head).
std::vector<Parameter> parameters(Weights& weights);

// Every non-empty tensor of `weights` as an F32 Tensor under its Hugging Face name.
std::map<std::string, tensor::Tensor> to_tensors(const Weights& weights);

}  // namespace aha::model
