#include "aha/model/training.hpp"

#include <algorithm>
#include <cmath>

#include "aha/backend/ops.hpp"
#include "aha/base/error.hpp"
#include "aha/model/architecture.hpp"
#include "aha/model/shared_rows.hpp"
#include "aha/tensor/dtype.hpp"

namespace aha::model {
namespace {

using backend::ops;

// The sizes every step uses, from the config and the planned (batch, seq).
struct Dims {
  int64_t batch, seq, rows, hidden, heads, kv_heads, head_dim, q_dim, kv_dim, ff, vocab;
  float eps;
  bool qk_norm;
  const Architecture* arch;
  float embedding_scale;  // 0: none
  bool bf16;              // matrix products in bf16 (mixed precision)
};

Dims dims_of(const io::ModelConfig& c, const Activations& acts) {
  const Architecture* arch = &find_architecture(c.model_type);
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
          c.qk_norm,
          arch,
          arch->embedding_scale ? arch->embedding_scale(c) : 0.0f,
          acts.bf16};
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
    if (training && pass.dropout) ad.dropout = {s.dropout, lora_dropout_seed(pass.dropout_seed, layer, module)};
    return ad;
  }
};

// The linear ops of the pass's precision: fp32, or bf16 products (mixed precision).
auto linear_forward_op(const Dims& d) { return d.bf16 ? ops().linear_forward_bf16 : ops().linear_forward; }
auto linear_backward_op(const Dims& d) { return d.bf16 ? ops().linear_backward_bf16 : ops().linear_backward; }

// The bf16 bits of a frozen matrix held in bf16 (load_weights), or nullptr when it is fp32.
// Only a mixed-precision pass reads them: its products round their weights to bf16 anyway.
const uint16_t* held_bf16(const std::vector<uint16_t>& bits, const Dims& d) {
  if (bits.empty()) return nullptr;
  if (!d.bf16) fail_internal("a matrix held in bf16 needs a mixed-precision pass (bf16: true)");
  return bits.data();
}

// The layout a held matrix is packed into at each product (as mixed precision rounds and packs
// an fp32 weight at each product), its memory reused.
backend::PreparedLinear& held_layout() {
  thread_local backend::PreparedLinear layout;
  return layout;
}

// dx (n, w.out) += x (n, w.in) · the prepared matrix.
void add_prepared_product(float* dx, const float* x, const backend::PreparedLinear& w, int64_t n) {
  std::vector<float> product(static_cast<size_t>(n * w.out));
  ops().linear_forward_prepared(product.data(), x, w, n);
  for (size_t i = 0; i < product.size(); ++i) dx[i] += product[i];
}

void linear(float* out, const float* inp, const Linear& l, const Adapter& ad, const Dims& d) {
  const float* bias = l.bias.empty() ? nullptr : l.bias.data();
  if (const uint16_t* bits = held_bf16(l.weight_bf16, d)) {
    ops().linear_prepare_bf16(held_layout(), bits, bias, l.in, l.out);
    ops().linear_forward_prepared(out, inp, held_layout(), d.rows);
  } else {
    linear_forward_op(d)(out, inp, l.weight.data(), bias, d.rows, l.in, l.out);
  }
  if (ad.w) lora_forward(out, inp, *ad.w, ad.scale, d.rows, ad.dropout);
}

void linear_backward(float* dinp, Linear& grad, const float* dout, const float* inp, const Linear& l, const Adapter& ad,
                     const Dims& d) {
  if (const uint16_t* bits = held_bf16(l.weight_bf16, d)) {  // frozen: only d(inp) = dout · W
    if (!grad.weight.empty() || !grad.bias.empty()) fail_internal("a matrix held in bf16 has a gradient");
    ops().linear_prepare_bf16_transposed(held_layout(), bits, l.in, l.out);
    add_prepared_product(dinp, dout, held_layout(), d.rows);
  } else {
    linear_backward_op(d)(dinp, grad_or_null(grad.weight), grad_or_null(grad.bias), dout, inp, l.weight.data(), d.rows,
                          l.in, l.out);
  }
  if (ad.w) lora_backward(dinp, *ad.g, dout, inp, *ad.w, ad.scale, d.rows, ad.dropout);
}

