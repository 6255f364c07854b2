#include "aha/model/decoder.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "aha/base/error.hpp"
#include "aha/io/gguf/quantize.hpp"
#include "aha/model/architecture.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/parameter_table.hpp"
#include "aha/model/rope_frequencies.hpp"

namespace aha::model {
namespace {

using backend::ops;

// Where a model's bf16 or q8_0 matrices come from: the fp32 values of a Weights, or the bf16 bits
// it holds instead (load_weights' hold_bf16), with `lora`'s adapter merged where it has one
// (rounded or quantized when packed); or, for a matrix the Weights has neither of, the tensor its
// parameter-table entry names in a model directory (its file pages released once copied, so
// that the file does not count twice).
class Bf16Matrices {
 public:
  Bf16Matrices(const Weights& w, const io::ModelDir* dir, const Lora* lora) : dir_(dir), lora_(lora) {
    for (ParameterSpec& p : parameter_table(w.config)) {
      if (p.shape.size() != 2) continue;
      const TensorSlot s = p.read_slot(w);
      static const std::vector<uint16_t> kNone;
      matrices_.emplace(s.values, Matrix{std::move(p), s.bf16 ? s.bf16 : &kNone});
    }
  }

  // True when the matrix `values` of the Weights is at hand as bf16 bits (held, or in the file).
  bool as_bits(const std::vector<float>& values) const {
    return values.empty() && (!matrices_.at(&values).bits->empty() || dir_);
  }
  // True when `values` has an adapter to merge.
  bool adapted(const std::vector<float>& values) const { return adapter_of(matrices_.at(&values).spec) != nullptr; }

  // Appends the fp32 values of `values` (widened from its bits when held so), its adapter
  // merged, to `out`.
  void append_merged(const std::vector<float>& values, std::vector<float>& out) const {
    const Matrix& m = matrices_.at(&values);
    const size_t at = out.size();
    if (!values.empty()) {
      out.insert(out.end(), values.begin(), values.end());
    } else if (!m.bits->empty() || !dir_) {
      for (uint16_t b : *m.bits) out.push_back(tensor::bf16_to_f32(b));
    } else {
      const std::vector<float> file = dir_->get(m.spec.name).to_f32();
      out.insert(out.end(), file.begin(), file.end());
      dir_->release(m.spec.name);
    }
    const LoraLinear* adapter = adapter_of(m.spec);
    if (!adapter) return;
    std::vector<float> merged(out.begin() + static_cast<int64_t>(at), out.end());
    merge_lora_linear(merged, *adapter, lora_->settings.scale());
    std::copy(merged.begin(), merged.end(), out.begin() + static_cast<int64_t>(at));
  }

  // Appends the Q8_0 blocks of `values` when they come from a GGUF file that stores them so
  // (releasing the file's pages); false, appending nothing, otherwise.
  bool append_q8_0_blocks(const std::vector<float>& values, std::vector<uint8_t>& out) const {
    const Matrix& m = matrices_.at(&values);
    if (!values.empty() || !m.bits->empty() || !dir_ || adapter_of(m.spec)) return false;
    const std::optional<std::vector<uint8_t>> blocks = dir_->q8_0_blocks(m.spec.name);
    if (!blocks) return false;
    out.insert(out.end(), blocks->begin(), blocks->end());
    dir_->release(m.spec.name);
    return true;
  }

  // Appends `values` (as_bits, no adapter; `in` a multiple of 32) as q8_0 blocks, quantized one row
  // at a time from its held bits or the file's tensor, so that the matrix is never widened to fp32
  // whole (a 152k-token LM head would be 545 MB).
  void append_quantized_q8_0(const std::vector<float>& values, int64_t in, std::vector<uint8_t>& out) const {
    const Matrix& m = matrices_.at(&values);
    std::optional<tensor::Tensor> file;
    if (m.bits->empty()) file = dir_->get(m.spec.name);
    const int64_t n = file ? file->numel() : static_cast<int64_t>(m.bits->size());
    const size_t row_bytes = static_cast<size_t>(in / 32 * 34);
    std::vector<float> row(static_cast<size_t>(in));
    for (int64_t at = 0; at < n; at += in) {
      if (file) {
        const size_t size = tensor::dtype_size(file->dtype());
        tensor::convert_to_f32(file->dtype(), file->data() + static_cast<size_t>(at) * size, row.data(), row.size());
      } else {
        for (int64_t c = 0; c < in; ++c) row[c] = tensor::bf16_to_f32((*m.bits)[at + c]);
      }
      out.resize(out.size() + row_bytes);
      io::gguf::quantize_q8_0(row.data(), in, out.data() + out.size() - row_bytes);
    }
    if (file) dir_->release(m.spec.name);
  }

