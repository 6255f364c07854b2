// The op table, checked the way llama.cpp's test-backend-ops checks a backend: every op over a set
// of shapes, its forward against the plain test-only reference (backend/cpu/reference/), its
// backward against central finite differences of its forward. A new backend runs the same cases
// by adding its table to backends().
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "aha/backend/cpu/dispatch.hpp"
#include "aha/backend/cpu/reference/attention_cached_reference.hpp"
#include "aha/backend/cpu/reference/attention_reference.hpp"
#include "aha/backend/cpu/reference/matmul_reference.hpp"
#include "aha/backend/cpu/reference/pointwise_reference.hpp"
#include "aha/backend/ops.hpp"
#include "aha/tensor/dtype.hpp"
#include "support/random.hpp"

namespace aha::backend {
namespace {

namespace ref = cpu::reference;
using Floats = std::vector<float>;
using Inputs = std::vector<Floats>;

// One op at one shape. `forward` runs the op of a table on the inputs; `reference` computes the
// same output with the reference kernels; `backward`, when set, returns d(Σ dout·out)/d(input)
// for every input, given dout.
struct OpCase {
  std::string name;
  Inputs inputs;
  std::function<Floats(const Ops&, const Inputs&)> forward;
  std::function<Floats(const Inputs&)> reference;
  std::function<Inputs(const Ops&, const Inputs&, const Floats&)> backward;
  double tolerance = 1e-5;  // forward against reference, relative to max(1, |reference|)
};

// Every backend's table; built on first use (not at static initialisation: an AHA_ISA above the
// CPU's level must reach test_main, which skips the run).
std::vector<const Ops*> backends() { return {&cpu_ops()}; }

Floats zeros(size_t n) { return Floats(n, 0.0f); }

std::vector<uint16_t> bf16_bits(const Floats& values) {
  std::vector<uint16_t> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i) bits[i] = tensor::f32_to_bf16(values[i]);
  return bits;
}

void add_linear(std::vector<OpCase>& cases, int64_t rows, int64_t in, int64_t out) {
  const std::string shape = "_" + std::to_string(rows) + "x" + std::to_string(in) + "x" + std::to_string(out);
  Inputs x = {test::random_vector(rows * in, 1), test::random_vector(out * in, 2, 0.3f), test::random_vector(out, 3)};
  const double tolerance = 4e-5 * std::sqrt(static_cast<double>(in));  // float sums of `in` products
  auto reference = [=](const Inputs& v) {
    Floats y(rows * out);
    ref::matmul_forward(y.data(), v[0].data(), v[1].data(), v[2].data(), rows, in, out);
    return y;
  };
  cases.push_back({"linear" + shape, x,
                   [=](const Ops& ops, const Inputs& v) {
                     Floats y(rows * out);
                     ops.linear_forward(y.data(), v[0].data(), v[1].data(), v[2].data(), rows, in, out);
                     return y;
                   },
                   reference,
                   [=](const Ops& ops, const Inputs& v, const Floats& dy) {
                     Inputs d = {zeros(v[0].size()), zeros(v[1].size()), zeros(v[2].size())};
                     ops.linear_backward(d[0].data(), d[1].data(), d[2].data(), dy.data(), v[0].data(), v[1].data(),
                                         rows, in, out);
                     return d;
                   },
                   tolerance});
  cases.push_back({"linear_prepared" + shape, x,
                   [=](const Ops& ops, const Inputs& v) {
                     PreparedLinear w;
                     ops.linear_prepare(w, v[1].data(), v[2].data(), in, out);
                     Floats y(rows * out);
                     ops.linear_forward_prepared(y.data(), v[0].data(), w, rows);
                     return y;
                   },
                   reference, nullptr, tolerance});
  // In bf16: the weight's bf16 bits, the input rounded to bf16 inside the op. Against the fp32
  // product with the rounded weight, the input's rounding (relative 2^-8 per element) moves a
  // sum by at most 2^-8 Σ|x·w| <= 2^-8 · in · 1 · 0.3 (|x| <= 1, |w| <= 0.3), plus the fp32 sums.
  const double bf16_bound = std::ldexp(1.0, -8) * static_cast<double>(in) * 0.3 + tolerance;
  cases.push_back({"linear_prepared_bf16" + shape, x,
                   [=](const Ops& ops, const Inputs& v) {
                     PreparedLinear w;
                     ops.linear_prepare_bf16(w, bf16_bits(v[1]).data(), v[2].data(), in, out);
                     Floats y(rows * out);
                     ops.linear_forward_prepared(y.data(), v[0].data(), w, rows);
                     return y;
                   },
                   [=](const Inputs& v) {
                     Floats w(v[1].size());
                     for (size_t i = 0; i < w.size(); ++i) w[i] = tensor::bf16_to_f32(tensor::f32_to_bf16(v[1][i]));
                     return reference({v[0], w, v[2]});
                   },
                   nullptr, bf16_bound});
}

void add_rmsnorm(std::vector<OpCase>& cases, int64_t rows, int64_t dim) {
  const float eps = 1e-5f;
  cases.push_back({"rmsnorm_" + std::to_string(rows) + "x" + std::to_string(dim),
                   {test::random_vector(rows * dim, 4), test::random_vector(dim, 5)},
                   [=](const Ops& ops, const Inputs& v) {
                     Floats y(rows * dim);
                     ops.rmsnorm_forward(y.data(), v[0].data(), v[1].data(), rows, dim, eps);
                     return y;
                   },
                   [=](const Inputs& v) {
                     Floats y(rows * dim);
                     ref::rmsnorm_forward(y.data(), v[0].data(), v[1].data(), rows, dim, eps);
                     return y;
                   },
                   [=](const Ops& ops, const Inputs& v, const Floats& dy) {
                     Inputs d = {zeros(v[0].size()), zeros(v[1].size())};
                     ops.rmsnorm_backward(d[0].data(), d[1].data(), dy.data(), v[0].data(), v[1].data(), rows, dim,
                                          eps);
                     return d;
                   }});
}

void add_rope(std::vector<OpCase>& cases, int64_t rows, int64_t heads, int64_t head_dim, bool table) {
  std::vector<int64_t> positions(rows);
  for (int64_t r = 0; r < rows; ++r) positions[r] = (r * 5 + 3) % 11;
  const std::vector<double> inv_freq = rope_inv_freq(head_dim, 10000.0, {});
  const RopeTable rope = rope_table(inv_freq.data(), 11, head_dim);
  auto run = [=](const Ops& ops, Floats x, bool backward) {
    if (table && backward) ops.rope_backward_table(x.data(), rope, positions.data(), rows, heads, head_dim);
    else if (table) ops.rope_forward_table(x.data(), rope, positions.data(), rows, heads, head_dim);
    else if (backward) ops.rope_backward(x.data(), positions.data(), inv_freq.data(), rows, heads, head_dim);
    else ops.rope_forward(x.data(), positions.data(), inv_freq.data(), rows, heads, head_dim);
    return x;
  };
  cases.push_back({std::string(table ? "rope_table_" : "rope_") + std::to_string(rows) + "x" + std::to_string(heads) +
                       "x" + std::to_string(head_dim),
                   {test::random_vector(rows * heads * head_dim, 6)},
                   [=](const Ops& ops, const Inputs& v) { return run(ops, v[0], false); },
                   [=](const Inputs& v) {
                     Floats x = v[0];
                     ref::rope_forward(x.data(), positions.data(), inv_freq.data(), rows, heads, head_dim);
                     return x;
                   },
                   [=](const Ops& ops, const Inputs&, const Floats& dy) { return Inputs{run(ops, dy, true)}; }});
}

void add_attention(std::vector<OpCase>& cases, int64_t batch, int64_t seq, int64_t heads, int64_t kv_heads,
                   int64_t hd) {
  const int64_t qs = seq * heads * hd, ks = seq * kv_heads * hd, n = batch * seq;
  const std::string shape = "_" + std::to_string(batch) + "x" + std::to_string(seq) + "x" + std::to_string(heads) +
                            "x" + std::to_string(kv_heads) + "x" + std::to_string(hd);
  Inputs x = {test::random_vector(batch * qs, 7), test::random_vector(batch * ks, 8),
              test::random_vector(batch * ks, 9)};
  auto reference = [=](const Inputs& v) {  // one sequence at a time, from position 0
    Floats y(batch * qs);
    for (int64_t b = 0; b < batch; ++b)
      ref::attention_forward(y.data() + b * qs, v[0].data() + b * qs, v[1].data() + b * ks, v[2].data() + b * ks, seq,
                             0, heads, kv_heads, hd);
    return y;
  };
  cases.push_back({"attention" + shape, x,
                   [=](const Ops& ops, const Inputs& v) {
                     Floats y(batch * qs), lse(n * heads);
                     ops.attention_forward(y.data(), lse.data(), v[0].data(), v[1].data(), v[2].data(), batch, seq,
                                           heads, kv_heads, hd);
                     return y;
                   },
                   reference,
                   [=](const Ops& ops, const Inputs& v, const Floats& dy) {
                     Floats y(batch * qs), lse(n * heads);
                     ops.attention_forward(y.data(), lse.data(), v[0].data(), v[1].data(), v[2].data(), batch, seq,
                                           heads, kv_heads, hd);
                     Inputs d = {zeros(v[0].size()), zeros(v[1].size()), zeros(v[2].size())};
                     ops.attention_backward(d[0].data(), d[1].data(), d[2].data(), dy.data(), y.data(), lse.data(),
                                            v[0].data(), v[1].data(), v[2].data(), batch, seq, heads, kv_heads, hd);
                     return d;
                   }});
  // The same sequences decoded over caches laid out (kv_heads, capacity, head_dim), capacity seq + 2.
  const int64_t capacity = seq + 2;
  auto cache_of = [=](const Floats& kv, int64_t b) {  // (seq, kv_heads, hd) -> (kv_heads, capacity, hd)
    Floats c(kv_heads * capacity * hd);
    for (int64_t t = 0; t < seq; ++t)
      for (int64_t h = 0; h < kv_heads; ++h)
        std::copy_n(kv.data() + b * ks + (t * kv_heads + h) * hd, hd, c.data() + (h * capacity + t) * hd);
    return c;
  };
  cases.push_back({"attention_cached" + shape, x,
                   [=](const Ops& ops, const Inputs& v) {
                     std::vector<Floats> k(batch), vv(batch);
                     std::vector<const float*> keys(n), values(n);
                     std::vector<int64_t> lengths(n), capacities(n, capacity);
                     for (int64_t b = 0; b < batch; ++b) {
                       k[b] = cache_of(v[1], b), vv[b] = cache_of(v[2], b);
                       for (int64_t t = 0; t < seq; ++t) {
                         keys[b * seq + t] = k[b].data(), values[b * seq + t] = vv[b].data();
                         lengths[b * seq + t] = t + 1;
                       }
                     }
                     Floats y(batch * qs);
                     ops.attention_cached_forward(y.data(), v[0].data(), keys.data(), values.data(), lengths.data(),
                                                  capacities.data(), n, heads, kv_heads, hd);
                     return y;
                   },
                   [=](const Inputs& v) {
                     std::vector<const float*> keys(n), values(n);
                     std::vector<int64_t> lengths(n);
                     for (int64_t r = 0; r < n; ++r)
                       keys[r] = v[1].data() + (r / seq) * ks, values[r] = v[2].data() + (r / seq) * ks,
                       lengths[r] = r % seq + 1;
                     Floats y(batch * qs);
                     ref::attention_cached_forward(y.data(), v[0].data(), keys.data(), values.data(), lengths.data(), n,
                                                   heads, kv_heads, hd);
                     return y;
                   },
                   nullptr, 1e-5});
}

void add_swiglu(std::vector<OpCase>& cases, int64_t n) {
  cases.push_back({"swiglu_" + std::to_string(n),
                   {test::random_vector(n, 10, 2.0f), test::random_vector(n, 11)},
                   [=](const Ops& ops, const Inputs& v) {
                     Floats y(n);
                     ops.swiglu_forward(y.data(), v[0].data(), v[1].data(), n);
                     return y;
                   },
                   [=](const Inputs& v) {
                     Floats y(n);
                     ref::swiglu_forward(y.data(), v[0].data(), v[1].data(), n);
                     return y;
                   },
                   [=](const Ops& ops, const Inputs& v, const Floats& dy) {
                     Inputs d = {zeros(n), zeros(n)};
                     ops.swiglu_backward(d[0].data(), d[1].data(), dy.data(), v[0].data(), v[1].data(), n);
                     return d;
                   }});
}

void add_geglu(std::vector<OpCase>& cases, int64_t n) {
  cases.push_back({"geglu_" + std::to_string(n),
                   {test::random_vector(n, 10, 2.0f), test::random_vector(n, 11)},
                   [=](const Ops& ops, const Inputs& v) {
                     Floats y(n);
                     ops.geglu_forward(y.data(), v[0].data(), v[1].data(), n);
                     return y;
                   },
                   [=](const Inputs& v) {
                     Floats y(n);
                     ref::geglu_forward(y.data(), v[0].data(), v[1].data(), n);
                     return y;
                   },
                   [=](const Ops& ops, const Inputs& v, const Floats& dy) {
                     Inputs d = {zeros(n), zeros(n)};
                     ops.geglu_backward(d[0].data(), d[1].data(), dy.data(), v[0].data(), v[1].data(), n);
                     return d;
                   }});
}

void add_embedding(std::vector<OpCase>& cases, int64_t rows, int64_t vocab, int64_t dim) {
  std::vector<int32_t> tokens(rows);
  // Tokens 0, 3, 1, 4, 2, 0, ...: repeated ones must sum their gradients.
  for (int64_t r = 0; r < rows; ++r) tokens[r] = static_cast<int32_t>((r * 3) % std::min<int64_t>(vocab, 5));
  cases.push_back({"embedding_" + std::to_string(rows) + "x" + std::to_string(vocab) + "x" + std::to_string(dim),
                   {test::random_vector(vocab * dim, 12)},
                   [=](const Ops& ops, const Inputs& v) {
                     Floats y(rows * dim);
                     ops.embedding_forward(y.data(), tokens.data(), v[0].data(), rows, dim);
                     return y;
                   },
                   [=](const Inputs& v) {
                     Floats y(rows * dim);
                     ref::embedding_forward(y.data(), tokens.data(), v[0].data(), rows, dim);
                     return y;
                   },
                   [=](const Ops& ops, const Inputs& v, const Floats& dy) {
                     Inputs d = {zeros(v[0].size())};
                     ops.embedding_backward(d[0].data(), dy.data(), tokens.data(), rows, dim);
                     return d;
                   }});
}

// Cross-entropy three ways: forward with its backward, the fused pass (its logits' gradient), and
// the losses with entropies (forward only).
void add_cross_entropy(std::vector<OpCase>& cases, int64_t rows, int64_t vocab) {
  std::vector<int32_t> targets(rows);
  for (int64_t r = 0; r < rows; ++r) targets[r] = r % 3 == 2 ? -100 : static_cast<int32_t>((r * 7) % vocab);
  const std::string shape = "_" + std::to_string(rows) + "x" + std::to_string(vocab);
  const Inputs x = {test::random_vector(rows * vocab, 13, 2.0f)};
  auto reference = [=](const Inputs& v) {
    Floats losses(rows);
    ref::cross_entropy_forward(losses.data(), nullptr, v[0].data(), targets.data(), rows, vocab);
    return losses;
  };
  auto forward = [=](const Ops& ops, const Inputs& v) {
    Floats losses(rows);
    ops.cross_entropy_forward(losses.data(), v[0].data(), targets.data(), rows, vocab);
    return losses;
  };
  cases.push_back(
      {"cross_entropy" + shape, x, forward, reference, [=](const Ops& ops, const Inputs& v, const Floats& dy) {
         Inputs d = {zeros(v[0].size())};
         ops.cross_entropy_backward(d[0].data(), dy.data(), v[0].data(), targets.data(), rows, vocab);
         return d;
       }});
  cases.push_back({"cross_entropy_fused" + shape, x,
                   [=](const Ops& ops, const Inputs& v) {
                     Floats losses(rows), logits = v[0], ones(rows, 1.0f);
                     ops.cross_entropy_fused(losses.data(), logits.data(), ones.data(), targets.data(), rows, vocab);
                     return losses;
                   },
                   reference,
                   [=](const Ops& ops, const Inputs& v, const Floats& dy) {
                     Floats losses(rows), logits = v[0];
                     ops.cross_entropy_fused(losses.data(), logits.data(), dy.data(), targets.data(), rows, vocab);
                     return Inputs{logits};
                   }});
  cases.push_back(
      {"cross_entropy_and_entropy" + shape, x,
       [=](const Ops& ops, const Inputs& v) {
         Floats out(2 * rows);
         ops.cross_entropy_and_entropy(out.data(), out.data() + rows, v[0].data(), targets.data(), rows, vocab);
         return out;
       },
       [=](const Inputs& v) {
         Floats out(2 * rows);
         ref::cross_entropy_forward(out.data(), out.data() + rows, v[0].data(), targets.data(), rows, vocab);
         return out;
       },
       nullptr, 1e-5});
}

// AdamW has no backward: its forward (w, m, v after one update, concatenated) against the plain loop.
void add_adamw(std::vector<OpCase>& cases, int64_t n) {
  const AdamWStep step{0.9f, 0.999f, 1e-2f / (1.0f - 0.9f * 0.9f), std::sqrt(1.0f - 0.999f * 0.999f), 1e-8f, 0.99f};
  Floats v = test::random_vector(n, 16);
  for (float& x : v) x = x * x;
  auto run = [=](const Inputs& in, auto&& update) {
    Floats w = in[0], m = in[1], v2 = in[2];
    update(w.data(), m.data(), v2.data(), in[3].data(), n, step);
    w.insert(w.end(), m.begin(), m.end());
    w.insert(w.end(), v2.begin(), v2.end());
    return w;
  };
  cases.push_back({"adamw_" + std::to_string(n),
                   {test::random_vector(n, 14), test::random_vector(n, 15, 0.1f), v, test::random_vector(n, 17)},
                   [=](const Ops& ops, const Inputs& in) { return run(in, ops.adamw_update); },
                   [=](const Inputs& in) { return run(in, ref::adamw_update); },
                   nullptr,
                   1e-6});
}

std::vector<OpCase> op_cases() {
  std::vector<OpCase> c;
  add_linear(c, 1, 5, 3);
  add_linear(c, 7, 33, 17);
  add_linear(c, 4, 64, 40);
  add_rmsnorm(c, 1, 8);
  add_rmsnorm(c, 3, 37);
  add_rmsnorm(c, 5, 64);
  for (bool table : {false, true}) {
    add_rope(c, 3, 2, 8, table);
    add_rope(c, 4, 3, 16, table);
  }
  add_attention(c, 1, 3, 2, 1, 4);
  add_attention(c, 2, 5, 4, 2, 8);
  add_attention(c, 1, 19, 3, 3, 16);
  add_swiglu(c, 1);
  add_swiglu(c, 17);
  add_swiglu(c, 64);
  add_geglu(c, 1);
  add_geglu(c, 17);
  add_geglu(c, 64);
  add_embedding(c, 5, 7, 4);
  add_embedding(c, 9, 11, 33);
  add_cross_entropy(c, 3, 7);
  add_cross_entropy(c, 6, 50);
  add_adamw(c, 5);
  add_adamw(c, 83);
  return c;
}

std::vector<OpCase> cases_with_backward() {
  std::vector<OpCase> out;
  for (OpCase& c : op_cases())
    if (c.backward) out.push_back(std::move(c));
  return out;
}

class OpForward : public testing::TestWithParam<OpCase> {};
class OpBackward : public testing::TestWithParam<OpCase> {};

TEST_P(OpForward, matches_the_reference) {
  const OpCase& op = GetParam();
  const Floats want = op.reference(op.inputs);
  for (const Ops* ops : backends()) {
    const Floats got = op.forward(*ops, op.inputs);
    ASSERT_EQ(got.size(), want.size()) << ops->name;
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_NEAR(got[i], want[i], op.tolerance * std::max(1.0f, std::fabs(want[i])))
          << ops->name << " " << op.name << "[" << i << "]";
  }
}

// L = Σ out·R for a fixed random R, evaluated in double from the float outputs; the backward run
// with dout = R must return ∂L/∂input, which central differences estimate element by element.
TEST_P(OpBackward, matches_finite_differences) {
  const OpCase& op = GetParam();
  for (const Ops* ops : backends()) {
    Inputs x = op.inputs;
    const Floats r = test::random_vector(op.forward(*ops, x).size(), 99);
    auto loss = [&] {
      const Floats y = op.forward(*ops, x);
      double s = 0.0;
      for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * r[i];
      return s;
    };
    const Inputs analytic = op.backward(*ops, x, r);
    ASSERT_EQ(analytic.size(), x.size());
    for (size_t k = 0; k < x.size(); ++k)
      for (size_t i = 0; i < x[k].size(); ++i) {
        const float saved = x[k][i], h = 1e-3f;
        x[k][i] = saved + h;
        const double up = loss(), step_up = x[k][i];
        x[k][i] = saved - h;
        const double down = loss(), step = step_up - x[k][i];
        x[k][i] = saved;
        const double numeric = (up - down) / step;
        ASSERT_LT(std::fabs(analytic[k][i] - numeric) / std::max(1.0, std::fabs(numeric)), 2e-3)
            << ops->name << " " << op.name << " input " << k << "[" << i << "]: analytic " << analytic[k][i]
            << ", numeric " << numeric;
      }
  }
}

// The cases, and more at shapes that fill every path of the kernels: the GEMM's 12-row tiles,
// 144-row blocks and 256-deep k blocks, many 16-lane vectors with a tail elsewhere.
std::vector<OpCase> level_cases() {
  std::vector<OpCase> c = op_cases();
  add_linear(c, 150, 300, 97);
  add_rmsnorm(c, 4, 300);
  add_rope(c, 5, 4, 64, true);
  add_attention(c, 2, 40, 4, 2, 64);
  add_swiglu(c, 1000);
  add_geglu(c, 1000);
  add_cross_entropy(c, 4, 2500);
  add_adamw(c, 1000);
  return c;
}

void expect_same_bits(const Floats& a, const Floats& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(std::memcmp(&a[i], &b[i], sizeof(float)), 0) << what << "[" << i << "]: " << a[i] << " vs " << b[i];
}

// The avx2 and avx512 copies of the fp32 kernels (cpu/level.hpp) give the same bits, forward and
// backward: on the case's inputs, and on them times 50, where exp's arguments reach its clamps and
// its results the subnormal range.
class OpLevels : public testing::TestWithParam<OpCase> {};

TEST_P(OpLevels, avx2_and_avx512_give_the_same_bits) {
  if (cpu::detected_isa() < cpu::IsaLevel::avx512) GTEST_SKIP() << "this CPU has no AVX-512";
  const OpCase& op = GetParam();
  const Ops& avx2 = cpu::cpu_ops_for(cpu::IsaLevel::avx2);
  const Ops& avx512 = cpu::cpu_ops_for(cpu::IsaLevel::avx512);
  ASSERT_NE(&avx2, &avx512);
  for (float scale : {1.0f, 50.0f}) {
    Inputs x = op.inputs;
    for (Floats& input : x)
      for (float& value : input) value *= scale;
    const std::string what = op.name + " at scale " + std::to_string(scale);
    const Floats out = op.forward(avx2, x);
    expect_same_bits(out, op.forward(avx512, x), what + ", forward");
    if (!op.backward) continue;
    const Floats dout = test::random_vector(out.size(), 98);
    const Inputs d2 = op.backward(avx2, x, dout), d512 = op.backward(avx512, x, dout);
    for (size_t k = 0; k < d2.size(); ++k)
      expect_same_bits(d2[k], d512[k], what + ", backward input " + std::to_string(k));
  }
}

std::string case_name(const testing::TestParamInfo<OpCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(EveryOp, OpForward, testing::ValuesIn(op_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(EveryOp, OpBackward, testing::ValuesIn(cases_with_backward()), case_name);
INSTANTIATE_TEST_SUITE_P(EveryOp, OpLevels, testing::ValuesIn(level_cases()), case_name);

TEST(PreparedLinear, is_bit_identical_to_linear_forward_and_survives_copies) {
  const int64_t rows = 5, in = 70, out = 45;
  const Floats x = test::random_vector(rows * in, 20), w = test::random_vector(out * in, 21),
               b = test::random_vector(out, 22);
  for (const Ops* ops : backends()) {
    Floats plain(rows * out), prepared(rows * out), copied(rows * out);
    ops->linear_forward(plain.data(), x.data(), w.data(), b.data(), rows, in, out);
    PreparedLinear p;
    ops->linear_prepare(p, w.data(), b.data(), in, out);
    ops->linear_forward_prepared(prepared.data(), x.data(), p, rows);
    const PreparedLinear copy = p;
    ops->linear_prepare(p, x.data(), nullptr, in, rows);  // reuse p for another weight
    ops->linear_forward_prepared(copied.data(), x.data(), copy, rows);
    EXPECT_EQ(prepared, plain) << ops->name;
    EXPECT_EQ(copied, plain) << ops->name;
  }
}

Floats rounded_to_bf16(const Floats& v) {
  Floats r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = tensor::bf16_to_f32(tensor::f32_to_bf16(v[i]));
  return r;
}

// Σ_k a(k)·b(k) in double, with Σ|a(k)·b(k)| in `magnitude`.
template <class A, class B>
double dot(int64_t n, A a, B b, double& magnitude) {
  double sum = 0.0;
  magnitude = 0.0;
  for (int64_t k = 0; k < n; ++k) sum += static_cast<double>(a(k)) * b(k), magnitude += std::fabs(a(k) * b(k));
  return sum;
}

// The mixed-precision linear against double sums of the bf16-rounded operands: the products of
// bf16 values are exact, so only the fp32 sums differ, by at most 2 (k + 1) 2^-24 Σ|terms|
// (gemm_bf16_test derives it), plus denormals flushed. Gradients accumulate into what is there.
TEST(LinearBf16, forward_and_backward_are_the_sums_of_the_rounded_operands) {
  const int64_t rows = 37, in = 70, out = 45;
  const Floats x = test::random_vector(rows * in, 30), w = test::random_vector(out * in, 31),
               b = test::random_vector(out, 32), dy = test::random_vector(rows * out, 33);
  const Floats rx = rounded_to_bf16(x), rw = rounded_to_bf16(w), rdy = rounded_to_bf16(dy);
  auto bound = [](int64_t k, double magnitude) { return 2.0 * (k + 1) * std::ldexp(1.0, -24) * magnitude + 1e-30; };
  for (const Ops* ops : backends()) {
    Floats y(rows * out), dx(rows * in, 0.5f), dw(out * in, -0.25f), db(out, 1.0f);
    ops->linear_forward_bf16(y.data(), x.data(), w.data(), b.data(), rows, in, out);
    ops->linear_backward_bf16(dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), rows, in, out);
    double m = 0.0;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < out; ++j) {
        const double want = dot(
            in, [&](int64_t k) { return rx[r * in + k]; }, [&](int64_t k) { return rw[j * in + k]; }, m);
        ASSERT_NEAR(y[r * out + j], want + b[j], bound(in, m) + 1e-6) << ops->name << " y " << r << "," << j;
      }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < in; ++i) {
        const double want = dot(
            out, [&](int64_t j) { return rdy[r * out + j]; }, [&](int64_t j) { return rw[j * in + i]; }, m);
        ASSERT_NEAR(dx[r * in + i], 0.5 + want, bound(out, m) + 1e-6) << ops->name << " dx " << r << "," << i;
      }
    for (int64_t j = 0; j < out; ++j)
      for (int64_t i = 0; i < in; ++i) {
        const double want = dot(
            rows, [&](int64_t r) { return rdy[r * out + j]; }, [&](int64_t r) { return rx[r * in + i]; }, m);
        ASSERT_NEAR(dw[j * in + i], -0.25 + want, bound(rows, m) + 1e-6) << ops->name << " dw " << j << "," << i;
      }
    for (int64_t j = 0; j < out; ++j) {
      const double want = dot(
          rows, [&](int64_t r) { return dy[r * out + j]; }, [](int64_t) { return 1.0f; }, m);
      ASSERT_NEAR(db[j], 1.0 + want, 1e-5 * (1.0 + m)) << ops->name << " db " << j;  // fp32, unrounded
    }
  }
}

// A frozen weight held in bf16 bits (LoRA's base in mixed precision): the products through its
// layouts are the mixed-precision linear's of the same values, bit for bit, both ways. Odd sizes
// reach the padding of k and of the last panel.
TEST(PreparedLinear, bf16_bits_give_the_mixed_precision_products_both_ways) {
  const int64_t rows = 9, in = 70, out = 45;
  const Floats x = test::random_vector(rows * in, 40), dy = test::random_vector(rows * out, 41),
               b = test::random_vector(out, 42);
  const std::vector<uint16_t> bits = bf16_bits(test::random_vector(out * in, 43));
  Floats w(out * in);
  for (size_t i = 0; i < w.size(); ++i) w[i] = tensor::bf16_to_f32(bits[i]);
  for (const Ops* ops : backends()) {
    Floats y_want(rows * out), y(rows * out), dx_want(rows * in, 0.0f), dx(rows * in);
    ops->linear_forward_bf16(y_want.data(), x.data(), w.data(), b.data(), rows, in, out);
    ops->linear_backward_bf16(dx_want.data(), nullptr, nullptr, dy.data(), x.data(), w.data(), rows, in, out);
    PreparedLinear forward, transposed;
    ops->linear_prepare_bf16(forward, bits.data(), b.data(), in, out);
    ops->linear_prepare_bf16_transposed(transposed, bits.data(), in, out);
    ops->linear_forward_prepared(y.data(), x.data(), forward, rows);
    ops->linear_forward_prepared(dx.data(), dy.data(), transposed, rows);
    EXPECT_EQ(transposed.in, out) << ops->name;
    EXPECT_EQ(transposed.out, in) << ops->name;
    EXPECT_EQ(y, y_want) << ops->name;
    EXPECT_EQ(dx, dx_want) << ops->name;
  }
}

TEST(PreparedLinear, rows_are_the_weight_rows_exactly_in_either_dtype) {
  const int64_t in = 37, out = 70;
  const Floats w = test::random_vector(out * in, 23);
  const std::vector<uint16_t> bits = bf16_bits(w);
  const std::vector<int32_t> ids = {69, 0, 33, 33, 31, 32};
  const int64_t rows = static_cast<int64_t>(ids.size());
  for (const Ops* ops : backends()) {
    PreparedLinear fp32, bf16;
    ops->linear_prepare(fp32, w.data(), nullptr, in, out);
    ops->linear_prepare_bf16(bf16, bits.data(), nullptr, in, out);
    Floats from_fp32(rows * in), from_bf16(rows * in);
    ops->linear_prepared_rows(from_fp32.data(), ids.data(), fp32, rows);
    ops->linear_prepared_rows(from_bf16.data(), ids.data(), bf16, rows);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < in; ++k) {
        ASSERT_EQ(from_fp32[r * in + k], w[ids[r] * in + k]) << ops->name << " row " << r;
        ASSERT_EQ(from_bf16[r * in + k], tensor::bf16_to_f32(bits[ids[r] * in + k])) << ops->name << " row " << r;
      }
  }
}

}  // namespace
}  // namespace aha::backend