// x (rows, hidden) = the embedding rows of `tokens`, from fp32 or from bf16 bits (exact).
void embed(const Dims& d, const Weights& w, const int32_t* tokens, float* x) {
  if (w.embed_tokens_bf16.empty()) return ops().embedding_forward(x, tokens, w.embed_tokens.data(), d.rows, d.hidden);
  for (int64_t r = 0; r < d.rows; ++r) {
    const uint16_t* row = w.embed_tokens_bf16.data() + tokens[r] * d.hidden;
    for (int64_t k = 0; k < d.hidden; ++k) x[r * d.hidden + k] = tensor::bf16_to_f32(row[k]);
  }
}

// Checks `b` against the model and the plan of `acts`, then sets the pass's rows in `acts`.
void start_pass(const io::ModelConfig& c, const Weights& w, const TrainBatch& b, Activations& acts) {
  const auto places = static_cast<size_t>(acts.batch * acts.seq);
  if (b.sequence_rows.empty() && b.tokens.size() != places)
    fail("training batch has {} tokens; the plan is {} x {} = {}", b.tokens.size(), acts.batch, acts.seq, places);
  if (b.targets.size() != b.tokens.size() || b.loss_weights.size() != b.tokens.size())
    fail("training batch has {} tokens, {} targets and {} weights", b.tokens.size(), b.targets.size(),
         b.loss_weights.size());
  if (acts.residual.size() != static_cast<size_t>(c.num_hidden_layers + 1) ||
      acts.residual[0].size() != places * static_cast<size_t>(c.hidden_size) ||
      acts.layers[0].gate.size() != places * static_cast<size_t>(c.intermediate_size) ||
      acts.layers[0].q.size() != places * static_cast<size_t>(c.num_attention_heads * c.head_dim) ||
      acts.logits.size() != static_cast<size_t>(acts.logit_chunk_rows * c.vocab_size) ||
      acts.layers[0].q_lin.empty() == c.qk_norm)
    fail_internal("activations were planned for a different model");
  if (w.layers.size() != static_cast<size_t>(c.num_hidden_layers))
    fail_internal("weights do not have the config's layer count");
  if (!(b.normaliser > 0.0)) fail("loss normaliser must be positive, got {}", b.normaliser);
  if (c.sliding_window > 0 && acts.seq > c.sliding_window)
    fail("sequences of {} tokens exceed sliding_window ({}), which aha does not implement", acts.seq, c.sliding_window);
  for (size_t r = 0; r < b.tokens.size(); ++r) {
    if (b.tokens[r] < 0 || b.tokens[r] >= c.vocab_size)
      fail("token id {} at row {} is outside the vocabulary (size {})", b.tokens[r], r, c.vocab_size);
    if (b.targets[r] >= c.vocab_size)
      fail("target id {} at row {} is outside the vocabulary (size {})", b.targets[r], r, c.vocab_size);
  }
  plan_pass_rows(b, acts);
}

