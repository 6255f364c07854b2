// Every backward kernel against central finite differences of its forward kernel.
// The loss is L = Σ out·R for a fixed random R, evaluated in double from the float outputs;
// the backward is run with dout = R, so it must return ∂L/∂input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "aha/backend/cpu/reference/attention_reference.hpp"
#include "aha/backend/ops.hpp"
#include "aha/base/threads.hpp"
#include "support/random.hpp"

namespace aha::backend::cpu {
namespace {

using Floats = std::vector<float>;

using test::random_vector;

double project(const Floats& out, const Floats& r) {
  double s = 0.0;
  for (size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out[i]) * r[i];
  return s;
}

// Checks analytic[i] against (loss(x_i + h) - loss(x_i - h)) / 2h for every element of x.
// The step is the one float actually represents, so only the kernels' rounding remains.
void expect_gradient(Floats& x, const std::function<double()>& loss, const Floats& analytic, const std::string& what,
                     double tolerance = 2e-3) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  const float h = 1e-3f;
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    x[i] = saved + h;
    const double up = loss();
    const double step_up = x[i];
    x[i] = saved - h;
    const double down = loss();
    const double step = step_up - x[i];
    x[i] = saved;
    const double numeric = (up - down) / step;
    const double error = std::fabs(analytic[i] - numeric) / std::max(1.0, std::fabs(numeric));
    worst = std::max(worst, error);
    ASSERT_LT(error, tolerance) << what << "[" << i << "]: analytic " << analytic[i] << ", numeric " << numeric;
  }
  testing::Test::RecordProperty(what, std::to_string(worst));
}

TEST(MatmulBackward, matches_finite_differences_with_bias) {
  const int64_t rows = 3, in = 5, out = 4;
  Floats x = random_vector(rows * in, 1), w = random_vector(out * in, 2), b = random_vector(out, 3);
  const Floats r = random_vector(rows * out, 4);
  auto loss = [&] {
    Floats y(rows * out);
    ops().linear_forward(y.data(), x.data(), w.data(), b.data(), rows, in, out);
    return project(y, r);
  };
  Floats dx(x.size()), dw(w.size()), db(b.size());
  ops().linear_backward(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), rows, in, out);
  expect_gradient(x, loss, dx, "dinp");
  expect_gradient(w, loss, dw, "dweight");
  expect_gradient(b, loss, db, "dbias");
}

TEST(MatmulBackward, accumulates_and_skips_null_gradients) {
  const int64_t rows = 2, in = 3, out = 2;
  Floats x = random_vector(rows * in, 5), w = random_vector(out * in, 6);
  const Floats r = random_vector(rows * out, 7);
  Floats once(w.size()), twice(w.size());
  ops().linear_backward(nullptr, once.data(), nullptr, r.data(), x.data(), w.data(), rows, in, out);
  ops().linear_backward(nullptr, twice.data(), nullptr, r.data(), x.data(), w.data(), rows, in, out);
  ops().linear_backward(nullptr, twice.data(), nullptr, r.data(), x.data(), w.data(), rows, in, out);
  for (size_t i = 0; i < w.size(); ++i) EXPECT_FLOAT_EQ(twice[i], 2 * once[i]);
}

TEST(RmsNormBackward, matches_finite_differences) {
  const int64_t rows = 3, dim = 8;
  const float eps = 1e-5f;
  Floats x = random_vector(rows * dim, 8), w = random_vector(dim, 9, 0.3f);
  for (float& v : w) v += 1.0f;
  const Floats r = random_vector(rows * dim, 10);
  auto loss = [&] {
    Floats y(rows * dim);
    ops().rmsnorm_forward(y.data(), x.data(), w.data(), rows, dim, eps);
    return project(y, r);
  };
  Floats dx(x.size()), dw(w.size());
  ops().rmsnorm_backward(dx.data(), dw.data(), r.data(), x.data(), w.data(), rows, dim, eps);
  expect_gradient(x, loss, dx, "dinp");
  expect_gradient(w, loss, dw, "dweight");
}

TEST(RopeBackward, matches_finite_differences_at_several_positions) {
  const int64_t rows = 3, heads = 2, hd = 8;
  const std::vector<int64_t> positions = {0, 5, 17};
  const auto inv = rope_inv_freq(hd, 10000.0, {});
  Floats x = random_vector(rows * heads * hd, 11);
  const Floats r = random_vector(x.size(), 12);
  auto loss = [&] {
    Floats y = x;
    ops().rope_forward(y.data(), positions.data(), inv.data(), rows, heads, hd);
    return project(y, r);
  };
  Floats dx = r;
  ops().rope_backward(dx.data(), positions.data(), inv.data(), rows, heads, hd);
  expect_gradient(x, loss, dx, "dx");
}

TEST(SwigluBackward, matches_finite_differences) {
  const int64_t n = 12;
  Floats g = random_vector(n, 13, 2.0f), u = random_vector(n, 14);
  const Floats r = random_vector(n, 15);
  auto loss = [&] {
    Floats y(n);
    ops().swiglu_forward(y.data(), g.data(), u.data(), n);
    return project(y, r);
  };
  Floats dg(n), du(n);
  ops().swiglu_backward(dg.data(), du.data(), r.data(), g.data(), u.data(), n);
  expect_gradient(g, loss, dg, "dgate");
  expect_gradient(u, loss, du, "dup");
}

