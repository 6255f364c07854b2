#include "aha/train/gradient_step.hpp"

#include <cmath>
#include <limits>

#include "aha/base/random.hpp"
#include "aha/model/training.hpp"

namespace aha::train {
namespace {

model::TrainBatch train_batch(const data::MicroBatch& mb, double normaliser) {
  return {mb.tokens, mb.targets, mb.weights, normaliser};
}

}  // namespace

std::vector<model::Parameter> trained_parameters(model::Weights& weights, model::Lora* lora) {
  return lora ? model::lora_parameters(*lora) : model::parameters(weights);
}

std::vector<int64_t> parameter_sizes(const std::vector<model::Parameter>& params) {
  std::vector<int64_t> sizes;
  for (const model::Parameter& p : params) sizes.push_back(static_cast<int64_t>(p.values->size()));
  return sizes;
}

model::Gradients gradients_for(const model::Weights& weights, bool lora) {
  if (!lora) return model::zero_gradients_like(weights);
  model::Gradients g;
  g.layers.resize(weights.layers.size());
  return g;
}

OptimizerTensors optimizer_tensors(const std::vector<model::Parameter>& params,
                                   const std::vector<model::Parameter>& grads) {
  OptimizerTensors t;
  for (size_t i = 0; i < params.size(); ++i) {
    t.names.push_back(params[i].name);
    t.slots.push_back({*params[i].values, *grads[i].values, params[i].shape.size() >= 2});
    t.grads.emplace_back(*grads[i].values);
  }
  return t;
}

GradientStep::GradientStep(const io::ModelConfig& config, model::Weights& weights, bool gradient_checkpointing,
                           model::Lora* lora, uint64_t seed)
    : config_(config),
      weights_(weights),
      grads_(gradients_for(weights, lora != nullptr)),
      lora_(lora),
      lora_grads_(lora ? *lora : model::Lora{}),
      seed_(seed),
      checkpointing_(gradient_checkpointing),
      optimizer_(parameter_sizes(trained_parameters(weights, lora))) {
  model::zero_lora_values(lora_grads_);
  tensors_ = optimizer_tensors(trained_parameters(weights_, lora_),
                               trained_parameters(grads_, lora_ ? &lora_grads_ : nullptr));
}

model::Activations& GradientStep::activations(int64_t batch, int64_t seq) {
  // Variable-length SFT batches could plan many shapes; keep the memory bounded.
  if (acts_.size() >= 8 && !acts_.count({batch, seq})) acts_.clear();
  auto& slot = acts_[{batch, seq}];
  if (!slot) slot = std::make_unique<model::Activations>(config_, batch, seq, checkpointing_);
  return *slot;
}

StepResult GradientStep::step(const std::vector<data::MicroBatch>& micro_batches, const AdamWOptions& options,
                              double max_grad_norm, int64_t global_step) {
  model::zero_gradients(grads_);
  model::zero_lora_values(lora_grads_);
  int64_t targets = 0;
  StepResult r;
  for (const data::MicroBatch& mb : micro_batches) targets += mb.target_tokens, r.tokens_in += mb.tokens_in;
  const double normaliser = targets > 0 ? static_cast<double>(targets) : 1.0;
  const uint64_t first = static_cast<uint64_t>(global_step) * micro_batches.size();
  for (size_t k = 0; k < micro_batches.size(); ++k) {
    const data::MicroBatch& mb = micro_batches[k];
    model::LoraPass pass;
    if (lora_) pass = {lora_, &lora_grads_, RandomStream(seed_, "lora_dropout", first + k).next_u64()};
    r.loss += model::loss_and_gradients(config_, weights_, train_batch(mb, normaliser),
                                        activations(mb.batch, mb.seq), grads_, pass);
  }
  const double limit = max_grad_norm > 0 ? max_grad_norm : std::numeric_limits<double>::infinity();
  r.grad_norm = clip_grad_norm(tensors_.grads, limit);
  r.finite = std::isfinite(r.loss) && std::isfinite(r.grad_norm);
  if (r.finite) optimizer_.step(tensors_.slots, options);
  return r;
}

double GradientStep::mean_loss(const std::vector<data::Sequence>& sequences, int64_t batch_size) {
  double total = 0.0;
  int64_t targets = 0;
  const int64_t n = static_cast<int64_t>(sequences.size());
  for (int64_t begin = 0; begin < n; begin += batch_size) {
    std::vector<int64_t> indices;
    for (int64_t i = begin; i < std::min(n, begin + batch_size); ++i) indices.push_back(i);
    const data::MicroBatch mb = data::make_micro_batch(sequences, indices);
    // normaliser 1: the sum of the token losses.
    total += model::compute_loss(config_, weights_, train_batch(mb, 1.0), activations(mb.batch, mb.seq), lora_);
    targets += mb.target_tokens;
  }
  return targets > 0 ? total / static_cast<double>(targets) : 0.0;
}

}  // namespace aha::train