// The attention block. x (rows, hidden) -> a.mid (rows, hidden) = x + o_proj(attention(q, k, v)),
// with n = input_layernorm(x) (rows, hidden), q = rope(q_norm(q_proj(n))) (rows, heads, head_dim),
// k = rope(k_norm(k_proj(n))), v = v_proj(n) (rows, kv_heads, head_dim) (the q/k norms: qk_norm only).
// Keeps in `a` what attention_backward_block needs.
void attention_forward_block(const Dims& d, const LayerWeights& w, const LayerLora& lora, Activations& acts,
                             const float* x, LayerActivations& a) {
  const int64_t rows = d.rows;
  ops().rmsnorm_forward(a.normed1.data(), x, w.input_norm.data(), rows, d.hidden, d.eps);
  linear(d.qk_norm ? a.q_lin.data() : a.q.data(), a.normed1.data(), w.q_proj, lora(q_proj), d);
  linear(d.qk_norm ? a.k_lin.data() : a.k.data(), a.normed1.data(), w.k_proj, lora(k_proj), d);
  linear(a.v.data(), a.normed1.data(), w.v_proj, lora(v_proj), d);
  if (d.qk_norm) {
    ops().rmsnorm_forward(a.q.data(), a.q_lin.data(), w.q_norm.data(), rows * d.heads, d.head_dim, d.eps);
    ops().rmsnorm_forward(a.k.data(), a.k_lin.data(), w.k_norm.data(), rows * d.kv_heads, d.head_dim, d.eps);
  }
  ops().rope_forward_table(a.q.data(), acts.rope, acts.positions.data(), rows, d.heads, d.head_dim);
  ops().rope_forward_table(a.k.data(), acts.rope, acts.positions.data(), rows, d.kv_heads, d.head_dim);
  attention_forward(acts, a, d.heads, d.kv_heads, d.head_dim);
  linear(a.mid.data(), a.att.data(), w.o_proj, lora(o_proj), d);
  for (int64_t i = 0; i < rows * d.hidden; ++i) a.mid[i] = x[i] + a.mid[i];
}

// d(mid) in g.residual -> d(x) in g.residual; accumulates the attention block's gradients.
void attention_backward_block(const Dims& d, const LayerWeights& w, const LayerLora& lora, LayerWeights& gw,
                              Activations& acts, const float* x, const LayerActivations& a, ActivationGradients& g) {
  const int64_t rows = d.rows;
  zero(g.att);
  linear_backward(g.att.data(), gw.o_proj, g.residual.data(), a.att.data(), w.o_proj, lora(o_proj), d);
  zero(g.q);
  zero(g.k);
  zero(g.v);
  attention_backward(acts, a, g, d.heads, d.kv_heads, d.head_dim);
  ops().rope_backward_table(g.q.data(), acts.rope, acts.positions.data(), rows, d.heads, d.head_dim);
  ops().rope_backward_table(g.k.data(), acts.rope, acts.positions.data(), rows, d.kv_heads, d.head_dim);
  float* dq = g.q.data();
  float* dk = g.k.data();
  if (d.qk_norm) {
    zero(g.q_lin);
    zero(g.k_lin);
    ops().rmsnorm_backward(g.q_lin.data(), grad_or_null(gw.q_norm), g.q.data(), a.q_lin.data(), w.q_norm.data(),
                           rows * d.heads, d.head_dim, d.eps);
    ops().rmsnorm_backward(g.k_lin.data(), grad_or_null(gw.k_norm), g.k.data(), a.k_lin.data(), w.k_norm.data(),
                           rows * d.kv_heads, d.head_dim, d.eps);
    dq = g.q_lin.data();
    dk = g.k_lin.data();
  }
  zero(g.normed);
  linear_backward(g.normed.data(), gw.q_proj, dq, a.normed1.data(), w.q_proj, lora(q_proj), d);
  linear_backward(g.normed.data(), gw.k_proj, dk, a.normed1.data(), w.k_proj, lora(k_proj), d);
  linear_backward(g.normed.data(), gw.v_proj, g.v.data(), a.normed1.data(), w.v_proj, lora(v_proj), d);
  ops().rmsnorm_backward(g.residual.data(), grad_or_null(gw.input_norm), g.normed.data(), x, w.input_norm.data(), rows,
                         d.hidden, d.eps);
}

