#include "aha/model/training.hpp"

#include <algorithm>
#include <cmath>

#include "aha/base/error.hpp"
#include "aha/tensor/attention_flash.hpp"
#include "aha/tensor/cross_entropy.hpp"
#include "aha/tensor/embedding.hpp"
#include "aha/tensor/matmul.hpp"
#include "aha/tensor/rmsnorm.hpp"
#include "aha/tensor/rope.hpp"
#include "aha/tensor/swiglu.hpp"

namespace aha::model {
namespace {

using namespace aha::tensor;

// The sizes every step uses, from the config and the planned (batch, seq).
struct Dims {
  int64_t batch, seq, rows, hidden, heads, kv_heads, head_dim, q_dim, kv_dim, ff, vocab;
  float eps;
  bool qk_norm;
};

Dims dims_of(const io::ModelConfig& c, const Activations& acts) {
  return {acts.batch,
          acts.seq,
          acts.rows,
          c.hidden_size,
          c.num_attention_heads,
          c.num_key_value_heads,
          c.head_dim,
          c.num_attention_heads * c.head_dim,
          c.num_key_value_heads * c.head_dim,
          c.intermediate_size,
          c.vocab_size,
          static_cast<float>(c.rms_norm_eps),
          c.qk_norm};
}

// nullptr for an empty (frozen) gradient.
float* grad_or_null(std::vector<float>& g) { return g.empty() ? nullptr : g.data(); }

void zero(std::vector<float>& v) { std::fill(v.begin(), v.end(), 0.0f); }

// The LoRA adapter of one linear in this pass; w == nullptr when the linear has none.
struct Adapter {
  const LoraLinear* w = nullptr;
  LoraLinear* g = nullptr;
  float scale = 0.0f;
  LoraDropout dropout;
};

// The adapters of decoder layer `layer` in a pass.
struct LayerLora {
  const LoraPass& pass;
  int64_t layer;
  bool training;  // dropout on

