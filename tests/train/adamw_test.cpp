// AdamW and gradient clipping against torch.optim.AdamW and clip_grad_norm_ (float64 replay).
#include "aha/train/adamw.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <span>
#include <utility>

#include "aha/base/threads.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/decoder.hpp"
#include "aha/model/gradients.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha::train {
namespace {

TEST(AdamW, ten_steps_with_clipping_and_a_schedule_match_torch) {
  test::TempDir dir;
  Json config = test::tiny_llama_config();
  config["attention_bias"] = true;  // biases: tensors without weight decay
  const std::string model_dir = dir.file("model");
  std::filesystem::create_directories(model_dir);
  test::write_tiny_model(model_dir, config, 21);
  model::Weights weights = model::Model(model_dir).weights();
  model::Gradients grads = model::zero_gradients_like(weights);
  const auto params = model::parameters(weights), grad_params = model::parameters(grads);

  std::vector<int64_t> sizes;
  std::vector<ParamSlot> slots;
  std::vector<std::span<float>> grad_spans;
  for (size_t i = 0; i < params.size(); ++i) {
    sizes.push_back(static_cast<int64_t>(params[i].values->size()));
    slots.push_back({*params[i].values, *grad_params[i].values, params[i].shape.size() >= 2});
    grad_spans.emplace_back(*grad_params[i].values);
  }
  AdamW adamw(sizes);
  AdamWOptions options{0.0, 0.9, 0.95, 1e-8, 0.1};
  const double max_norm = 1.0;
  std::mt19937 rng(5);
  std::map<std::string, tensor::Tensor> step_grads;
  Json learning_rates = Json::array(), norms = Json::array();
  for (int step = 0; step < 10; ++step) {
    // Every third step's gradients are large enough to be clipped.
    std::normal_distribution<float> normal(0.0f, step % 3 == 0 ? 1.0f : 0.002f);
    for (const model::Parameter& g : grad_params) {
      for (float& x : *g.values) x = normal(rng);
      step_grads["step" + std::to_string(step) + "." + g.name] = tensor::Tensor::from_f32(g.shape, *g.values);
    }
    options.learning_rate = 1e-2 * (1.0 - step / 20.0);
    learning_rates.push_back(options.learning_rate);
    norms.push_back(clip_grad_norm(grad_spans, max_norm));
    adamw.step(slots, options);
  }
  EXPECT_EQ(adamw.steps(), 10);
  EXPECT_GT(norms[0].get<double>(), max_norm);
  EXPECT_LT(norms[1].get<double>(), max_norm);

  io::write_safetensors(dir.file("grads.safetensors"), step_grads);
  io::write_safetensors(dir.file("final.safetensors"), model::to_tensors(weights));
  const Json run = {{"model", model_dir},
                    {"grads", dir.file("grads.safetensors")},
                    {"final", dir.file("final.safetensors")},
                    {"learning_rates", learning_rates},
                    {"betas", {options.adam_beta1, options.adam_beta2}},
                    {"eps", options.adam_epsilon},
                    {"weight_decay", options.weight_decay},
                    {"max_grad_norm", max_norm},
                    {"norms", norms}};
  test::write_text(dir.file("run.json"), run.dump());
  const std::string command = "/usr/bin/python3 " AHA_SOURCE_DIR "/tests/oracle/adamw_reference.py --manifest " +
                              dir.file("run.json") + " --out " + dir.file("report.json");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const Json report = read_json_file(dir.file("report.json"));
  for (const Json& e : report["norm_rel_err"]) EXPECT_LT(e.get<double>(), 1e-6);
  double worst = 0.0;
  for (const auto& [name, error] : report["tensors"].items()) {
    EXPECT_LT(error.get<double>(), 1e-5) << name;
    worst = std::max(worst, error.get<double>());
  }
  EXPECT_EQ(report["tensors"].size(), params.size());
  testing::Test::RecordProperty("worst_weight_rel_err", fmt::format("{:.1e}", worst));
}

TEST(ClipGradNorm, leaves_small_gradients_alone_and_scales_large_ones_to_the_limit) {
  std::vector<float> a = {3.0f, 0.0f}, b = {4.0f};
  std::vector<std::span<float>> grads = {a, b};
  EXPECT_DOUBLE_EQ(clip_grad_norm(grads, 10.0), 5.0);
  EXPECT_EQ(a[0], 3.0f);
  EXPECT_DOUBLE_EQ(clip_grad_norm(grads, 1.0), 5.0);
  EXPECT_NEAR(a[0], 0.6, 1e-6);
  EXPECT_NEAR(b[0], 0.8, 1e-6);
}

TEST(AdamW, first_step_moves_each_weight_by_the_learning_rate_against_its_gradient) {
  // At step 1 the bias-corrected m / sqrt(v) is g / |g|: a move of exactly lr (plus decay).
  std::vector<float> w = {1.0f, -2.0f, 0.5f}, g = {0.3f, -5.0f, 0.0f};
  AdamW adamw({3});
  const std::vector<ParamSlot> slots = {{w, g, true}};
  adamw.step(slots, {0.01, 0.9, 0.999, 1e-8, 0.5});
  EXPECT_NEAR(w[0], 1.0 * (1 - 0.005) - 0.01, 1e-6);
  EXPECT_NEAR(w[1], -2.0 * (1 - 0.005) + 0.01, 1e-6);
  EXPECT_NEAR(w[2], 0.5 * (1 - 0.005), 1e-7);
}

}  // namespace
}  // namespace aha::train

namespace aha::train {
namespace {

// The vectorised update against its scalar tail: element 16 (the tail of 17) repeats element 2.
TEST(AdamW, vector_lanes_and_the_scalar_tail_give_identical_updates) {
  std::vector<float> w(17), g(17);
  for (int i = 0; i < 17; ++i) w[i] = 0.1f * static_cast<float>(i) - 0.7f, g[i] = 0.03f * (8 - i);
  w[16] = w[2], g[16] = g[2];
  AdamW opt({17});
  const ParamSlot slot{w, g, true};
  for (int s = 0; s < 3; ++s) opt.step({&slot, 1}, {.learning_rate = 1e-2, .weight_decay = 0.1});
  EXPECT_EQ(w[16], w[2]);
  EXPECT_EQ(opt.exp_avg_sq(0)[16], opt.exp_avg_sq(0)[2]);
}

TEST(ClipGradNorm, is_identical_for_every_thread_count_and_matches_a_double_sum) {
  std::vector<float> a(200000), b(70001);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(0.001f * static_cast<float>(i));
  for (size_t i = 0; i < b.size(); ++i) b[i] = 0.5f * std::cos(0.01f * static_cast<float>(i));
  double want = 0;
  for (float x : a) want += double(x) * x;
  for (float x : b) want += double(x) * x;
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<float> ca = a, cb = b;
    const std::span<float> spans[] = {ca, cb};
    const double norm = clip_grad_norm(spans, 1.0);
    ca.insert(ca.end(), cb.begin(), cb.end());
    ca.push_back(static_cast<float>(norm));
    return std::make_pair(norm, ca);
  };
  const auto one = run(1), three = run(3);
  set_num_threads(2);
  EXPECT_EQ(one.second, three.second);
  EXPECT_NEAR(one.first, std::sqrt(want), 1e-9 * std::sqrt(want));
  EXPECT_NEAR(one.second[1000] / a[1000], 1.0 / (std::sqrt(want) + 1e-6), 1e-6);
}

}  // namespace
}  // namespace aha::train