// The MLP block. a.mid (rows, hidden) -> out (rows, hidden) = mid + down_proj(act(gate_proj(n)) · up_proj(n)),
// n = post_attention_layernorm(mid), gate and up (rows, intermediate), act the architecture's gated
// activation (silu for the Llama family). Keeps in `a` what mlp_backward needs.
void mlp_forward_block(const Dims& d, const LayerWeights& w, const LayerLora& lora, LayerActivations& a, float* out) {
  const int64_t rows = d.rows;
  ops().rmsnorm_forward(a.normed2.data(), a.mid.data(), w.post_attention_norm.data(), rows, d.hidden, d.eps);
  linear(a.gate.data(), a.normed2.data(), w.gate_proj, lora(gate_proj), d);
  linear(a.up.data(), a.normed2.data(), w.up_proj, lora(up_proj), d);
  (ops().*d.arch->mlp_activation)(a.act.data(), a.gate.data(), a.up.data(), rows * d.ff);
  linear(out, a.act.data(), w.down_proj, lora(down_proj), d);
  for (int64_t i = 0; i < rows * d.hidden; ++i) out[i] = a.mid[i] + out[i];
}

// d(out) of the MLP block in g.residual -> d(mid) in g.residual; accumulates the MLP's gradients.
void mlp_backward(const Dims& d, const LayerWeights& w, const LayerLora& lora, LayerWeights& gw,
                  const LayerActivations& a, ActivationGradients& g) {
  const int64_t rows = d.rows;
  zero(g.act);
  linear_backward(g.act.data(), gw.down_proj, g.residual.data(), a.act.data(), w.down_proj, lora(down_proj), d);
  zero(g.gate);
  zero(g.up);
  (ops().*d.arch->mlp_activation_backward)(g.gate.data(), g.up.data(), g.act.data(), a.gate.data(), a.up.data(),
                                           rows * d.ff);
  zero(g.normed);
  linear_backward(g.normed.data(), gw.gate_proj, g.gate.data(), a.normed2.data(), w.gate_proj, lora(gate_proj), d);
  linear_backward(g.normed.data(), gw.up_proj, g.up.data(), a.normed2.data(), w.up_proj, lora(up_proj), d);
  ops().rmsnorm_backward(g.residual.data(), grad_or_null(gw.post_attention_norm), g.normed.data(), a.mid.data(),
                         w.post_attention_norm.data(), rows, d.hidden, d.eps);
}

// One decoder layer: x (rows, hidden) -> out (rows, hidden) = mid + mlp(mid), mid = x + attention(x);
// fills `a`.
void layer_forward(const Dims& d, const LayerWeights& w, const LayerLora& lora, Activations& acts, const float* x,
                   float* out, LayerActivations& a) {
  attention_forward_block(d, w, lora, acts, x, a);
  mlp_forward_block(d, w, lora, a, out);
}

// Embedding, every layer and the final norm, keeping what the backward needs.
void forward(const Dims& d, const Weights& w, const LoraPass& lora, const TrainBatch& b, Activations& acts) {
  embed(d, w, b.tokens.data(), acts.residual[0].data());
  if (d.embedding_scale != 0.0f)  // x = scale · embedding
    for (float& x : acts.residual[0]) x *= d.embedding_scale;
  for (size_t l = 0; l < w.layers.size(); ++l) {
    LayerActivations& a = acts.layers[acts.gradient_checkpointing ? 0 : l];
    const LayerLora layer_lora{lora, static_cast<int64_t>(l), lora.grads != nullptr};
    layer_forward(d, w.layers[l], layer_lora, acts, acts.residual[l].data(), acts.residual[l + 1].data(), a);
  }
  ops().rmsnorm_forward(acts.final_normed.data(), acts.residual.back().data(), w.final_norm.data(), d.rows, d.hidden,
                        d.eps);
}

// The LM head packed in bf16 for a pass, each way: memory kept from pass to pass (no 272 MB
// allocation per pass for Qwen2.5-0.5B's head) until release_pass_memory.
backend::PreparedLinear* head_layouts() {
  thread_local backend::PreparedLinear kept[2];
  return kept;
}