  // Appends the bf16 bits of `values`: held, its fp32 values rounded, or the file's tensor.
  void append_bits(const std::vector<float>& values, std::vector<uint16_t>& out) const {
    const Matrix& m = matrices_.at(&values);
    if (!values.empty()) {
      for (float v : values) out.push_back(tensor::f32_to_bf16(v));
      return;
    }
    if (!m.bits->empty()) {
      out.insert(out.end(), m.bits->begin(), m.bits->end());
      return;
    }
    const tensor::Tensor t = dir_->get(m.spec.name);
    const size_t at = out.size(), n = static_cast<size_t>(t.numel());
    if (t.dtype() == tensor::DType::BF16) {
      out.resize(at + n);
      std::memcpy(out.data() + at, t.data(), n * sizeof(uint16_t));
    } else {
      for (float v : t.to_f32()) out.push_back(tensor::f32_to_bf16(v));
    }
    dir_->release(m.spec.name);
  }

 private:
  struct Matrix {
    ParameterSpec spec;
    const std::vector<uint16_t>* bits;  // held in the Weights, or empty
  };

  const LoraLinear* adapter_of(const ParameterSpec& p) const { return lora_ ? adapter_for(*lora_, p) : nullptr; }

  const io::ModelDir* dir_;
  const Lora* lora_;
  std::map<const std::vector<float>*, Matrix> matrices_;
};

// `w` without its matrices (left empty, their Linear's sizes kept).
Weights without_matrices(const Weights& w) {
  Weights out;
  out.config = w.config;
  out.layers.resize(w.layers.size());
  for (const ParameterSpec& p : parameter_table(w.config)) {
    const TensorSlot from = p.read_slot(w), to = p.slot(out);
    if (p.shape.size() != 2) *to.values = *from.values;
    else if (to.linear) to.linear->in = from.linear->in, to.linear->out = from.linear->out;
  }
  return out;
}

// The biases of the nn.Linear layers `parts` stacked (zeros for a part without one), or none when
// no part has one.
std::vector<float> stacked_bias(std::initializer_list<const Linear*> parts) {
  std::vector<float> bias;
  bool any_bias = false;
  for (const Linear* l : parts) any_bias = any_bias || !l->bias.empty();
  for (const Linear* l : parts) {
    if (!any_bias) break;
    if (l->bias.empty()) bias.insert(bias.end(), static_cast<size_t>(l->out), 0.0f);
    else bias.insert(bias.end(), l->bias.begin(), l->bias.end());
  }
  return bias;
}

// The matrices `parts` ((out_i, in) each) stacked along their outputs, prepared into `out` (its
// memory reused) with `bias` (empty: none): in fp32 from the Weights' values, or from `bf16`
// (when given) in bf16 or, with `q8`, in q8_0.
void prepare_matrices(backend::PreparedLinear& out, const std::vector<const std::vector<float>*>& parts, int64_t in,
                      int64_t out_features, const std::vector<float>& bias, const Bf16Matrices* bf16, bool q8 = false) {
  const float* b = bias.empty() ? nullptr : bias.data();
  bool adapted = false;
  for (const std::vector<float>* p : parts) adapted = adapted || (bf16 && bf16->adapted(*p));
  if (bf16 && !q8 && bf16->as_bits(*parts[0]) && !adapted) {
    std::vector<uint16_t> bits;
    bits.reserve(static_cast<size_t>(out_features * in));
    for (const std::vector<float>* p : parts) bf16->append_bits(*p, bits);
    return ops().linear_prepare_bf16(out, bits.data(), b, in, out_features);
  }
  if (bf16 && q8 && !adapted) {  // a GGUF's Q8_0 blocks are held as they are, never expanded
    std::vector<uint8_t> blocks;
    bool stored = true;
    for (const std::vector<float>* p : parts) stored = stored && bf16->append_q8_0_blocks(*p, blocks);
    if (stored) return ops().linear_prepare_q8_0_blocks(out, blocks.data(), b, in, out_features);
    if (in % 32 == 0 && bf16->as_bits(*parts[0])) {
      blocks.clear();
      for (const std::vector<float>* p : parts) bf16->append_quantized_q8_0(*p, in, blocks);
      return ops().linear_prepare_q8_0_blocks(out, blocks.data(), b, in, out_features);
    }
  }
  std::vector<float> stacked;
  const float* values = parts[0]->data();
  if (parts.size() > 1 || adapted || (bf16 && parts[0]->empty())) {
    for (const std::vector<float>* p : parts) {
      if (bf16) bf16->append_merged(*p, stacked);
      else stacked.insert(stacked.end(), p->begin(), p->end());
    }
    values = stacked.data();
  }
  if (!bf16) return ops().linear_prepare(out, values, b, in, out_features);
  if (q8) return ops().linear_prepare_q8_0(out, values, b, in, out_features);
  ops().linear_prepare_rounded(out, values, in, out_features, false);
  out.bias = bias;
}

// The nn.Linear layers `parts` stacked along their outputs, with their stacked bias.
void prepare_stacked(backend::PreparedLinear& out, std::initializer_list<const Linear*> parts, const Bf16Matrices* bf16,
                     bool q8) {
  std::vector<const std::vector<float>*> weights;
  int64_t out_features = 0;
  for (const Linear* l : parts) weights.push_back(&l->weight), out_features += l->out;
  prepare_matrices(out, weights, (*parts.begin())->in, out_features, stacked_bias(parts), bf16, q8);
}

// The nn.Linear layers of `w` that `lora` has an adapter for.
std::set<const Linear*> adapted_linears(const Weights& w, const Lora& lora) {
  std::set<const Linear*> out;
  for (const ParameterSpec& p : parameter_table(w.config))
    if (adapter_for(lora, p)) out.insert(p.read_slot(w).linear);
  return out;
}

// Frees the matrices of `w`, fp32 values and bf16 bits alike (held by the prepared layout instead).
void release_matrices(Weights& w) {
  for (const ParameterSpec& p : parameter_table(w.config)) {
    if (p.shape.size() != 2) continue;
    const TensorSlot s = p.slot(w);
    std::vector<float>().swap(*s.values);
    if (s.bf16) std::vector<uint16_t>().swap(*s.bf16);
  }
}

// The dtype `choice` resolves to for the checkpoint in `files`: automatic is bfloat16 when every
// matrix is stored in BF16, q8_0 when a GGUF file stores every matrix in Q8_0.
ComputeDType resolve_dtype(DTypeChoice choice, const io::ModelDir& files) {
  if (choice == DTypeChoice::float32) return ComputeDType::float32;
  if (choice == DTypeChoice::bfloat16) return ComputeDType::bfloat16;
  if (choice == DTypeChoice::q8_0) return ComputeDType::q8_0;
  if (files.gguf()) {  // from the header: get() would dequantize a quantized tensor
    bool q8 = true, bf16 = true;
    for (const ParameterSpec& p : parameter_table(files.config()))
      if (p.shape.size() == 2) {
        const std::optional<io::gguf::TensorType> t = files.gguf_type(p.name);
        q8 = q8 && t == io::gguf::TensorType::kQ8_0;
        bf16 = bf16 && t == io::gguf::TensorType::kBF16;
      }
    return q8 ? ComputeDType::q8_0 : bf16 ? ComputeDType::bfloat16 : ComputeDType::float32;
  }
  for (const ParameterSpec& p : parameter_table(files.config()))
    if (p.shape.size() == 2 && files.get(p.name).dtype() != tensor::DType::BF16) return ComputeDType::float32;
  return ComputeDType::bfloat16;
}

}  // namespace

Model::Model(const std::string& dir, DTypeChoice dtype) {
  io::ModelDir files(dir);
  config_ = files.config();
  arch_ = &find_architecture(config_.model_type, files.config_path());
  dtype_ = resolve_dtype(dtype, files);
  // An adapter is merged into fp32 weights before they are rounded; a plain checkpoint in bf16
  // or q8_0 is packed from the file, matrix by matrix.
  const bool from_file = dtype_ != ComputeDType::float32 && !files.adapter();
  weights_ = from_file ? load_weights_but_matrices(files) : load_weights(files);
  weights_.config = config_;
  inv_freq_ = rope_inv_freq_of(config_);
  prepare(weights_, from_file ? &files : nullptr);
}

Model::Model(io::ModelConfig config, Weights weights, ComputeDType dtype)
    : config_(std::move(config)),
      arch_(&find_architecture(config_.model_type)),
      dtype_(dtype),
      weights_(std::move(weights)),
      inv_freq_(rope_inv_freq_of(config_)) {
  weights_.config = config_;
  prepare(weights_);
}

void Model::set_weights(const Weights& weights, const Lora* lora) {
  if (weights.layers.size() != weights_.layers.size() || weights.final_norm.size() != weights_.final_norm.size())
    fail_internal("Model::set_weights: the weights have another shape");
  if (dtype_ != ComputeDType::float32) {  // packed from `weights`, never copied whole in fp32
    weights_ = without_matrices(weights);
    weights_.config = config_;
    return prepare(weights, nullptr, lora);
  }
  weights_ = weights;
  weights_.config = config_;
  if (lora) merge_lora(weights_, *lora);
  prepare(weights_);
}

void Model::set_adapters(const Weights& base, const Lora& lora) {
  if (base.layers.size() != weights_.layers.size()) fail_internal("Model::set_adapters: the base has another shape");
  if (dtype_ != ComputeDType::float32) return prepare(base, nullptr, &lora, true);
  // weights_ is the base with the last adapters merged: the adapted matrices start again from the base.
  for (const ParameterSpec& p : parameter_table(config_)) {
    const LoraLinear* adapter = adapter_for(lora, p);
    if (!adapter) continue;
    std::vector<float>& merged = *p.slot(weights_).values;
    merged = *p.read_slot(base).values;
    merge_lora_linear(merged, *adapter, lora.settings.scale());
  }
  prepare(weights_, nullptr, &lora, true);
}

void Model::prepare(const Weights& source, const io::ModelDir* dir, const Lora* lora, bool adapted_only) {
  std::optional<Bf16Matrices> bf16;
  if (dtype_ != ComputeDType::float32) bf16.emplace(source, dir, lora);
  else if (holds_bf16(source)) fail_internal("a float32 model from matrices held in bf16");
  const Bf16Matrices* b = bf16 ? &*bf16 : nullptr;
  const bool q8 = dtype_ == ComputeDType::q8_0;
  // The head first: in bf16 its file pages and its copy are the largest transient memory, and
  // they come and go before the layers are held.
  const bool tied = source.lm_head.out == 0;
  const int64_t h = config_.hidden_size, vocab = config_.vocab_size;
  if (!adapted_only) {  // no adapter targets the head or the embedding
    prepare_matrices(lm_head_, {tied ? &source.embed_tokens : &source.lm_head.weight}, h, vocab, {}, b, q8);
    if (b && !tied) prepare_matrices(embed_, {&source.embed_tokens}, h, vocab, {}, b, q8);
  }
  const std::set<const Linear*> adapted = adapted_only ? adapted_linears(source, *lora) : std::set<const Linear*>();
  const auto stack = [&](backend::PreparedLinear& out, std::initializer_list<const Linear*> parts) {
    if (!adapted_only || std::any_of(parts.begin(), parts.end(), [&](const Linear* l) { return adapted.count(l); }))
      prepare_stacked(out, parts, b, q8);
  };
  prepared_.resize(source.layers.size());
  for (size_t i = 0; i < source.layers.size(); ++i) {
    const LayerWeights& l = source.layers[i];
    PreparedLayer& p = prepared_[i];
    stack(p.qkv, {&l.q_proj, &l.k_proj, &l.v_proj});
    stack(p.o, {&l.o_proj});
    stack(p.gate_up, {&l.gate_proj, &l.up_proj});
    stack(p.down, {&l.down_proj});
  }
  if (b) release_matrices(weights_);
}

// Checks every chunk (ids in the vocabulary, room in its cache) and lays its tokens out as rows.
std::vector<Model::Row> Model::plan_rows(std::span<const SequenceChunk> chunks) const {
  std::vector<Row> rows;
  for (const SequenceChunk& chunk : chunks) {
    KVCache& cache = *chunk.cache;
    for (const SequenceChunk& other : chunks)
      if (&other != &chunk && other.cache == chunk.cache) fail_internal("forward_batch: cache used twice");
    for (size_t i = 0; i < chunk.tokens.size(); ++i) {
      const int64_t position = cache.length() + static_cast<int64_t>(i);
      if (chunk.tokens[i] < 0 || chunk.tokens[i] >= config_.vocab_size)
        fail("token id {} at position {} is outside the vocabulary (size {})", chunk.tokens[i], position,
             config_.vocab_size);
      rows.push_back({chunk.tokens[i], position, &cache});
    }
    const int64_t end = cache.length() + static_cast<int64_t>(chunk.tokens.size());
    if (end > cache.capacity()) fail("sequence of {} tokens does not fit the context size {}", end, cache.capacity());
    if (config_.sliding_window > 0 && end > config_.sliding_window)
      fail("sequence of {} tokens exceeds the model's sliding_window ({}), which aha does not implement", end,
           config_.sliding_window);
  }
  return rows;
}

// x (rows, hidden) += o_proj(attention(rope(q), rope(k), v)) over each row's cache.
void Model::attention_block(float* x, int64_t layer, const std::vector<Row>& rows) const {
  const LayerWeights& w = weights_.layers[layer];
  const PreparedLayer& p = prepared_[layer];
  const io::ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(rows.size()), h = c.hidden_size, hd = c.head_dim;
  const int64_t heads = c.num_attention_heads, kv_heads = c.num_key_value_heads, kv_dim = kv_heads * hd;
  const int64_t q_dim = heads * hd, qkv_dim = q_dim + 2 * kv_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);

