// Test-only references: plain loops, summed in double, for the row-wise ops of the op table
// (rmsnorm, rope, swiglu, geglu, embedding, cross-entropy, AdamW). tests/backend/ops_test.cpp compares every
// backend's kernels with them. Shapes as in backend/ops.hpp.
#pragma once

#include <cstdint>

#include "aha/backend/adamw_step.hpp"

namespace aha::backend::cpu::reference {

// inp (rows, dim), weight (dim) -> out (rows, dim) = inp / sqrt(mean(inp²) + eps) · weight.
void rmsnorm_forward(float* out, const float* inp, const float* weight, int64_t rows, int64_t dim, float eps);

// x (rows, heads, head_dim) rotated in place (rotate-half pairs), row r by positions[r] · inv_freq.
void rope_forward(float* x, const int64_t* positions, const double* inv_freq, int64_t rows, int64_t heads,
                  int64_t head_dim);

// gate (n), up (n) -> out (n) = gate · sigmoid(gate) · up.
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);

// gate (n), up (n) -> out (n) = gelu_tanh(gate) · up.
void geglu_forward(float* out, const float* gate, const float* up, int64_t n);

// tokens (rows), table (vocab, dim) -> out (rows, dim).
void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t rows, int64_t dim);

// logits (rows, vocab), targets (rows; < 0: none) -> losses (rows) = logsumexp − logit of the
// target (0 without one), and entropies (rows) of the softmax when `entropies` is not null.
void cross_entropy_forward(float* losses, float* entropies, const float* logits, const int32_t* targets, int64_t rows,
                           int64_t vocab);

// One AdamW update of w, m, v (n) from g (n), element by element, as torch.optim.AdamW.
void adamw_update(float* w, float* m, float* v, const float* g, int64_t n, const AdamWStep& s);

}  // namespace aha::backend::cpu::reference
