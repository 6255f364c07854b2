#include "aha/train/optimizer_step.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "aha/base/error.hpp"
#include "aha/base/random.hpp"
#include "aha/base/threads.hpp"

namespace aha::train {

std::vector<model::Parameter> trained_parameters(model::Weights& weights, model::Lora* lora) {
  return lora ? model::lora_parameters(*lora) : model::parameters(weights);
}

std::vector<int64_t> parameter_sizes(const std::vector<model::Parameter>& params) {
  std::vector<int64_t> sizes;
  for (const model::Parameter& p : params) sizes.push_back(static_cast<int64_t>(p.values->size()));
  return sizes;
}

model::Gradients gradients_for(const model::Weights& weights, bool lora) {
  if (!lora && model::holds_bf16(weights)) fail_internal("full training needs fp32 weights, not matrices held in bf16");
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

// One partial sum: gradients shaped like the trained tensors, and the scalars.
struct OptimizerStep::Buffer {
  model::Gradients grads;
  model::Lora lora_grads;
  std::vector<std::span<float>> tensors;  // the trained tensors' gradients, in the optimizer's order
  std::vector<double> scalars;
};

// The partial sums of a step: created on demand (at most log2(micro-batches) + 1 per rank, plus
// the nodes other ranks send), reused across steps.
class OptimizerStep::Buffers final : public dist::SumBuffers {
 public:
  Buffers(const model::Weights& weights, const model::Lora* lora) : weights_(weights), lora_(lora) {}

  Buffer& operator[](int i) { return *all_[static_cast<size_t>(i)]; }

  // Every buffer is free again (buffer 0 first).
  void reset() {
    free_.clear();
    for (size_t i = all_.size(); i-- > 0;) free_.push_back(static_cast<int>(i));
  }

  // A free buffer, all zero, with `scalars` scalars; the lowest-numbered free one.
  int acquire(size_t scalars) {
    int i;
    if (free_.empty()) {
      i = static_cast<int>(all_.size());
      all_.push_back(make());
    } else {
      i = free_.back();
      free_.pop_back();
      model::zero_gradients(all_[static_cast<size_t>(i)]->grads);
      model::zero_lora_values(all_[static_cast<size_t>(i)]->lora_grads);
    }
    (*this)[i].scalars.assign(scalars, 0.0);
    return i;
  }

  void add(int into, int from) override {
    Buffer& a = (*this)[into];
    const Buffer& b = (*this)[from];
    parallel_for(a.tensors.size(), [&](size_t begin, size_t end) {
      for (size_t t = begin; t < end; ++t) {
        float* x = a.tensors[t].data();
        const float* y = b.tensors[t].data();
        for (size_t i = 0, n = a.tensors[t].size(); i < n; ++i) x[i] += y[i];
      }
    });
    for (size_t i = 0; i < a.scalars.size(); ++i) a.scalars[i] += b.scalars[i];
    free_.push_back(from);
    std::sort(free_.rbegin(), free_.rend());  // the lowest-numbered at the back
  }

  std::vector<std::byte> to_bytes(int buffer) override {
    const Buffer& b = (*this)[buffer];
    std::vector<std::byte> out;
    append(out, b.scalars.data(), b.scalars.size() * sizeof(double));
    for (const std::span<float>& t : b.tensors) append(out, t.data(), t.size_bytes());
    return out;
  }

  int from_bytes(std::span<const std::byte> bytes) override {
    const int i = acquire(scalars_);
    Buffer& b = (*this)[i];
    size_t at = 0;
    take(bytes, at, b.scalars.data(), b.scalars.size() * sizeof(double));
    for (const std::span<float>& t : b.tensors) take(bytes, at, t.data(), t.size_bytes());
    if (at != bytes.size()) fail_internal("tree reduction: a rank sent a partial sum of another size");
    return i;
  }

  size_t scalars_ = 0;  // scalars per buffer in the current step

 private:
  std::unique_ptr<Buffer> make() {
    auto b = std::make_unique<Buffer>();
    b->grads = gradients_for(weights_, lora_ != nullptr);
    b->lora_grads = lora_ ? *lora_ : model::Lora{};
    model::zero_lora_values(b->lora_grads);
    for (const model::Parameter& p : trained_parameters(b->grads, lora_ ? &b->lora_grads : nullptr))
      b->tensors.emplace_back(*p.values);
    return b;
  }

  static void append(std::vector<std::byte>& out, const void* data, size_t size) {
    const auto* p = static_cast<const std::byte*>(data);
    out.insert(out.end(), p, p + size);
  }

  static void take(std::span<const std::byte> in, size_t& at, void* data, size_t size) {
    if (at + size > in.size()) fail_internal("tree reduction: a rank sent a partial sum of another size");
    std::memcpy(data, in.data() + at, size);
    at += size;
  }

  const model::Weights& weights_;
  const model::Lora* lora_;
  std::vector<std::unique_ptr<Buffer>> all_;
  std::vector<int> free_;  // in decreasing order: the lowest-numbered is taken first
};

OptimizerStep::OptimizerStep(const io::ModelConfig& config, model::Weights& weights, model::Lora* lora,
                             bool gradient_checkpointing, uint64_t seed, size_t activation_shapes,
                             dist::Communicator& comm)
    : config_(config),
      weights_(weights),
      lora_(lora),
      seed_(seed),
      checkpointing_(gradient_checkpointing),
      activation_shapes_(activation_shapes),
      comm_(comm),
      buffers_(std::make_unique<Buffers>(weights, lora)),
      optimizer_(parameter_sizes(trained_parameters(weights, lora))) {
  buffers_->acquire(0);  // buffer 0: the one AdamW reads
  Buffer& sum = (*buffers_)[0];
  tensors_ = optimizer_tensors(trained_parameters(weights_, lora_),
                               trained_parameters(sum.grads, lora_ ? &sum.lora_grads : nullptr));
}

OptimizerStep::~OptimizerStep() = default;

void OptimizerStep::begin(int64_t global_step, int64_t micro_batches, size_t scalars) {
  global_step_ = global_step;
  micro_batches_ = micro_batches;
  scalars_ = scalars;
  buffers_->scalars_ = scalars;
  buffers_->reset();
  stack_.emplace(micro_batches);
}

void OptimizerStep::accumulate(int64_t index, const std::function<void(MicroBatchSums&)>& compute) {
  if (!stack_) fail_internal("OptimizerStep::accumulate before begin");
  const int i = buffers_->acquire(scalars_);
  Buffer& b = (*buffers_)[i];
  MicroBatchSums sums{&b.grads, {}, {}};
  sums.scalars.swap(b.scalars);
  if (lora_) {
    const uint64_t stream = static_cast<uint64_t>(global_step_ * micro_batches_ + index);
    sums.pass = {lora_, &b.lora_grads, RandomStream(seed_, "lora_dropout", stream).next_u64()};
  }
  compute(sums);
  if (sums.scalars.size() != scalars_) fail_internal("OptimizerStep: a micro-batch reported another number of scalars");
  b.scalars.swap(sums.scalars);
  stack_->push(index, i, *buffers_);
}

OptimizerResult OptimizerStep::finish(const AdamWOptions& options, double max_grad_norm) {
  if (!stack_) fail_internal("OptimizerStep::finish before begin");
  int root = dist::reduce_tree(comm_, *stack_, *buffers_);
  stack_.reset();
  if (root != 0) {  // another rank held micro-batch 0: move the sum into the buffer AdamW reads
    const int zero = buffers_->acquire(scalars_);  // buffer 0: free once merged into the root
    buffers_->add(zero, root);
    root = zero;
  }
  OptimizerResult r;
  r.scalars = (*buffers_)[root].scalars;
  const double limit = max_grad_norm > 0 ? max_grad_norm : std::numeric_limits<double>::infinity();
  r.grad_norm = clip_grad_norm(tensors_.grads, limit);
  r.finite = std::isfinite(r.scalars.at(0)) && std::isfinite(r.grad_norm);
  if (r.finite) optimizer_.step(tensors_.slots, options);
  return r;
}

model::Activations& OptimizerStep::activations(int64_t batch, int64_t seq) {
  // Variable-length batches could plan many shapes; keep the memory bounded.
  if (acts_.size() >= activation_shapes_ && !acts_.count({batch, seq})) acts_.clear();
  auto& slot = acts_[{batch, seq}];
  if (!slot) slot = std::make_unique<model::Activations>(config_, batch, seq, checkpointing_);
  slot->bf16 = bf16_;
  return *slot;
}

}  // namespace aha::train