// The LM head's products over the chunks of one pass. In bf16 the head is rounded and packed
// once per pass, each way, rather than at every chunk (a real vocabulary's head is the largest
// matrix, read by many chunks), or packed from its bits when held in bf16, into head_layouts;
// fp32 runs the plain products.
class HeadProducts {
 public:
  HeadProducts(const Dims& d, const Weights& w, bool backward)
      : d_(d), head_(lm_head_matrix(w).data()), forward_(head_layouts()[0]), backward_(head_layouts()[1]) {
    if (const uint16_t* bits = held_bf16(lm_head_bf16(w), d)) {
      held_ = true;
      ops().linear_prepare_bf16(forward_, bits, nullptr, d.hidden, d.vocab);
      if (backward) ops().linear_prepare_bf16_transposed(backward_, bits, d.hidden, d.vocab);
      return;
    }
    if (!d.bf16) return;
    ops().linear_prepare_rounded(forward_, head_, d.hidden, d.vocab, false);
    if (backward) ops().linear_prepare_rounded(backward_, head_, d.hidden, d.vocab, true);
  }

  // logits (n, vocab) = x (n, hidden) · headᵀ.
  void forward(float* logits, const float* x, int64_t n) const {
    if (!d_.bf16) return ops().linear_forward(logits, x, head_, nullptr, n, d_.hidden, d_.vocab);
    ops().linear_forward_prepared(logits, x, forward_, n);
  }

  // dx (n, hidden) += dlogits · head; dhead += dlogitsᵀ · x (nullptr: frozen).
  void backward(float* dx, float* dhead, const float* dlogits, const float* x, int64_t n) const {
    if (!d_.bf16) return ops().linear_backward(dx, dhead, nullptr, dlogits, x, head_, n, d_.hidden, d_.vocab);
    add_prepared_product(dx, dlogits, backward_, n);
    if (dhead && held_) fail_internal("a matrix held in bf16 has a gradient");
    if (dhead) ops().linear_backward_bf16(nullptr, dhead, nullptr, dlogits, x, head_, n, d_.hidden, d_.vocab);
  }

 private:
  const Dims& d_;
  const float* head_;
  bool held_ = false;
  backend::PreparedLinear &forward_, &backward_;
};

// The rows the LM head runs on, and a chunk of them gathered (their inputs, the inputs' gradient,
// targets, d(loss), losses and entropies), reused from pass to pass.
struct HeadScratch {
  std::vector<int64_t> rows;
  std::vector<float> x, dx, dlosses, losses, entropies;
  std::vector<int32_t> targets;
};
HeadScratch& head_scratch(int64_t rows, int64_t hidden) {
  thread_local HeadScratch s;
  s.x.resize(static_cast<size_t>(rows * hidden));
  s.dx.resize(s.x.size());
  for (auto* v : {&s.dlosses, &s.losses, &s.entropies}) v->resize(static_cast<size_t>(rows));
  s.targets.resize(static_cast<size_t>(rows));
  return s;
}

// One chunk of the head's rows: logits row i (in acts.logits) is batch row rows[i]; targets and
// dlosses gathered from the batch's; per_token writes losses, which go to acts.losses[rows[i]],
// and may write entropies (its own to scatter).
struct HeadChunk {
  const int64_t* rows;
  int64_t n;
  const int32_t* targets;
  const float* dlosses;
  float* losses;
  float* entropies;
};

