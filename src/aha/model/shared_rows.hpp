// The rows of a training pass (model/training.cpp): every place of a (batch, seq) plan, or rows
// that sequences share (TrainBatch::sequence_rows), and causal attention over either.
#pragma once

#include <cstdint>

#include "aha/model/activations.hpp"
#include "aha/model/training.hpp"

namespace aha::model {

// Sets the rows of `b`'s pass in `acts` (rows, positions, and for shared rows their layout and
// each row's first place), checking a shared layout (an internal error when it is not one).
void plan_pass_rows(const TrainBatch& b, Activations& acts);

// a.att and a.lse from a.q, a.k, a.v: causal attention over the pass's sequences. In place for
// whole sequences; for sequences that share rows, over their operands laid out as (batch, seq),
// each row's output from its first place (every place of a row gives the same bits: the same rows
// before it, at the same places).
void attention_forward(Activations& acts, LayerActivations& a, int64_t heads, int64_t kv_heads, int64_t head_dim);

// g.q, g.k, g.v += the attention's backward from g.att. For sequences that share rows, a row's
// d(output) goes to its first place (where its output came from) and its dq, dk, dv sum every
// place's.
void attention_backward(Activations& acts, const LayerActivations& a, ActivationGradients& g, int64_t heads,
                        int64_t kv_heads, int64_t head_dim);

}  // namespace aha::model