  Adapter operator()(int module) const {
    if (!pass.lora || pass.lora->layers[layer][module].a.empty()) return {};
    const LoraSettings& s = pass.lora->settings;
    Adapter ad{&pass.lora->layers[layer][module], nullptr, s.scale(), {}};
    if (pass.grads) ad.g = &pass.grads->layers[layer][module];
    if (training) ad.dropout = {s.dropout, lora_dropout_seed(pass.dropout_seed, layer, module)};
    return ad;
  }
};

void linear(float* out, const float* inp, const Linear& l, const Adapter& ad, int64_t rows) {
  matmul_forward(out, inp, l.weight.data(), l.bias.empty() ? nullptr : l.bias.data(), rows, l.in,
                 l.out);
  if (ad.w) lora_forward(out, inp, *ad.w, ad.scale, rows, ad.dropout);
}

void linear_backward(float* dinp, Linear& grad, const float* dout, const float* inp,
                     const Linear& l, const Adapter& ad, int64_t rows) {
  matmul_backward(dinp, grad_or_null(grad.weight), grad_or_null(grad.bias), dout, inp,
                  l.weight.data(), rows, l.in, l.out);
  if (ad.w) lora_backward(dinp, *ad.g, dout, inp, *ad.w, ad.scale, rows, ad.dropout);
}

void check_inputs(const io::ModelConfig& c, const Weights& w, const TrainBatch& b,
                  const Activations& acts) {
  const auto rows = static_cast<size_t>(acts.rows);
  if (b.tokens.size() != rows || b.targets.size() != rows || b.loss_weights.size() != rows)
    fail("training batch has {} tokens, {} targets and {} weights; the plan is {} x {} = {}",
         b.tokens.size(), b.targets.size(), b.loss_weights.size(), acts.batch, acts.seq, rows);
  if (acts.residual.size() != static_cast<size_t>(c.num_hidden_layers + 1) ||
      acts.residual[0].size() != rows * static_cast<size_t>(c.hidden_size) ||
      acts.layers[0].gate.size() != rows * static_cast<size_t>(c.intermediate_size) ||
      acts.layers[0].q.size() != rows * static_cast<size_t>(c.num_attention_heads * c.head_dim) ||
      acts.logits.size() != static_cast<size_t>(acts.logit_chunk_rows * c.vocab_size) ||
      acts.layers[0].q_lin.empty() == c.qk_norm)
    fail_internal("activations were planned for a different model");
  if (w.layers.size() != static_cast<size_t>(c.num_hidden_layers))
    fail_internal("weights do not have the config's layer count");
  if (!(b.normaliser > 0.0)) fail("loss normaliser must be positive, got {}", b.normaliser);
  if (c.sliding_window > 0 && acts.seq > c.sliding_window)
    fail("sequences of {} tokens exceed sliding_window ({}), which aha does not implement",
         acts.seq, c.sliding_window);
  for (size_t r = 0; r < rows; ++r) {
    if (b.tokens[r] < 0 || b.tokens[r] >= c.vocab_size)
      fail("token id {} at row {} is outside the vocabulary (size {})", b.tokens[r], r,
           c.vocab_size);
    if (b.targets[r] >= c.vocab_size)
      fail("target id {} at row {} is outside the vocabulary (size {})", b.targets[r], r,
           c.vocab_size);
  }
}

// x (rows, hidden) -> out (rows, hidden) = mid + mlp(mid), mid = x + attention(x); fills `a`.
void layer_forward(const Dims& d, const LayerWeights& w, const LayerLora& lora,
                   const Activations& acts, const float* x, float* out, LayerActivations& a) {
  const int64_t rows = d.rows;
  rmsnorm_forward(a.normed1.data(), x, w.input_norm.data(), rows, d.hidden, d.eps);
  linear(d.qk_norm ? a.q_lin.data() : a.q.data(), a.normed1.data(), w.q_proj, lora(q_proj), rows);
  linear(d.qk_norm ? a.k_lin.data() : a.k.data(), a.normed1.data(), w.k_proj, lora(k_proj), rows);
  linear(a.v.data(), a.normed1.data(), w.v_proj, lora(v_proj), rows);
  if (d.qk_norm) {
    rmsnorm_forward(a.q.data(), a.q_lin.data(), w.q_norm.data(), rows * d.heads, d.head_dim, d.eps);
    rmsnorm_forward(a.k.data(), a.k_lin.data(), w.k_norm.data(), rows * d.kv_heads, d.head_dim,
                    d.eps);
  }
  rope_forward_table(a.q.data(), acts.rope, acts.positions.data(), rows, d.heads, d.head_dim);
  rope_forward_table(a.k.data(), acts.rope, acts.positions.data(), rows, d.kv_heads, d.head_dim);
  attention_flash_forward(a.att.data(), a.lse.data(), a.q.data(), a.k.data(), a.v.data(), d.batch,
                          d.seq, d.heads, d.kv_heads, d.head_dim);
  linear(a.mid.data(), a.att.data(), w.o_proj, lora(o_proj), rows);
  for (int64_t i = 0; i < rows * d.hidden; ++i) a.mid[i] = x[i] + a.mid[i];

  rmsnorm_forward(a.normed2.data(), a.mid.data(), w.post_attention_norm.data(), rows, d.hidden,
                  d.eps);
  linear(a.gate.data(), a.normed2.data(), w.gate_proj, lora(gate_proj), rows);
  linear(a.up.data(), a.normed2.data(), w.up_proj, lora(up_proj), rows);
  swiglu_forward(a.act.data(), a.gate.data(), a.up.data(), rows * d.ff);
  linear(out, a.act.data(), w.down_proj, lora(down_proj), rows);
  for (int64_t i = 0; i < rows * d.hidden; ++i) out[i] = a.mid[i] + out[i];
}

// d(out) of the MLP block in g.residual -> d(mid) in g.residual; accumulates the MLP's gradients.
void mlp_backward(const Dims& d, const LayerWeights& w, const LayerLora& lora, LayerWeights& gw,
                  const LayerActivations& a, ActivationGradients& g) {
  const int64_t rows = d.rows;
  zero(g.act);
  linear_backward(g.act.data(), gw.down_proj, g.residual.data(), a.act.data(), w.down_proj,
                  lora(down_proj), rows);
  zero(g.gate);
  zero(g.up);
  swiglu_backward(g.gate.data(), g.up.data(), g.act.data(), a.gate.data(), a.up.data(),
                  rows * d.ff);
  zero(g.normed);
  linear_backward(g.normed.data(), gw.gate_proj, g.gate.data(), a.normed2.data(), w.gate_proj,
                  lora(gate_proj), rows);
  linear_backward(g.normed.data(), gw.up_proj, g.up.data(), a.normed2.data(), w.up_proj,
                  lora(up_proj), rows);
  rmsnorm_backward(g.residual.data(), grad_or_null(gw.post_attention_norm), g.normed.data(),
                   a.mid.data(), w.post_attention_norm.data(), rows, d.hidden, d.eps);
}

// d(mid) in g.residual -> d(x) in g.residual; accumulates the attention block's gradients.
void attention_backward_block(const Dims& d, const LayerWeights& w, const LayerLora& lora,
                              LayerWeights& gw, const Activations& acts, const float* x,
                              const LayerActivations& a, ActivationGradients& g) {
  const int64_t rows = d.rows;
  zero(g.att);
  linear_backward(g.att.data(), gw.o_proj, g.residual.data(), a.att.data(), w.o_proj,
                  lora(o_proj), rows);
  zero(g.q);
  zero(g.k);
  zero(g.v);
  attention_flash_backward(g.q.data(), g.k.data(), g.v.data(), g.att.data(), a.att.data(),
                           a.lse.data(), a.q.data(), a.k.data(), a.v.data(), d.batch, d.seq, d.heads,
                           d.kv_heads, d.head_dim);
  rope_backward_table(g.q.data(), acts.rope, acts.positions.data(), rows, d.heads, d.head_dim);
  rope_backward_table(g.k.data(), acts.rope, acts.positions.data(), rows, d.kv_heads, d.head_dim);
  float* dq = g.q.data();
  float* dk = g.k.data();
  if (d.qk_norm) {
    zero(g.q_lin);
    zero(g.k_lin);
    rmsnorm_backward(g.q_lin.data(), grad_or_null(gw.q_norm), g.q.data(), a.q_lin.data(),
                     w.q_norm.data(), rows * d.heads, d.head_dim, d.eps);
    rmsnorm_backward(g.k_lin.data(), grad_or_null(gw.k_norm), g.k.data(), a.k_lin.data(),
                     w.k_norm.data(), rows * d.kv_heads, d.head_dim, d.eps);
    dq = g.q_lin.data();
    dk = g.k_lin.data();
  }
  zero(g.normed);
  linear_backward(g.normed.data(), gw.q_proj, dq, a.normed1.data(), w.q_proj, lora(q_proj), rows);
  linear_backward(g.normed.data(), gw.k_proj, dk, a.normed1.data(), w.k_proj, lora(k_proj), rows);
  linear_backward(g.normed.data(), gw.v_proj, g.v.data(), a.normed1.data(), w.v_proj,
                  lora(v_proj), rows);
  rmsnorm_backward(g.residual.data(), grad_or_null(gw.input_norm), g.normed.data(), x,
                   w.input_norm.data(), rows, d.hidden, d.eps);
}

// Embedding, every layer and the final norm, keeping what the backward needs.
void forward(const Dims& d, const Weights& w, const LoraPass& lora, const TrainBatch& b,
             Activations& acts) {
  embedding_forward(acts.residual[0].data(), b.tokens.data(), w.embed_tokens.data(), d.rows,
                    d.hidden);
  for (size_t l = 0; l < w.layers.size(); ++l) {
    LayerActivations& a = acts.layers[acts.gradient_checkpointing ? 0 : l];
    const LayerLora layer_lora{lora, static_cast<int64_t>(l), lora.grads != nullptr};
    layer_forward(d, w.layers[l], layer_lora, acts, acts.residual[l].data(),
                  acts.residual[l + 1].data(), a);
  }
  rmsnorm_forward(acts.final_normed.data(), acts.residual.back().data(), w.final_norm.data(),
                  d.rows, d.hidden, d.eps);
}

// Logits and per-token losses, one chunk of rows at a time so that the (rows, vocab) logits never
// exist at once; the backward reuses the chunk's logits buffer for their gradient. With `backward`, also adds d(final_normed) to acts.grad.normed and d(LM head) to
// dhead (nullptr: frozen), with d(loss)/d(token loss) taken from acts.grad.losses.
void head(const Dims& d, const Weights& w, const TrainBatch& b, Activations& acts, float* dhead,
          bool backward) {
  const float* lm_head = lm_head_matrix(w).data();
  ActivationGradients& g = acts.grad;
  for (int64_t r0 = 0; r0 < d.rows; r0 += acts.logit_chunk_rows) {
    const int64_t n = std::min(acts.logit_chunk_rows, d.rows - r0);
    const float* x = acts.final_normed.data() + r0 * d.hidden;
    matmul_forward(acts.logits.data(), x, lm_head, nullptr, n, d.hidden, d.vocab);
    if (!backward) {
      cross_entropy_forward(acts.losses.data() + r0, acts.logits.data(), b.targets.data() + r0, n,
                            d.vocab);
      continue;
    }
    // The logits' gradient overwrites the logits.
    cross_entropy_fused(acts.losses.data() + r0, acts.logits.data(), g.losses.data() + r0,
                        b.targets.data() + r0, n, d.vocab);
    matmul_backward(g.normed.data() + r0 * d.hidden, dhead, nullptr, acts.logits.data(), x, lm_head,
                    n, d.hidden, d.vocab);
  }
}

void check_lora(const Weights& w, const Lora* lora) {
  if (lora && lora->layers.size() != w.layers.size())
    fail_internal("the LoRA adapters do not have the model's layer count");
}

double weighted_loss(const TrainBatch& b, const Activations& acts) {
  double sum = 0.0;
  for (int64_t r = 0; r < acts.rows; ++r)
    sum += static_cast<double>(b.loss_weights[r]) * acts.losses[r];
  return sum / b.normaliser;
}

}  // namespace

double compute_loss(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                    Activations& acts, const Lora* lora) {
  check_inputs(config, weights, batch, acts);
  check_lora(weights, lora);
  const Dims d = dims_of(config, acts);
  forward(d, weights, LoraPass{lora, nullptr, 0}, batch, acts);
  head(d, weights, batch, acts, nullptr, false);
  return weighted_loss(batch, acts);
}

namespace {

// The backward of the trunk from d(final_normed) in acts.grad.normed: the final norm, every
// layer (recomputed when checkpointing: that writes its output again, bit-identical to the
// stored one) and the embedding.
void trunk_backward(const Dims& d, const Weights& weights, const LoraPass& lora, const TrainBatch& batch,
                    Activations& acts, Gradients& grads) {
  ActivationGradients& g = acts.grad;
  zero(g.residual);
  rmsnorm_backward(g.residual.data(), grad_or_null(grads.final_norm), g.normed.data(),
                   acts.residual.back().data(), weights.final_norm.data(), d.rows, d.hidden, d.eps);
  for (size_t l = weights.layers.size(); l-- > 0;) {
    LayerActivations& a = acts.layers[acts.gradient_checkpointing ? 0 : l];
    const LayerLora layer_lora{lora, static_cast<int64_t>(l), lora.lora != nullptr};
    if (acts.gradient_checkpointing)
      layer_forward(d, weights.layers[l], layer_lora, acts, acts.residual[l].data(), acts.residual[l + 1].data(), a);
    mlp_backward(d, weights.layers[l], layer_lora, grads.layers[l], a, g);
    attention_backward_block(d, weights.layers[l], layer_lora, grads.layers[l], acts, acts.residual[l].data(), a, g);
  }
  if (!grads.embed_tokens.empty())
    embedding_backward(grads.embed_tokens.data(), g.residual.data(), batch.tokens.data(), d.rows, d.hidden);
}

}  // namespace

double loss_and_gradients(const io::ModelConfig& config, const Weights& weights,
                          const TrainBatch& batch, Activations& acts, Gradients& grads,
                          const LoraPass& lora) {
  check_inputs(config, weights, batch, acts);
  check_gradient_shapes(weights, grads);
  check_lora(weights, lora.lora);
  if (lora.lora && (!lora.grads || lora.grads->layers.size() != lora.lora->layers.size()))
    fail_internal("LoRA adapters need gradients shaped like them");
  const Dims d = dims_of(config, acts);
  ActivationGradients& g = acts.grad;
  forward(d, weights, lora, batch, acts);

  for (int64_t r = 0; r < d.rows; ++r)
    g.losses[r] = static_cast<float>(batch.loss_weights[r] / batch.normaliser);
  zero(g.normed);
  const bool tied = weights.lm_head.weight.empty();
  head(d, weights, batch, acts, grad_or_null(tied ? grads.embed_tokens : grads.lm_head.weight),
       true);
  trunk_backward(d, weights, lora, batch, acts, grads);
  return weighted_loss(batch, acts);
}

}  // namespace aha::model