  std::vector<float> normed(n * h), qkv(n * qkv_dim), q(n * q_dim), k(n * kv_dim), v(n * kv_dim);
  ops().rmsnorm_forward(normed.data(), x, w.input_norm.data(), n, h, eps);
  ops().linear_forward_prepared(qkv.data(), normed.data(), p.qkv, n);
  for (int64_t r = 0; r < n; ++r) {
    const float* row = qkv.data() + r * qkv_dim;
    std::copy_n(row, q_dim, q.data() + r * q_dim);
    std::copy_n(row + q_dim, kv_dim, k.data() + r * kv_dim);
    std::copy_n(row + q_dim + kv_dim, kv_dim, v.data() + r * kv_dim);
  }
  if (c.qk_norm) {
    ops().rmsnorm_forward(q.data(), q.data(), w.q_norm.data(), n * heads, hd, eps);
    ops().rmsnorm_forward(k.data(), k.data(), w.k_norm.data(), n * kv_heads, hd, eps);
  }
  std::vector<int64_t> positions(n), lengths(n);
  std::vector<const float*> keys(n), values(n);
  for (int64_t r = 0; r < n; ++r) {
    positions[r] = rows[r].position;
    lengths[r] = rows[r].position + 1;
    keys[r] = rows[r].cache->keys(layer);
    values[r] = rows[r].cache->values(layer);
  }
  ops().rope_forward(q.data(), positions.data(), inv_freq_.data(), n, heads, hd);
  ops().rope_forward(k.data(), positions.data(), inv_freq_.data(), n, kv_heads, hd);
  std::vector<int64_t> capacities(n);
  for (int64_t r = 0; r < n; ++r) {
    rows[r].cache->store(layer, positions[r], k.data() + r * kv_dim, v.data() + r * kv_dim);
    capacities[r] = rows[r].cache->capacity();
  }
  std::vector<float> att(n * heads * hd);
  ops().attention_cached_forward(att.data(), q.data(), keys.data(), values.data(), lengths.data(), capacities.data(), n,
                                 heads, kv_heads, hd);
  std::vector<float>& out = normed;  // the normed input is not needed any more
  ops().linear_forward_prepared(out.data(), att.data(), p.o, n);
  for (int64_t i = 0; i < n * h; ++i) x[i] += out[i];
}

