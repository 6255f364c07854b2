// The rows of a training pass and attention over sequences that share rows (shared_rows.hpp).
#include "aha/model/shared_rows.hpp"

#include <algorithm>

#include "aha/backend/ops.hpp"
#include "aha/base/error.hpp"

namespace aha::model {
namespace {

using backend::ops;

// to (batch · seq, width) = the row of `from` (rows, width) at each place of `sequence_rows`,
// zeros past a sequence's end.
void lay_out(std::vector<float>& to, const std::vector<float>& from, const std::vector<int64_t>& sequence_rows,
             int64_t width) {
  to.resize(sequence_rows.size() * static_cast<size_t>(width));
  for (size_t place = 0; place < sequence_rows.size(); ++place) {
    float* out = to.data() + place * width;
    if (sequence_rows[place] < 0) std::fill(out, out + width, 0.0f);
    else std::copy_n(from.data() + sequence_rows[place] * width, width, out);
  }
}

// to (rows, width) = `from` (batch · seq, width) at each row's first place.
void take_first(std::vector<float>& to, const std::vector<float>& from, const std::vector<int64_t>& first_place,
                int64_t width) {
  for (size_t row = 0; row < first_place.size(); ++row)
    std::copy_n(from.data() + first_place[row] * width, width, to.data() + row * width);
}

// to (rows, width) += `from` (batch · seq, width) at every place of each row, in place order.
void add_back(std::vector<float>& to, const std::vector<float>& from, const std::vector<int64_t>& sequence_rows,
              int64_t width) {
  for (size_t place = 0; place < sequence_rows.size(); ++place) {
    if (sequence_rows[place] < 0) continue;
    float* out = to.data() + sequence_rows[place] * width;
    const float* in = from.data() + place * width;
    for (int64_t i = 0; i < width; ++i) out[i] += in[i];
  }
}

// The layer's q, k and v laid out as (batch, seq) in acts.laid_out.
void lay_out_qkv(Activations& acts, const LayerActivations& a, int64_t q_dim, int64_t kv_dim) {
  SequenceOperands& s = acts.laid_out;
  lay_out(s.q, a.q, acts.sequence_rows, q_dim);
  lay_out(s.k, a.k, acts.sequence_rows, kv_dim);
  lay_out(s.v, a.v, acts.sequence_rows, kv_dim);
}

}  // namespace

void plan_pass_rows(const TrainBatch& b, Activations& acts) {
  const int64_t places = acts.batch * acts.seq;
  acts.sequence_rows.assign(b.sequence_rows.begin(), b.sequence_rows.end());
  acts.first_place.clear();
  if (b.sequence_rows.empty()) {
    acts.rows = places;
    for (int64_t r = 0; r < places; ++r) acts.positions[r] = r % acts.seq;
    return;
  }
  if (static_cast<int64_t>(b.sequence_rows.size()) != places || b.tokens.empty() ||
      static_cast<int64_t>(b.tokens.size()) > places)
    fail_internal(fmt::format("sequence_rows: {} places and {} rows for a {} x {} plan", b.sequence_rows.size(),
                              b.tokens.size(), acts.batch, acts.seq));
  acts.rows = static_cast<int64_t>(b.tokens.size());
  acts.first_place.assign(static_cast<size_t>(acts.rows), -1);
  const std::span<const int64_t> at = b.sequence_rows;
  for (int64_t place = 0; place < places; ++place) {
    const int64_t row = at[place], t = place % acts.seq;
    if (row < 0) {
      if (row != -1 || (t + 1 < acts.seq && at[place + 1] != -1))
        fail_internal(fmt::format("sequence_rows: a gap at {}", place));
      continue;
    }
    if (row >= acts.rows) fail_internal(fmt::format("sequence_rows: row {} of {}", row, acts.rows));
    int64_t& first = acts.first_place[row];
    if (first < 0) {
      first = place;
      acts.positions[row] = t;
    } else if (first % acts.seq != t || (t > 0 && at[first - 1] != at[place - 1])) {
      fail_internal(fmt::format("sequence_rows: row {} at {} follows other rows than at {}", row, place, first));
    }
  }
  for (int64_t row = 0; row < acts.rows; ++row)
    if (acts.first_place[row] < 0) fail_internal(fmt::format("sequence_rows: row {} is in no sequence", row));
}

void attention_forward(Activations& acts, LayerActivations& a, int64_t heads, int64_t kv_heads, int64_t head_dim) {
  const int64_t q_dim = heads * head_dim, kv_dim = kv_heads * head_dim;
  if (acts.sequence_rows.empty())
    return ops().attention_forward(a.att.data(), a.lse.data(), a.q.data(), a.k.data(), a.v.data(), acts.batch, acts.seq,
                                   heads, kv_heads, head_dim);
  SequenceOperands& s = acts.laid_out;
  lay_out_qkv(acts, a, q_dim, kv_dim);
  s.out.resize(s.q.size());
  s.lse.resize(acts.sequence_rows.size() * static_cast<size_t>(heads));
  ops().attention_forward(s.out.data(), s.lse.data(), s.q.data(), s.k.data(), s.v.data(), acts.batch, acts.seq, heads,
                          kv_heads, head_dim);
  take_first(a.att, s.out, acts.first_place, q_dim);
  take_first(a.lse, s.lse, acts.first_place, heads);
}

void attention_backward(Activations& acts, const LayerActivations& a, ActivationGradients& g, int64_t heads,
                        int64_t kv_heads, int64_t head_dim) {
  const int64_t q_dim = heads * head_dim, kv_dim = kv_heads * head_dim;
  if (acts.sequence_rows.empty())
    return ops().attention_backward(g.q.data(), g.k.data(), g.v.data(), g.att.data(), a.att.data(), a.lse.data(),
                                    a.q.data(), a.k.data(), a.v.data(), acts.batch, acts.seq, heads, kv_heads,
                                    head_dim);
  SequenceOperands& s = acts.laid_out;
  lay_out_qkv(acts, a, q_dim, kv_dim);
  lay_out(s.out, a.att, acts.sequence_rows, q_dim);
  lay_out(s.lse, a.lse, acts.sequence_rows, heads);
  s.dout.assign(s.q.size(), 0.0f);
  for (int64_t row = 0; row < acts.rows; ++row)
    std::copy_n(g.att.data() + row * q_dim, q_dim, s.dout.data() + acts.first_place[row] * q_dim);
  s.dq.assign(s.q.size(), 0.0f);
  s.dk.assign(s.k.size(), 0.0f);
  s.dv.assign(s.v.size(), 0.0f);
  ops().attention_backward(s.dq.data(), s.dk.data(), s.dv.data(), s.dout.data(), s.out.data(), s.lse.data(), s.q.data(),
                           s.k.data(), s.v.data(), acts.batch, acts.seq, heads, kv_heads, head_dim);
  add_back(g.q, s.dq, acts.sequence_rows, q_dim);
  add_back(g.k, s.dk, acts.sequence_rows, kv_dim);
  add_back(g.v, s.dv, acts.sequence_rows, kv_dim);
}

}  // namespace aha::model