// The LM head, written once for every loss, over the rows with a target, or over every row when
// the head is trained (`every_row`: its gradient is a sum over the rows, kept in their order).
// The others' logits are never read and their gradient is 0; the head's products are
// row-independent at every level, so a row's logits and d(final_normed) are the same bits either
// way. One chunk of the rows at a time, so that the (rows, vocab) logits never exist at once:
// each chunk's logits (n, vocab), divided by `temperature`, go to acts.logits and
// `per_token(chunk)` reads them. With `backward`, per_token has overwritten them with their
// gradient, which is carried back: d(final_normed) += into acts.grad.normed, d(LM head) += into
// dhead (nullptr: frozen). acts.losses is 0 off the rows.
template <typename PerToken>
void lm_head(const Dims& d, const Weights& w, Activations& acts, std::span<const int32_t> targets, bool every_row,
             double temperature, bool backward, float* dhead, PerToken&& per_token) {
  const HeadProducts head(d, w, backward);
  float* logits = acts.logits.data();
  const int64_t chunk = acts.logit_chunk_rows;
  HeadScratch& s = head_scratch(chunk, d.hidden);
  std::vector<int64_t>& rows = s.rows;
  rows.clear();
  for (size_t r = 0; r < targets.size(); ++r)
    if (every_row || targets[r] >= 0) rows.push_back(static_cast<int64_t>(r));
  zero(acts.losses);
  for (size_t c0 = 0; c0 < rows.size(); c0 += static_cast<size_t>(chunk)) {
    const int64_t* at = rows.data() + c0;
    const int64_t n = std::min<int64_t>(chunk, static_cast<int64_t>(rows.size() - c0));
    for (int64_t i = 0; i < n; ++i) {
      s.targets[i] = targets[at[i]];
      s.dlosses[i] = acts.grad.losses[at[i]];
      std::copy_n(acts.final_normed.data() + at[i] * d.hidden, d.hidden, s.x.data() + i * d.hidden);
    }
    head.forward(logits, s.x.data(), n);  // (n, hidden) -> (n, vocab)
    if (temperature != 1.0) {
      const float inv = static_cast<float>(1.0 / temperature);
      for (int64_t i = 0; i < n * d.vocab; ++i) logits[i] *= inv;
    }
    per_token(HeadChunk{at, n, s.targets.data(), s.dlosses.data(), s.losses.data(), s.entropies.data()});
    for (int64_t i = 0; i < n; ++i) acts.losses[at[i]] = s.losses[i];
    if (!backward) continue;
    // Each row is in one chunk and its d(final_normed) starts at 0: adding the chunk's is exact.
    std::fill(s.dx.begin(), s.dx.end(), 0.0f);
    head.backward(s.dx.data(), dhead, logits, s.x.data(), n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < d.hidden; ++k) acts.grad.normed[at[i] * d.hidden + k] += s.dx[i * d.hidden + k];
  }
}

// The LM head's backward of cross-entropy over `targets`, d(loss)/d(token loss) from acts.grad.losses:
// the logits' gradient overwrites the logits (the recomputed losses equal the forward's).
void lm_head_backward(const Dims& d, const Weights& w, std::span<const int32_t> targets, double temperature,
                      Activations& acts, float* dhead) {
  lm_head(d, w, acts, targets, dhead != nullptr, temperature, true, dhead, [&](const HeadChunk& c) {
    ops().cross_entropy_fused(c.losses, acts.logits.data(), c.dlosses, c.targets, c.n, d.vocab);
  });
}

void check_lora(const Weights& w, const Lora* lora) {
  if (lora && lora->layers.size() != w.layers.size())
    fail_internal("the LoRA adapters do not have the model's layer count");
}

double weighted_loss(const TrainBatch& b, const Activations& acts) {
  double sum = 0.0;
  for (int64_t r = 0; r < acts.rows; ++r) sum += static_cast<double>(b.loss_weights[r]) * acts.losses[r];
  return sum / b.normaliser;
}

}  // namespace