namespace aha::model {
namespace {

// One chunk of logits scaled by 1 / temperature, for the log-prob head.
void scaled_logits(const Dims& d, const float* lm_head, const float* x, int64_t n, double temperature,
                   float* logits) {
  matmul_forward(logits, x, lm_head, nullptr, n, d.hidden, d.vocab);
  if (temperature == 1.0) return;
  const float inv = static_cast<float>(1.0 / temperature);
  for (int64_t i = 0; i < n * d.vocab; ++i) logits[i] *= inv;
}

}  // namespace

void forward_logprobs(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                      double temperature, Activations& acts, std::span<float> logprobs,
                      std::span<float> entropies, const LoraPass& lora) {
  check_inputs(config, weights, batch, acts);
  check_lora(weights, lora.lora);
  if (!(temperature > 0.0)) fail("the temperature must be positive, got {}", temperature);
  if (logprobs.size() != static_cast<size_t>(acts.rows) || entropies.size() != logprobs.size())
    fail_internal("forward_logprobs: output sizes do not match the batch");
  const Dims d = dims_of(config, acts);
  forward(d, weights, lora, batch, acts);
  const float* lm_head = lm_head_matrix(weights).data();
  for (int64_t r0 = 0; r0 < d.rows; r0 += acts.logit_chunk_rows) {
    const int64_t n = std::min(acts.logit_chunk_rows, d.rows - r0);
    scaled_logits(d, lm_head, acts.final_normed.data() + r0 * d.hidden, n, temperature, acts.logits.data());
    cross_entropy_and_entropy(acts.losses.data() + r0, entropies.data() + r0, acts.logits.data(),
                              batch.targets.data() + r0, n, d.vocab);
    for (int64_t i = 0; i < n; ++i) logprobs[r0 + i] = batch.targets[r0 + i] >= 0 ? -acts.losses[r0 + i] : 0.0f;
  }
}

void backward_logprobs(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                       double temperature, std::span<const float> dlogprobs, Activations& acts,
                       Gradients& grads, const LoraPass& lora) {
  check_inputs(config, weights, batch, acts);
  check_gradient_shapes(weights, grads);
  check_lora(weights, lora.lora);
  if (lora.lora && (!lora.grads || lora.grads->layers.size() != lora.lora->layers.size()))
    fail_internal("LoRA adapters need gradients shaped like them");
  if (dlogprobs.size() != static_cast<size_t>(acts.rows)) fail_internal("backward_logprobs: wrong dlogprobs size");
  const Dims d = dims_of(config, acts);
  ActivationGradients& g = acts.grad;
  // logprob = −cross_entropy(logits / T): d/d(token loss) = −dlogprob, and d(logits/T)/d(logits) = 1/T.
  const float inv_t = static_cast<float>(1.0 / temperature);
  for (int64_t r = 0; r < d.rows; ++r) g.losses[r] = -dlogprobs[r] * inv_t;
  zero(g.normed);
  const bool tied = weights.lm_head.weight.empty();
  float* dhead = grad_or_null(tied ? grads.embed_tokens : grads.lm_head.weight);
  const float* lm_head = lm_head_matrix(weights).data();
  for (int64_t r0 = 0; r0 < d.rows; r0 += acts.logit_chunk_rows) {
    const int64_t n = std::min(acts.logit_chunk_rows, d.rows - r0);
    const float* x = acts.final_normed.data() + r0 * d.hidden;
    scaled_logits(d, lm_head, x, n, temperature, acts.logits.data());
    // The logits' gradient overwrites the logits (the recomputed losses equal the forward's).
    cross_entropy_fused(acts.losses.data() + r0, acts.logits.data(), g.losses.data() + r0,
                        batch.targets.data() + r0, n, d.vocab);
    matmul_backward(g.normed.data() + r0 * d.hidden, dhead, nullptr, acts.logits.data(), x, lm_head, n, d.hidden,
                    d.vocab);
  }
  trunk_backward(d, weights, lora, batch, acts, grads);
}

}  // namespace aha::model