TEST(EmbeddingBackward, sums_repeated_tokens_like_finite_differences) {
  const int64_t vocab = 5, dim = 3;
  const std::vector<int32_t> tokens = {1, 3, 1, 0, 1};
  const int64_t rows = static_cast<int64_t>(tokens.size());
  Floats table = random_vector(vocab * dim, 16);
  const Floats r = random_vector(rows * dim, 17);
  auto loss = [&] {
    Floats y(rows * dim);
    ops().embedding_forward(y.data(), tokens.data(), table.data(), rows, dim);
    return project(y, r);
  };
  Floats dt(table.size());
  ops().embedding_backward(dt.data(), r.data(), tokens.data(), rows, dim);
  expect_gradient(table, loss, dt, "dtable");
  for (int64_t i = 0; i < dim; ++i) EXPECT_EQ(dt[2 * dim + i], 0.0f);  // token 2 never appears
}

// Causal GQA attention with and without earlier cache positions.
void check_attention(int64_t rows, int64_t past, int64_t heads, int64_t kv_heads, int64_t hd) {
  const int64_t ctx = past + rows;
  Floats q = random_vector(rows * heads * hd, 18), k = random_vector(ctx * kv_heads * hd, 19);
  Floats v = random_vector(ctx * kv_heads * hd, 20);
  const Floats r = random_vector(q.size(), 21);
  auto loss = [&] {
    Floats y(q.size());
    reference::attention_forward(y.data(), q.data(), k.data(), v.data(), rows, past, heads, kv_heads, hd);
    return project(y, r);
  };
  Floats dq(q.size()), dk(k.size()), dv(v.size());
  reference::attention_backward(dq.data(), dk.data(), dv.data(), r.data(), q.data(), k.data(), v.data(), rows, past,
                                heads, kv_heads, hd);
  const std::string shape = " past " + std::to_string(past);
  expect_gradient(q, loss, dq, "dq" + shape);
  expect_gradient(k, loss, dk, "dk" + shape);
  expect_gradient(v, loss, dv, "dv" + shape);
}

TEST(AttentionBackward, matches_finite_differences_for_grouped_causal_heads) {
  check_attention(5, 0, 4, 2, 4);
  check_attention(3, 2, 4, 1, 6);
  check_attention(4, 0, 2, 2, 2);
}

TEST(AttentionBackward, is_identical_for_every_thread_count) {
  const int64_t rows = 9, heads = 4, kv_heads = 2, hd = 8;
  Floats q = random_vector(rows * heads * hd, 22), k = random_vector(rows * kv_heads * hd, 23);
  Floats v = random_vector(k.size(), 24), r = random_vector(q.size(), 25);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Floats d(q.size() + 2 * k.size());
    reference::attention_backward(d.data(), d.data() + q.size(), d.data() + q.size() + k.size(), r.data(), q.data(),
                                  k.data(), v.data(), rows, 0, heads, kv_heads, hd);
    return d;
  };
  const Floats one = run(1), three = run(3);
  set_num_threads(2);
  EXPECT_EQ(one, three);
}

TEST(CrossEntropy, uniform_logits_give_log_vocab_and_large_logits_stay_finite) {
  const int64_t vocab = 7;
  Floats logits(2 * vocab, 3.0f);
  for (int64_t i = 0; i < vocab; ++i) logits[vocab + i] = 1000.0f + static_cast<float>(i);
  const std::vector<int32_t> targets = {4, 6};
  Floats losses(2);
  ops().cross_entropy_forward(losses.data(), logits.data(), targets.data(), 2, vocab);
  EXPECT_NEAR(losses[0], std::log(7.0), 1e-6);
  double sum = 0.0;
  for (int i = 0; i < vocab; ++i) sum += std::exp(i - 6.0);
  EXPECT_NEAR(losses[1], std::log(sum), 1e-5);
}

TEST(CrossEntropyBackward, matches_finite_differences_with_weights_and_ignored_rows) {
  const int64_t rows = 5, vocab = 7;
  Floats logits = random_vector(rows * vocab, 26, 2.0f);
  const std::vector<int32_t> targets = {2, -100, 0, 6, 3};
  const Floats dlosses = {0.5f, 1.0f, -1.5f, 0.0f, 2.0f};
  auto loss = [&] {
    Floats l(rows);
    ops().cross_entropy_forward(l.data(), logits.data(), targets.data(), rows, vocab);
    EXPECT_EQ(l[1], 0.0f);
    return project(l, dlosses);
  };
  Floats dlogits(logits.size());
  ops().cross_entropy_backward(dlogits.data(), dlosses.data(), logits.data(), targets.data(), rows, vocab);
  expect_gradient(logits, loss, dlogits, "dlogits");
}

}  // namespace
}  // namespace aha::backend::cpu
