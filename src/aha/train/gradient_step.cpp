#include "aha/train/gradient_step.hpp"

#include <cmath>
#include <limits>

#include "aha/model/training.hpp"

namespace aha::train {
namespace {

std::vector<int64_t> parameter_sizes(model::Weights& weights) {
  std::vector<int64_t> sizes;
  for (const model::Parameter& p : model::parameters(weights)) sizes.push_back(static_cast<int64_t>(p.values->size()));
  return sizes;
}

model::TrainBatch train_batch(const data::MicroBatch& mb, double normaliser) {
  return {mb.tokens, mb.targets, mb.weights, normaliser};
}

}  // namespace

GradientStep::GradientStep(const io::ModelConfig& config, model::Weights& weights, bool gradient_checkpointing)
    : config_(config),
      weights_(weights),
      grads_(model::zero_gradients_like(weights)),
      checkpointing_(gradient_checkpointing),
      optimizer_(parameter_sizes(weights)) {
  const auto params = model::parameters(weights_), grads = model::parameters(grads_);
  for (size_t i = 0; i < params.size(); ++i) {
    names_.push_back(params[i].name);
    // Norm weights and biases are vectors: no weight decay for them, as TRL configures AdamW.
    slots_.push_back({*params[i].values, *grads[i].values, params[i].shape.size() >= 2});
    grad_spans_.emplace_back(*grads[i].values);
  }
}

model::Activations& GradientStep::activations(int64_t batch, int64_t seq) {
  // Variable-length SFT batches could plan many shapes; keep the memory bounded.
  if (acts_.size() >= 8 && !acts_.count({batch, seq})) acts_.clear();
  auto& slot = acts_[{batch, seq}];
  if (!slot) slot = std::make_unique<model::Activations>(config_, batch, seq, checkpointing_);
  return *slot;
}

StepResult GradientStep::step(const std::vector<data::MicroBatch>& micro_batches, const AdamWOptions& options,
                              double max_grad_norm) {
  model::zero_gradients(grads_);
  int64_t targets = 0;
  StepResult r;
  for (const data::MicroBatch& mb : micro_batches) targets += mb.target_tokens, r.tokens_in += mb.tokens_in;
  const double normaliser = targets > 0 ? static_cast<double>(targets) : 1.0;
  for (const data::MicroBatch& mb : micro_batches)
    r.loss += model::loss_and_gradients(config_, weights_, train_batch(mb, normaliser),
                                        activations(mb.batch, mb.seq), grads_);
  const double limit = max_grad_norm > 0 ? max_grad_norm : std::numeric_limits<double>::infinity();
  r.grad_norm = clip_grad_norm(grad_spans_, limit);
  r.finite = std::isfinite(r.loss) && std::isfinite(r.grad_norm);
  if (r.finite) optimizer_.step(slots_, options);
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
    total += model::compute_loss(config_, weights_, train_batch(mb, 1.0), activations(mb.batch, mb.seq));
    targets += mb.target_tokens;
  }
  return targets > 0 ? total / static_cast<double>(targets) : 0.0;
}

}  // namespace aha::train