// x (rows, hidden) += down_proj(act(gate_proj(n)) * up_proj(n)), n = rmsnorm(x), act the
// architecture's gated activation (silu for the Llama family).
void Model::mlp_block(float* x, int64_t layer, int64_t rows) const {
  const LayerWeights& w = weights_.layers[layer];
  const PreparedLayer& p = prepared_[layer];
  const int64_t h = config_.hidden_size, ff = config_.intermediate_size;
  std::vector<float> normed(rows * h), gate_up(rows * 2 * ff), act(rows * ff);
  ops().rmsnorm_forward(normed.data(), x, w.post_attention_norm.data(), rows, h,
                        static_cast<float>(config_.rms_norm_eps));
  ops().linear_forward_prepared(gate_up.data(), normed.data(), p.gate_up, rows);
  for (int64_t r = 0; r < rows; ++r) {  // row r of gate_up is (gate (ff), up (ff))
    const float* gate = gate_up.data() + r * 2 * ff;
    (ops().*arch_->mlp_activation)(act.data() + r * ff, gate, gate + ff, ff);
  }
  std::vector<float>& out = normed;
  ops().linear_forward_prepared(out.data(), act.data(), p.down, rows);
  for (int64_t i = 0; i < rows * h; ++i) x[i] += out[i];
}

