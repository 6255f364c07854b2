#include "aha/train/gradient_step.hpp"

#include "aha/model/training.hpp"

namespace aha::train {
namespace {

model::TrainBatch train_batch(const data::MicroBatch& mb, double normaliser) {
  return {mb.tokens, mb.targets, mb.weights, normaliser, mb.sequence_rows};
}

}  // namespace

GradientStep::GradientStep(const io::ModelConfig& config, model::Weights& weights, bool gradient_checkpointing,
                           model::Lora* lora, uint64_t seed, dist::Communicator& comm)
    : config_(config),
      weights_(weights),
      lora_(lora),
      comm_(comm),
      // Variable-length SFT batches could plan many shapes: at most 8 are kept.
      step_(config, weights, lora, gradient_checkpointing, seed, 8, comm) {}

StepResult GradientStep::step(const std::vector<data::MicroBatch>& micro_batches, const AdamWOptions& options,
                              double max_grad_norm, int64_t global_step) {
  int64_t targets = 0;
  StepResult r;
  for (const data::MicroBatch& mb : micro_batches) targets += mb.target_tokens, r.tokens_in += mb.tokens_in;
  const double normaliser = targets > 0 ? static_cast<double>(targets) : 1.0;
  const auto count = static_cast<int64_t>(micro_batches.size());
  step_.begin(global_step, count, 1);
  const auto [first, end] = dist::share_of(comm_, count);
  for (int64_t k = first; k < end; ++k) {
    const data::MicroBatch& mb = micro_batches[static_cast<size_t>(k)];
    step_.accumulate(k, [&](MicroBatchSums& s) {
      s.scalars[0] = model::loss_and_gradients(config_, weights_, train_batch(mb, normaliser),
                                               step_.activations(mb.batch, mb.seq), *s.grads, s.pass);
    });
  }
  const OptimizerResult o = step_.finish(options, max_grad_norm);
  r.loss = o.scalars[0];
  r.grad_norm = o.grad_norm;
  r.finite = o.finite;
  return r;
}

double GradientStep::mean_loss(const std::vector<data::Sequence>& sequences, int64_t batch_size, bool padding_free) {
  int64_t targets = 0;
  const int64_t n = static_cast<int64_t>(sequences.size());
  // Each micro-batch's loss sum (normaliser 1) on one rank, the others' zeros: the rank-ordered
  // sum gives every rank each value exactly, then all add them in the same order.
  std::vector<double> sums(static_cast<size_t>((n + batch_size - 1) / batch_size), 0.0);
  for (int64_t k = 0; k < static_cast<int64_t>(sums.size()); ++k) {
    std::vector<int64_t> indices;
    for (int64_t i = k * batch_size; i < std::min(n, (k + 1) * batch_size); ++i) indices.push_back(i);
    const data::MicroBatch mb = data::make_micro_batch(sequences, indices, padding_free);
    targets += mb.target_tokens;
    if (k % comm_.size() != comm_.rank()) continue;
    sums[static_cast<size_t>(k)] =
        model::compute_loss(config_, weights_, train_batch(mb, 1.0), step_.activations(mb.batch, mb.seq), lora_);
  }
  comm_.all_reduce_sum(std::span<double>(sums));
  double total = 0.0;
  for (double s : sums) total += s;
  return targets > 0 ? total / static_cast<double>(targets) : 0.0;
}

}  // namespace aha::train
