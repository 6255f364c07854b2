// The op table that model code calls: every op a model needs, forward and backward, as functions a
// backend fills in. Model code never names a backend's kernels; a new backend implements this
// table (and passes tests/backend/ops_test.cpp) without touching any model. Shapes are row-major;
// "+=" marks gradients that accumulate. Results must not depend on the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "aha/backend/adamw_step.hpp"
#include "aha/backend/rope_angles.hpp"

namespace aha::backend {

// A backend's own layout of a linear weight (packed panels on the CPU).
struct PreparedLayout {
  virtual ~PreparedLayout() = default;
  virtual std::unique_ptr<PreparedLayout> clone() const = 0;
};

// An nn.Linear's weight (out, in) and bias, prepared once by a backend for repeated products
// (inference). Only the backend that prepared it reads `layout`.
struct PreparedLinear {
  int64_t in = 0, out = 0;
  std::vector<float> bias;  // (out), empty when none
  std::unique_ptr<PreparedLayout> layout;

  PreparedLinear() = default;
  PreparedLinear(const PreparedLinear& other) { *this = other; }
  PreparedLinear& operator=(const PreparedLinear& other) {
    in = other.in, out = other.out, bias = other.bias;
    layout = other.layout ? other.layout->clone() : nullptr;
    return *this;
  }
  PreparedLinear(PreparedLinear&&) = default;
  PreparedLinear& operator=(PreparedLinear&&) = default;
};

struct Ops {
  const char* name;

  // linear: inp (rows, in), weight (out, in) as nn.Linear stores it, bias (out) or nullptr
  // -> out (rows, out) = inp · weightᵀ + bias.
  void (*linear_forward)(float* out, const float* inp, const float* weight, const float* bias, int64_t rows, int64_t in,
                         int64_t out_dim);
  // dinp (rows, in) += dout · weight, dweight (out, in) += doutᵀ · inp, dbias (out) += Σ_rows dout;
  // any of the three may be nullptr.
  void (*linear_backward)(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                          const float* weight, int64_t rows, int64_t in, int64_t out_dim);
  // The two in mixed precision (training with bf16: true): every matrix operand (input, weight,
  // output gradient) rounded to bf16, every sum in fp32; the bias and its gradient stay fp32.
  void (*linear_forward_bf16)(float* out, const float* inp, const float* weight, const float* bias, int64_t rows,
                              int64_t in, int64_t out_dim);
  void (*linear_backward_bf16)(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                               const float* weight, int64_t rows, int64_t in, int64_t out_dim);
  // weight (out, in), bias (out) or nullptr -> `prepared`, reusing its memory.
  void (*linear_prepare)(PreparedLinear& prepared, const float* weight, const float* bias, int64_t in, int64_t out_dim);
  // The same with the weight in bf16 bits, held in 16 bits: products with it round their input to
  // bf16 (to nearest even, as PyTorch's autocast does) and sum in fp32 (cpu/gemm_bf16.hpp).
  void (*linear_prepare_bf16)(PreparedLinear& prepared, const uint16_t* weight, const float* bias, int64_t in,
                              int64_t out_dim);
  // weight (out, in) in bf16 bits -> `prepared` in the layout of Wᵀ (in, out), no bias: for the
  // input's gradient dout · W of a frozen weight held in bf16 (LoRA's base in mixed precision).
  void (*linear_prepare_bf16_transposed)(PreparedLinear& prepared, const uint16_t* weight, int64_t in, int64_t out_dim);
  // weight (out, in) in fp32, each value rounded to bf16 -> `prepared` in the bf16 layout, no bias;
  // with `transposed`, the layout of Wᵀ (in, out) instead, for the input's gradient dout · W.
  // For a weight many products read within a pass (the LM head over its chunks of rows).
  void (*linear_prepare_rounded)(PreparedLinear& prepared, const float* weight, int64_t in, int64_t out_dim,
                                 bool transposed);
  // weight (out, in) in fp32 quantized to ggml's q8_0 -> `prepared` (cpu/gemm_q8.hpp: products
  // quantize their input per row the same way and sum each block exactly in int32).
  void (*linear_prepare_q8_0)(PreparedLinear& prepared, const float* weight, const float* bias, int64_t in,
                              int64_t out_dim);
  // The same from the weight's q8_0 blocks as GGUF stores them (34 bytes per 32 values of a row;
  // in a multiple of 32), held as they are.
  void (*linear_prepare_q8_0_blocks)(PreparedLinear& prepared, const uint8_t* blocks, const float* bias, int64_t in,
                                     int64_t out_dim);
  // inp (rows, w.in) -> out (rows, w.out); bit-identical to linear_forward for an fp32 weight.
  void (*linear_forward_prepared)(float* out, const float* inp, const PreparedLinear& w, int64_t rows);
  // Rows ids[r] (< w.out) of the prepared weight, as fp32 -> out (rows, w.in): an embedding
  // lookup in a table the backend holds as a linear (a tied LM head), exact in every dtype (q8_0:
  // the dequantized values d · q).
  void (*linear_prepared_rows)(float* out, const int32_t* ids, const PreparedLinear& w, int64_t rows);