double compute_loss(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch, Activations& acts,
                    const Lora* lora) {
  start_pass(config, weights, batch, acts);
  check_lora(weights, lora);
  const Dims d = dims_of(config, acts);
  forward(d, weights, LoraPass{lora, nullptr, 0}, batch, acts);
  lm_head(d, weights, acts, batch.targets, false, 1.0, false, nullptr, [&](const HeadChunk& c) {
    ops().cross_entropy_forward(c.losses, acts.logits.data(), c.targets, c.n, d.vocab);
  });
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
  ops().rmsnorm_backward(g.residual.data(), grad_or_null(grads.final_norm), g.normed.data(),
                         acts.residual.back().data(), weights.final_norm.data(), d.rows, d.hidden, d.eps);
  for (size_t l = weights.layers.size(); l-- > 0;) {
    LayerActivations& a = acts.layers[acts.gradient_checkpointing ? 0 : l];
    const LayerLora layer_lora{lora, static_cast<int64_t>(l), lora.lora != nullptr};
    if (acts.gradient_checkpointing)
      layer_forward(d, weights.layers[l], layer_lora, acts, acts.residual[l].data(), acts.residual[l + 1].data(), a);
    mlp_backward(d, weights.layers[l], layer_lora, grads.layers[l], a, g);
    attention_backward_block(d, weights.layers[l], layer_lora, grads.layers[l], acts, acts.residual[l].data(), a, g);
  }
  if (d.embedding_scale != 0.0f)  // d(embedding) = scale · d(x)
    for (float& x : g.residual) x *= d.embedding_scale;
  if (!grads.embed_tokens.empty())
    ops().embedding_backward(grads.embed_tokens.data(), g.residual.data(), batch.tokens.data(), d.rows, d.hidden);
}

}  // namespace

double loss_and_gradients(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                          Activations& acts, Gradients& grads, const LoraPass& lora) {
  start_pass(config, weights, batch, acts);
  check_gradient_shapes(weights, grads);
  check_lora(weights, lora.lora);
  if (lora.lora && (!lora.grads || lora.grads->layers.size() != lora.lora->layers.size()))
    fail_internal("LoRA adapters need gradients shaped like them");
  const Dims d = dims_of(config, acts);
  ActivationGradients& g = acts.grad;
  forward(d, weights, lora, batch, acts);

  for (int64_t r = 0; r < d.rows; ++r) g.losses[r] = static_cast<float>(batch.loss_weights[r] / batch.normaliser);
  zero(g.normed);
  const bool tied = tied_head(weights);
  lm_head_backward(d, weights, batch.targets, 1.0, acts,
                   grad_or_null(tied ? grads.embed_tokens : grads.lm_head.weight));
  trunk_backward(d, weights, lora, batch, acts, grads);
  return weighted_loss(batch, acts);
}

void forward_logprobs(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                      double temperature, Activations& acts, std::span<float> logprobs, std::span<float> entropies,
                      const LoraPass& lora) {
  start_pass(config, weights, batch, acts);
  check_lora(weights, lora.lora);
  if (!(temperature > 0.0)) fail("the temperature must be positive, got {}", temperature);
  if (logprobs.size() != static_cast<size_t>(acts.rows) || entropies.size() != logprobs.size())
    fail_internal("forward_logprobs: output sizes do not match the batch");
  const Dims d = dims_of(config, acts);
  forward(d, weights, lora, batch, acts);
  std::fill(logprobs.begin(), logprobs.end(), 0.0f);
  std::fill(entropies.begin(), entropies.end(), 0.0f);
  lm_head(d, weights, acts, batch.targets, false, temperature, false, nullptr, [&](const HeadChunk& c) {
    ops().cross_entropy_and_entropy(c.losses, c.entropies, acts.logits.data(), c.targets, c.n, d.vocab);
    for (int64_t i = 0; i < c.n; ++i) {
      logprobs[c.rows[i]] = -c.losses[i];
      entropies[c.rows[i]] = c.entropies[i];
    }
  });
}

void backward_logprobs(const io::ModelConfig& config, const Weights& weights, const TrainBatch& batch,
                       double temperature, std::span<const float> dlogprobs, Activations& acts, Gradients& grads,
                       const LoraPass& lora) {
  start_pass(config, weights, batch, acts);
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
  const bool tied = tied_head(weights);
  lm_head_backward(d, weights, batch.targets, temperature, acts,
                   grad_or_null(tied ? grads.embed_tokens : grads.lm_head.weight));
  trunk_backward(d, weights, lora, batch, acts, grads);
}

void release_pass_memory() {
  for (int way : {0, 1}) head_layouts()[way] = backend::PreparedLinear();
  held_layout() = backend::PreparedLinear();
}

}  // namespace aha::model
