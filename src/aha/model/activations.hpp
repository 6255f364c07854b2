// Activation memory of the training forward and backward, planned once for a (batch, seq) shape.
#pragma once

#include <cstdint>
#include <vector>

#include "aha/backend/ops.hpp"
#include "aha/io/hf_config.hpp"

namespace aha::model {

// What one layer's backward needs from its forward; rows = batch · seq.
struct LayerActivations {
  std::vector<float> normed1;  // (rows, hidden) input_layernorm(x)
  // (rows, heads|kv_heads, head_dim) q and k before the q/k norm (qk_norm only)
  std::vector<float> q_lin, k_lin;
  std::vector<float> q, k, v;        // (rows, heads|kv_heads, head_dim) q, k after norm and RoPE
  std::vector<float> att;            // (rows, heads · head_dim) attention output, o_proj's input
  std::vector<float> lse;            // (rows, heads) log-sum-exp of each query row's scores
  std::vector<float> mid;            // (rows, hidden) residual stream after the attention block
  std::vector<float> normed2;        // (rows, hidden) post_attention_layernorm(mid)
  std::vector<float> gate, up, act;  // (rows, intermediate) projections and act(gate) · up
};

// Gradients of activations, reused by every layer (same shapes as their LayerActivations).
struct ActivationGradients {
  std::vector<float> residual;  // (rows, hidden) d(loss)/d(residual stream)
  std::vector<float> normed;    // (rows, hidden) d(loss)/d(a norm's output)
  std::vector<float> q, k, v, att;
  std::vector<float> q_lin, k_lin;  // qk_norm only
  std::vector<float> gate, up, act;
  std::vector<float> losses;  // (rows) d(loss)/d(token loss) = weight / normaliser
};

// Attention's operands and their gradients laid out as (batch, seq), a row at each of its places.
struct SequenceOperands {
  std::vector<float> q, k, v, out, lse;
  std::vector<float> dq, dk, dv, dout;
};

struct Activations {
  // Plans the buffers for `batch` sequences of `seq` tokens of a model with config `c`. With
  // `gradient_checkpointing` only each layer's input is kept, and the backward recomputes one
  // layer's activations at a time. The LM head runs over `logit_chunk_rows` rows at a time
  // (0: as many as keep a chunk of logits near 4M floats).
  Activations(const io::ModelConfig& c, int64_t batch, int64_t seq, bool gradient_checkpointing,
              int64_t logit_chunk_rows = 0);

  int64_t batch = 0, seq = 0;
  // The rows of the pass under way: batch · seq, or fewer when its batch's sequences share rows
  // (TrainBatch::sequence_rows). The buffers below hold batch · seq.
  int64_t rows = 0;
  bool gradient_checkpointing = false;
  // Mixed precision (a trainer's `bf16: true`): the matrix products of the pass round their
  // operands to bf16 and sum in fp32; everything else, and the gradients, stay fp32.
  bool bf16 = false;
  int64_t logit_chunk_rows = 0;
  std::vector<int64_t> positions;  // (rows) position of each row in its sequence: 0 .. seq-1
  // A batch whose sequences share rows: its sequence_rows, each row's first place there, and
  // attention's operands laid out as (batch, seq) (empty for a batch of whole sequences).
  std::vector<int64_t> sequence_rows, first_place;
  SequenceOperands laid_out;
  std::vector<double> inv_freq;  // (head_dim / 2) RoPE inverse frequencies of the config
  backend::RopeTable rope;       // RoPE cos and sin of positions 0 .. seq-1
  // num_hidden_layers + 1 buffers (rows, hidden): each layer's input, then the last one's output.
  std::vector<std::vector<float>> residual;
  std::vector<LayerActivations> layers;  // one per layer, or one reused when checkpointing
  std::vector<float> final_normed;       // (rows, hidden) model.norm(last residual)
  std::vector<float> logits;             // (logit_chunk_rows, vocab); their gradient in backward
  std::vector<float> losses;             // (rows) cross-entropy per token, 0 where no target
  ActivationGradients grad;
};

}  // namespace aha::model
