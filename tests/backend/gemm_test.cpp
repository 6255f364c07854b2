// The packed GEMM behind linear (matmul_forward/backward), through the op table at the ISA level in
// use: values against double-precision loops, and the summation-order guarantees (a row alone
// equals the row in any batch, any thread count).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "aha/backend/cpu/reference/matmul_reference.hpp"
#include "aha/backend/ops.hpp"
#include "aha/base/threads.hpp"
#include "support/random.hpp"

namespace aha::backend::cpu {
namespace {

using test::random_vector;

// Shapes that cross the microkernel's 12 rows, the 144-row blocks, the 256-deep k blocks and
// the 32-column panels, with ragged edges everywhere.
const std::vector<std::tuple<int64_t, int64_t, int64_t>> kShapes = {
    {1, 1, 1}, {1, 300, 33}, {13, 257, 65}, {145, 70, 31}, {150, 513, 97}, {2, 600, 130}, {5, 3, 200}};

TEST(Gemm, forward_agrees_with_the_double_precision_loop) {
  for (auto [rows, in, out] : kShapes) {
    auto a = random_vector(rows * in, 1), w = random_vector(out * in, 2), b = random_vector(out, 3);
    std::vector<float> fast(rows * out), ref(rows * out);
    ops().linear_forward(fast.data(), a.data(), w.data(), b.data(), rows, in, out);
    reference::matmul_forward(ref.data(), a.data(), w.data(), b.data(), rows, in, out);
    for (size_t i = 0; i < fast.size(); ++i)
      ASSERT_NEAR(fast[i], ref[i], 2e-6 * in + 1e-6) << rows << "x" << in << "x" << out << " at " << i;
  }
}

TEST(Gemm, a_row_alone_is_bit_identical_to_the_same_row_in_any_batch) {
  const int64_t rows = 300, in = 600, out = 130;
  auto a = random_vector(rows * in, 4), w = random_vector(out * in, 5), b = random_vector(out, 6);
  std::vector<float> batch(rows * out), one(out);
  ops().linear_forward(batch.data(), a.data(), w.data(), b.data(), rows, in, out);
  PreparedLinear packed;
  ops().linear_prepare(packed, w.data(), b.data(), in, out);
  for (int64_t r : {0, 11, 12, 143, 144, 150, 299}) {
    ops().linear_forward(one.data(), a.data() + r * in, w.data(), b.data(), 1, in, out);
    for (int64_t j = 0; j < out; ++j) ASSERT_EQ(one[j], batch[r * out + j]) << "row " << r << " col " << j;
    ops().linear_forward_prepared(one.data(), a.data() + r * in, packed, 1);
    for (int64_t j = 0; j < out; ++j) ASSERT_EQ(one[j], batch[r * out + j]) << "packed row " << r;
  }
  // Every prefix of the batch (each takes a different mix of tiles and paths) agrees too.
  for (int64_t m : {2, 5, 12, 13, 40}) {
    std::vector<float> part(m * out);
    ops().linear_forward_prepared(part.data(), a.data(), packed, m);
    for (int64_t i = 0; i < m * out; ++i) ASSERT_EQ(part[i], batch[i]) << m << " rows, at " << i;
  }
}

TEST(Gemm, forward_and_backward_are_identical_for_every_thread_count) {
  const int64_t rows = 160, in = 300, out = 70;
  auto a = random_vector(rows * in, 7), w = random_vector(out * in, 8), d = random_vector(rows * out, 9);
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<float> y(rows * out), dx(rows * in, 0.5f), dw(out * in, 0.25f), db(out);
    ops().linear_forward(y.data(), a.data(), w.data(), nullptr, rows, in, out);
    ops().linear_backward(dx.data(), dw.data(), db.data(), d.data(), a.data(), w.data(), rows, in, out);
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), dw.begin(), dw.end());
    y.insert(y.end(), db.begin(), db.end());
    return y;
  };
  const auto one = run(1), three = run(3), two = run(2);
  EXPECT_EQ(one, three);
  EXPECT_EQ(one, two);
}

TEST(Gemm, backward_accumulates_the_double_precision_products) {
  for (auto [rows, in, out] : kShapes) {
    auto x = random_vector(rows * in, 10), w = random_vector(out * in, 11), d = random_vector(rows * out, 12);
    std::vector<float> dx(rows * in, 1.0f), dw(out * in, -1.0f), db(out, 2.0f);
    ops().linear_backward(dx.data(), dw.data(), db.data(), d.data(), x.data(), w.data(), rows, in, out);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < in; ++k) {
        double s = 1.0;
        for (int64_t j = 0; j < out; ++j) s += double(d[r * out + j]) * w[j * in + k];
        ASSERT_NEAR(dx[r * in + k], s, 2e-6 * out + 1e-6) << "dx " << rows << "x" << in << "x" << out;
      }
    for (int64_t j = 0; j < out; ++j) {
      double bias = 2.0;
      for (int64_t r = 0; r < rows; ++r) bias += d[r * out + j];
      ASSERT_NEAR(db[j], bias, 2e-6 * rows + 1e-6);
      for (int64_t k = 0; k < in; ++k) {
        double s = -1.0;
        for (int64_t r = 0; r < rows; ++r) s += double(d[r * out + j]) * x[r * in + k];
        ASSERT_NEAR(dw[j * in + k], s, 2e-6 * rows + 1e-6) << "dw " << rows << "x" << in << "x" << out;
      }
    }
  }
}

TEST(Gemm, hand_computed_product_with_bias) {
  // a = [[1, 2], [3, 4]], W = [[1, 0], [1, 1], [0, 2]] (out 3, in 2), bias = (10, 20, 30).
  const std::vector<float> a = {1, 2, 3, 4}, w = {1, 0, 1, 1, 0, 2}, b = {10, 20, 30};
  std::vector<float> y(6);
  ops().linear_forward(y.data(), a.data(), w.data(), b.data(), 2, 2, 3);
  EXPECT_EQ(y, (std::vector<float>{11, 23, 34, 13, 27, 38}));
}

}  // namespace
}  // namespace aha::backend::cpu
