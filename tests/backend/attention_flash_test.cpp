// The training attention (attention_flash.hpp) against the plain causal attention of
// attention.hpp, which backward_test.cpp checks against finite differences; and simd::exp
// against std::exp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "aha/backend/cpu/reference/attention_reference.hpp"
#include "aha/backend/cpu/simd_math.hpp"
#include "aha/backend/ops.hpp"
#include "aha/base/threads.hpp"
#include "support/random.hpp"

namespace aha::backend::cpu {
namespace {

using Floats = std::vector<float>;

using test::random_vector;

// max |a - b| / max(1, max |b|).
double relative_error(const Floats& a, const Floats& b) {
  double diff = 0, scale = 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return diff / scale;
}

struct Case {
  int64_t batch, seq, heads, kv_heads, head_dim;
};

// The plain kernels, one sequence at a time, on the flash kernels' layout.
void reference(const Case& c, const Floats& q, const Floats& k, const Floats& v, const Floats& r, Floats& out,
               Floats& dq, Floats& dk, Floats& dv) {
  const int64_t qs = c.seq * c.heads * c.head_dim, ks = c.seq * c.kv_heads * c.head_dim;
  for (int64_t b = 0; b < c.batch; ++b) {
    reference::attention_forward(out.data() + b * qs, q.data() + b * qs, k.data() + b * ks, v.data() + b * ks, c.seq, 0,
                                 c.heads, c.kv_heads, c.head_dim);
    reference::attention_backward(dq.data() + b * qs, dk.data() + b * ks, dv.data() + b * ks, r.data() + b * qs,
                                  q.data() + b * qs, k.data() + b * ks, v.data() + b * ks, c.seq, 0, c.heads,
                                  c.kv_heads, c.head_dim);
  }
}

void check_against_reference(const Case& c) {
  const auto rows = static_cast<size_t>(c.batch * c.seq);
  const Floats q = random_vector(rows * c.heads * c.head_dim, 1, 2.0f);
  const Floats k = random_vector(rows * c.kv_heads * c.head_dim, 2, 2.0f);
  const Floats v = random_vector(k.size(), 3), r = random_vector(q.size(), 4);
  Floats out(q.size()), dq(q.size()), dk(k.size()), dv(k.size());
  reference(c, q, k, v, r, out, dq, dk, dv);

  Floats fout(q.size()), lse(rows * c.heads), fdq(q.size(), 0.5f), fdk(k.size(), 0.5f), fdv(k.size(), 0.5f);
  ops().attention_forward(fout.data(), lse.data(), q.data(), k.data(), v.data(), c.batch, c.seq, c.heads, c.kv_heads,
                          c.head_dim);
  ops().attention_backward(fdq.data(), fdk.data(), fdv.data(), r.data(), fout.data(), lse.data(), q.data(), k.data(),
                           v.data(), c.batch, c.seq, c.heads, c.kv_heads, c.head_dim);
  // The backward adds to what is there (0.5).
  for (Floats* g : {&fdq, &fdk, &fdv})
    for (float& x : *g) x -= 0.5f;
  const std::string what = "seq " + std::to_string(c.seq) + " head_dim " + std::to_string(c.head_dim);
  EXPECT_LT(relative_error(fout, out), 2e-6) << what;
  EXPECT_LT(relative_error(fdq, dq), 2e-5) << what;
  EXPECT_LT(relative_error(fdk, dk), 2e-5) << what;
  EXPECT_LT(relative_error(fdv, dv), 2e-5) << what;

  // lse of the last row of the first sequence, head 0, in double.
  const int64_t i = c.seq - 1;
  double m = -INFINITY;
  std::vector<double> s(static_cast<size_t>(c.seq));
  for (int64_t t = 0; t <= i; ++t) {
    double dot = 0;
    for (int64_t d = 0; d < c.head_dim; ++d)
      dot += static_cast<double>(q[(i * c.heads) * c.head_dim + d]) * k[(t * c.kv_heads) * c.head_dim + d];
    s[t] = dot / std::sqrt(static_cast<double>(c.head_dim));
    m = std::max(m, s[t]);
  }
  double sum = 0;
  for (int64_t t = 0; t <= i; ++t) sum += std::exp(s[t] - m);
  EXPECT_NEAR(lse[i * c.heads], m + std::log(sum), 1e-5 * std::max(1.0, std::fabs(m)));
}

TEST(AttentionFlash, matches_plain_attention_forward_and_backward) {
  check_against_reference({2, 37, 8, 4, 32});  // GQA, a partial key block
  check_against_reference({1, 64, 4, 4, 64});  // whole blocks, head_dim of the 58M bench model
  check_against_reference({3, 5, 4, 1, 6});    // head_dim below one vector
  check_against_reference({1, 21, 2, 2, 20});  // head_dim with a scalar tail
}

TEST(AttentionFlash, is_identical_for_every_thread_count) {
  const Case c{3, 33, 4, 2, 16};
  const auto rows = static_cast<size_t>(c.batch * c.seq);
  const Floats q = random_vector(rows * c.heads * c.head_dim, 5);
  const Floats k = random_vector(rows * c.kv_heads * c.head_dim, 6);
  const Floats v = random_vector(k.size(), 7), r = random_vector(q.size(), 8);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Floats out(q.size()), lse(rows * c.heads), d(q.size() + 2 * k.size());
    ops().attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), c.batch, c.seq, c.heads, c.kv_heads,
                            c.head_dim);
    ops().attention_backward(d.data(), d.data() + q.size(), d.data() + q.size() + k.size(), r.data(), out.data(),
                             lse.data(), q.data(), k.data(), v.data(), c.batch, c.seq, c.heads, c.kv_heads, c.head_dim);
    d.insert(d.end(), out.begin(), out.end());
    return d;
  };
  const Floats one = run(1), three = run(3);
  set_num_threads(2);
  EXPECT_EQ(one, three);
}

TEST(SimdExp, is_within_a_few_ulps_of_std_exp_keeps_nan_and_lanes_match_the_scalar_version) {
  std::vector<float> xs = {NAN,  -INFINITY, -200.0f, -104.0f, -87.0f, -1.0f, -1e-8f,
                           0.0f, 1e-8f,     0.5f,    1.0f,    10.0f,  80.0f, 88.0f};
  for (float x = -30.0f; x < 30.0f; x += 0.0137f) xs.push_back(x);
  for (float x = -104.0f; x < -86.0f; x += 0.0371f) xs.push_back(x);              // subnormal results
  for (float x : {88.5f, 88.72f, 88.7228391f, 89.0f, INFINITY}) xs.push_back(x);  // near FLT_MAX, the clamp
  while (xs.size() % simd::kLanes) xs.push_back(0.25f);
  for (size_t i = 0; i < xs.size(); i += simd::kLanes) {
    float got[simd::kLanes];
    simd::store(got, simd::exp(simd::load(xs.data() + i)));
    for (int l = 0; l < simd::kLanes; ++l) {
      const float x = xs[i + l];
      const double want = std::exp(static_cast<double>(x));
      if (std::isnan(x)) {
        EXPECT_TRUE(std::isnan(got[l]) && std::isnan(simd::exp_scalar(x)));
        continue;
      }
      EXPECT_EQ(got[l], simd::exp_scalar(x)) << x;
      // Relative within 3e-7, and subnormal results within about one unit of the smallest; above
      // 88.7, the clamp.
      if (x < 88.7f) {
        EXPECT_NEAR(got[l], want, 3e-7 * want + 1.5e-45) << x;
      }
    }
  }
}

}  // namespace
}  // namespace aha::backend::cpu