// Runs every row through the model, then writes the logits of rows `logit_rows` in order.
void Model::run_rows(const std::vector<Row>& rows, std::span<const int64_t> logit_rows, float* logits) const {
  const int64_t n = static_cast<int64_t>(rows.size()), h = config_.hidden_size;
  if (n == 0) return;
  std::vector<float> x(n * h);
  std::vector<int32_t> tokens(n);
  for (int64_t r = 0; r < n; ++r) tokens[r] = rows[r].token;
  if (dtype_ == ComputeDType::float32)
    ops().embedding_forward(x.data(), tokens.data(), weights_.embed_tokens.data(), n, h);
  else ops().linear_prepared_rows(x.data(), tokens.data(), weights_.lm_head.out == 0 ? lm_head_ : embed_, n);
  if (arch_->embedding_scale) {  // x = scale · embedding
    const float scale = arch_->embedding_scale(config_);
    for (float& v : x) v *= scale;
  }
  for (int64_t layer = 0; layer < config_.num_hidden_layers; ++layer) {
    attention_block(x.data(), layer, rows);
    mlp_block(x.data(), layer, n);
  }
  const int64_t m = static_cast<int64_t>(logit_rows.size());
  std::vector<float> picked(m * h), normed(m * h);
  for (int64_t i = 0; i < m; ++i) std::copy_n(x.data() + logit_rows[i] * h, h, picked.data() + i * h);
  ops().rmsnorm_forward(normed.data(), picked.data(), weights_.final_norm.data(), m, h,
                        static_cast<float>(config_.rms_norm_eps));
  ops().linear_forward_prepared(logits, normed.data(), lm_head_, m);
}