  // rmsnorm: inp (rows, dim), weight (dim) -> out (rows, dim) = inp / sqrt(mean(inp²) + eps) · weight;
  // out may alias inp.
  void (*rmsnorm_forward)(float* out, const float* inp, const float* weight, int64_t rows, int64_t dim, float eps);
  // dinp (rows, dim) +=, dweight (dim) +=; either may be nullptr.
  void (*rmsnorm_backward)(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                           int64_t rows, int64_t dim, float eps);

  // rope, rotate-half layout, in place: x (rows, heads, head_dim), row r at positions[r], angles
  // positions[r] · inv_freq (head_dim / 2). The backward rotates d(out) back into d(inp).
  void (*rope_forward)(float* x, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads,
                       int64_t head_dim);
  void (*rope_backward)(float* dx, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads,
                        int64_t head_dim);
  // The same with the angles from a precomputed table (training).
  void (*rope_forward_table)(float* x, const RopeTable& table, const int64_t* positions, int64_t rows, int64_t heads,
                             int64_t head_dim);
  void (*rope_backward_table)(float* dx, const RopeTable& table, const int64_t* positions, int64_t rows, int64_t heads,
                              int64_t head_dim);

  // attention, causal, grouped-query, for training: `batch` sequences of `seq` rows; q (batch·seq,
  // heads, head_dim), k, v (batch·seq, kv_heads, head_dim) -> out (batch·seq, heads, head_dim) and
  // lse (batch·seq, heads), the log-sum-exp of each row's scaled scores.
  void (*attention_forward)(float* out, float* lse, const float* q, const float* k, const float* v, int64_t batch,
                            int64_t seq, int64_t heads, int64_t kv_heads, int64_t head_dim);
  // From out and lse: dq +=, dk +=, dv += (shapes of q, k, v).
  void (*attention_backward)(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                             const float* q, const float* k, const float* v, int64_t batch, int64_t seq, int64_t heads,
                             int64_t kv_heads, int64_t head_dim);
  // attention over key/value caches, for inference: q (rows, heads, head_dim); row r attends to
  // the first lengths[r] positions of keys[r] and values[r], each (kv_heads, capacities[r],
  // head_dim) as KVCache lays them out -> out (rows, heads, head_dim).
  void (*attention_cached_forward)(float* out, const float* q, const float* const* keys, const float* const* values,
                                   const int64_t* lengths, const int64_t* capacities, int64_t rows, int64_t heads,
                                   int64_t kv_heads, int64_t head_dim);

  // swiglu: gate (n), up (n) -> out (n) = silu(gate) · up; dgate +=, dup += (either may be nullptr).
  void (*swiglu_forward)(float* out, const float* gate, const float* up, int64_t n);
  void (*swiglu_backward)(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n);

  // geglu: gate (n), up (n) -> out (n) = gelu_tanh(gate) · up; dgate +=, dup += (either may be nullptr).
  void (*geglu_forward)(float* out, const float* gate, const float* up, int64_t n);
  void (*geglu_backward)(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n);

  // embedding: tokens (rows), table (vocab, dim) -> out (rows, dim); dtable rows += dout rows, in order.
  void (*embedding_forward)(float* out, const int32_t* tokens, const float* table, int64_t rows, int64_t dim);
  void (*embedding_backward)(float* dtable, const float* dout, const int32_t* tokens, int64_t rows, int64_t dim);

  // cross-entropy: logits (rows, vocab), targets (rows; < 0: none) -> losses (rows).
  void (*cross_entropy_forward)(float* losses, const float* logits, const int32_t* targets, int64_t rows,
                                int64_t vocab);
  // dlogits (rows, vocab) += dlosses_r · (softmax(logits_r) − onehot(target_r)).
  void (*cross_entropy_backward)(float* dlogits, const float* dlosses, const float* logits, const int32_t* targets,
                                 int64_t rows, int64_t vocab);
  // Forward and backward in one pass: losses (rows), and logits overwritten by their gradient.
  void (*cross_entropy_fused)(float* losses, float* logits, const float* dlosses, const int32_t* targets, int64_t rows,
                              int64_t vocab);
  // Forward, and entropies (rows) of softmax(logits_r) (0 where the target is negative).
  void (*cross_entropy_and_entropy)(float* losses, float* entropies, const float* logits, const int32_t* targets,
                                    int64_t rows, int64_t vocab);

  // adamw, one tensor in place: w, m, v (n) updated from the gradient g (n) by `step`.
  void (*adamw_update)(float* w, float* m, float* v, const float* g, int64_t n, const AdamWStep& step);
};

// The CPU backend (backend/cpu/), its kernels for the ISA level in use (cpu::isa_level()).
const Ops& cpu_ops();

// The backend model code runs on: the CPU.
inline const Ops& ops() { return cpu_ops(); }

}  // namespace aha::backend
