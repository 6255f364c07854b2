// The Llama/Qwen decoder-only transformer: forward pass over key/value caches, its matrices in
// fp32, held once in bf16 or quantized once to q8_0 (compute_dtype.hpp).
//
// Why inference keeps its own forward beside the training one (model/training.cpp): it runs
// rows of many sequences at different positions in one pass (batched decode), appends keys and
// values to each row's cache and attends over the caches (backend attention_cached_forward),
// multiplies by weights the backend prepared once (q/k/v and gate/up fused into one product
// each), and computes logits only for the rows asked for. The training forward runs whole
// sequences from position 0 with flash attention and keeps every activation for the backward.
// Both compose the same backend ops and read the same architecture (parameter table, MLP
// activation, embedding scale), so an architecture is still written once; tests pin the two
// against each other (decoder_test, gradients_test, toy_geglu_arch_test).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "aha/backend/ops.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/model/compute_dtype.hpp"
#include "aha/model/kv_cache.hpp"
#include "aha/model/weights.hpp"

namespace aha::model {

struct Architecture;
struct Lora;

// Tokens of one sequence to run next, at positions cache->length() onward.
struct SequenceChunk {
  std::span<const int32_t> tokens;
  KVCache* cache;
};

class Model {
 public:
  // Loads the model in the Hugging Face directory `dir`, its matrices in the dtype `dtype` picks.
  // In bfloat16 and q8_0 they are packed straight from the file (never expanded to fp32 whole).
  explicit Model(const std::string& dir, DTypeChoice dtype = DTypeChoice::float32);
  // A model from an already loaded config and weights.
  Model(io::ModelConfig config, Weights weights, ComputeDType dtype = ComputeDType::float32);

  // The parsed config.json.
  const io::ModelConfig& config() const { return config_; }
  // The dtype the matrices multiply in.
  ComputeDType dtype() const { return dtype_; }
  // The fp32 weights; in bfloat16 and q8_0 only the norms and biases (the matrices live, once, in the
  // backend's prepared layout).
  const Weights& weights() const { return weights_; }
  // Replaces the weights by `weights` (the same shapes), with `lora`'s adapters merged when given,
  // and prepares them again in the memory the model already holds: for a policy whose weights change
  // between uses (GRPO's between rollouts).
  void set_weights(const Weights& weights, const Lora* lora = nullptr);
  // The same for a frozen base: prepares again only the products holding a matrix `lora` adapts,
  // from `base` with the adapters merged, and keeps every other product as it is, so those must
  // hold `base`: the model was built from it, or last given it with adapters on the same targets.
  // GRPO with LoRA, whose base is the same at every rollout. Gives the same bits as
  // set_weights(base, &lora).
  void set_adapters(const Weights& base, const Lora& lora);

  // A cache sized for `capacity` positions of this model.
  KVCache new_cache(int64_t capacity) const { return KVCache(config_, capacity); }

  // Runs `tokens` at positions cache.length() onward, appending their keys and values to
  // `cache`. Writes logits (tokens.size(), vocab) to `logits`, or only the last row
  // (1, vocab) when `last_only`. Token ids out of the vocabulary are a bad-input Error.
  void forward(std::span<const int32_t> tokens, KVCache& cache, float* logits, bool last_only) const;

  // Runs several sequences in one batched pass (weights are read once for all rows) and
  // writes the logits of each chunk's last token to `logits` (chunks.size(), vocab).
  // Every chunk needs at least one token and its own cache.
  void forward_batch(std::span<const SequenceChunk> chunks, float* logits) const;

  // Logits (tokens.size(), vocab) of a fresh sequence: one prefill from position 0.
  std::vector<float> logits(std::span<const int32_t> tokens) const;

 private:
  // One row of a batched pass: a token at a position of one sequence's cache.
  struct Row {
    int32_t token;
    int64_t position;
    KVCache* cache;
  };
  std::vector<Row> plan_rows(std::span<const SequenceChunk> chunks) const;
  void run_rows(const std::vector<Row>& rows, std::span<const int64_t> logit_rows, float* logits) const;
  void attention_block(float* x, int64_t layer, const std::vector<Row>& rows) const;
  void mlp_block(float* x, int64_t layer, int64_t rows) const;

  // A layer's linears prepared by the backend once at load: q, k and v as one matrix, gate and
  // up as another (each output is still its own chain, so fusing them changes no value).
  struct PreparedLayer {
    backend::PreparedLinear qkv, o, gate_up, down;
  };
  // Prepares every matrix of `source` in dtype_ (weights_ holds its other tensors); in bfloat16
  // and q8_0 from `dir` for matrices whose values are empty, with `lora`'s adapters merged. With
  // `adapted_only`, only the products that hold a matrix `lora` adapts.
  void prepare(const Weights& source, const io::ModelDir* dir = nullptr, const Lora* lora = nullptr,
               bool adapted_only = false);

  io::ModelConfig config_;
  const Architecture* arch_ = nullptr;
  ComputeDType dtype_ = ComputeDType::float32;
  Weights weights_;
  std::vector<PreparedLayer> prepared_;
  backend::PreparedLinear lm_head_;
  backend::PreparedLinear embed_;  // bfloat16 or q8_0 with an untied head: the embedding table
  std::vector<double> inv_freq_;
};

}  // namespace aha::model