void Model::forward(std::span<const int32_t> tokens, KVCache& cache, float* logits, bool last_only) const {
  if (tokens.empty()) return;
  const SequenceChunk chunk{tokens, &cache};
  std::vector<Row> rows = plan_rows(std::span(&chunk, 1));
  std::vector<int64_t> logit_rows(last_only ? 1 : rows.size());
  std::iota(logit_rows.begin(), logit_rows.end(), last_only ? static_cast<int64_t>(rows.size()) - 1 : 0);
  run_rows(rows, logit_rows, logits);
  cache.advance(static_cast<int64_t>(tokens.size()));
}

void Model::forward_batch(std::span<const SequenceChunk> chunks, float* logits) const {
  std::vector<int64_t> logit_rows;
  int64_t end = 0;
  for (const SequenceChunk& chunk : chunks) {
    if (chunk.tokens.empty()) fail_internal("forward_batch: empty chunk");
    end += static_cast<int64_t>(chunk.tokens.size());
    logit_rows.push_back(end - 1);
  }
  run_rows(plan_rows(chunks), logit_rows, logits);
  for (const SequenceChunk& chunk : chunks) chunk.cache->advance(static_cast<int64_t>(chunk.tokens.size()));
}

std::vector<float> Model::logits(std::span<const int32_t> tokens) const {
  KVCache cache = new_cache(std::max<int64_t>(1, static_cast<int64_t>(tokens.size())));
  std::vector<float> out(tokens.size() * static_cast<size_t>(config_.vocab_size));
  forward(tokens, cache, out.data(), false);
  return out;
}

}  // namespace aha::model
