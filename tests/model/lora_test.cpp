// LoRA: adapter gradients against PyTorch autograd (float64), the dropout backward against finite
// differences, merging, and the adapter directory's PEFT names.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "aha/base/error.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/adapter.hpp"
#include "aha/model/decoder.hpp"
#include "aha/model/parameter_table.hpp"
#include "aha/model/training.hpp"
#include "support/gradient_oracle.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_lora.hpp"
#include "support/tiny_model.hpp"

namespace aha::model {
namespace {

// Random tokens predicting random targets with mixed-sign weights and ignored positions.
struct LoraBatch {
  int64_t batch = 2, seq = 6;
  std::vector<int32_t> tokens, targets;
  std::vector<float> weights;
  double normaliser = 7.0;
  explicit LoraBatch(unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> id(0, 63);
    std::uniform_real_distribution<float> w(-0.5f, 2.0f);
    for (int64_t i = 0; i < batch * seq; ++i) {
      tokens.push_back(id(rng));
      targets.push_back(i % seq == seq - 1 ? -100 : id(rng));
      weights.push_back(i % 4 == 1 ? 0.0f : w(rng));
    }
  }
  TrainBatch view() const { return {tokens, targets, weights, normaliser}; }
};

using test::random_lora;

// A tiny model stored in BF16 as `dir`/`name`, loaded both as fp32 weights and held in its bf16 bits.
struct Bf16Base {
  Weights fp32, held;
};
Bf16Base stored_bf16_base(const test::TempDir& dir, const std::string& name, const Json& config, unsigned seed) {
  const std::string model_dir = dir.file(name);
  std::filesystem::create_directories(model_dir);
  test::write_tiny_model(model_dir, config, seed, tensor::DType::BF16);
  return {load_weights(io::ModelDir(model_dir)), load_weights(io::ModelDir(model_dir), true)};
}

struct LoraResult {
  double loss = 0.0;
  Lora grads;
  Gradients base;
};

LoraResult run(const Model& m, const Lora& lora, const LoraBatch& b, bool checkpointing, uint64_t seed = 11) {
  Activations acts(m.config(), b.batch, b.seq, checkpointing);
  LoraResult r{0.0, lora, Gradients{}};
  zero_lora_values(r.grads);
  r.base.layers.resize(m.weights().layers.size());  // every base tensor frozen (empty)
  r.loss = loss_and_gradients(m.config(), m.weights(), b.view(), acts, r.base, {&lora, &r.grads, seed});
  return r;
}

TEST(Lora, adapter_gradients_match_pytorch_autograd_with_and_without_checkpointing) {
  test::TempDir dir;
  const LoraBatch b(3);
  Json cases = Json::array();
  const std::vector<std::vector<std::string>> targets = {
      {"q_proj", "v_proj"}, {"all-linear"}, {"k_proj", "o_proj", "gate_proj", "down_proj"}};
  const auto variants = test::tiny_model_variants();
  for (size_t v = 0; v < variants.size(); ++v) {
    const auto& [name, config] = variants[v];
    const std::string model_dir = dir.file(name);
    std::filesystem::create_directories(model_dir);
    test::write_tiny_model(model_dir, config, 17);
    Model m(model_dir);
    const Lora lora = random_lora(m.config(), targets[v % targets.size()], 23 + v);
    const std::string adapter = dir.file(name + "-adapter");
    write_adapter(adapter, lora, model_dir);
    for (bool checkpointing : {false, true}) {
      const LoraResult r = run(m, lora, b, checkpointing);
      const std::string case_name = name + (checkpointing ? "+checkpointing" : "");
      const std::string grads = dir.file(case_name + ".safetensors");
      io::write_safetensors(grads, lora_tensors(r.grads));
      cases.push_back(
          test::oracle_case({{"name", case_name}, {"adapter", adapter}, {"grads", grads}, {"loss", r.loss}}, b));
    }
  }
  const test::OracleReport r = test::check_gradient_oracle("lora_reference.py", dir, cases);
  for (const Json& c : r.report["cases"]) {
    const std::string name = c["name"];
    EXPECT_TRUE(c["config_keys_missing"].empty()) << name << ": " << c["config_keys_missing"].dump();
    EXPECT_TRUE(c["config_keys_unknown"].empty()) << name << ": " << c["config_keys_unknown"].dump();
    EXPECT_TRUE(c["bad_tensor_names"].empty()) << name << ": " << c["bad_tensor_names"].dump();
  }
  EXPECT_GT(r.tensors, 60u);
}

TEST(Lora, dropout_backward_matches_finite_differences_and_is_reproducible) {
  LoraLinear l{5, 4, 2, {}, {}, {}};
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int i = 0; i < 10; ++i) l.a.push_back(u(rng));
  for (int i = 0; i < 8; ++i) l.b.push_back(u(rng));
  const int64_t rows = 3;
  std::vector<float> x(rows * 5), dout(rows * 4);
  for (float& v : x) v = u(rng);
  for (float& v : dout) v = u(rng);
  const LoraDropout drop{0.4, 99};
  const float scale = 1.5f;
  // f = Σ dout · lora_forward(x); linear in each of x, A, B, so central differences are exact
  // up to rounding.
  auto f = [&](const std::vector<float>& xx, const LoraLinear& ll) {
    std::vector<float> y(rows * 4, 0.0f);
    lora_forward(y.data(), xx.data(), ll, scale, rows, drop);
    double s = 0.0;
    for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * dout[i];
    return s;
  };
  std::vector<float> dx(x.size(), 0.0f);
  LoraLinear g{5, 4, 2, std::vector<float>(10, 0.0f), std::vector<float>(8, 0.0f), {}};
  lora_backward(dx.data(), g, dout.data(), x.data(), l, scale, rows, drop);
  const float h = 0.01f;
  int zeroed = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    auto xp = x, xm = x;
    xp[i] += h, xm[i] -= h;
    const double fd = (f(xp, l) - f(xm, l)) / (2 * h);
    EXPECT_NEAR(dx[i], fd, 1e-3) << "x " << i;
    zeroed += dx[i] == 0.0f;
  }
  EXPECT_GT(zeroed, 0);  // some inputs were dropped: their gradient is exactly zero
  EXPECT_LT(zeroed, static_cast<int>(x.size()));
  for (size_t i = 0; i < l.a.size(); ++i) {
    auto p = l, m = l;
    p.a[i] += h, m.a[i] -= h;
    EXPECT_NEAR(g.a[i], (f(x, p) - f(x, m)) / (2 * h), 1e-3) << "A " << i;
  }
  for (size_t i = 0; i < l.b.size(); ++i) {
    auto p = l, m = l;
    p.b[i] += h, m.b[i] -= h;
    EXPECT_NEAR(g.b[i], (f(x, p) - f(x, m)) / (2 * h), 1e-3) << "B " << i;
  }
}

TEST(Lora, dropout_is_bit_identical_with_checkpointing_and_differs_by_seed) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_model_variants()[0].second, 5);
  Model m(dir.path().string());
  const Lora lora = random_lora(m.config(), {"all-linear"}, 3, 0.3);
  const LoraBatch b(4);
  const LoraResult plain = run(m, lora, b, false, 7), ckpt = run(m, lora, b, true, 7);
  const LoraResult other = run(m, lora, b, false, 8);
  EXPECT_EQ(plain.loss, ckpt.loss);
  const auto tp = lora_tensors(plain.grads), tc = lora_tensors(ckpt.grads), to = lora_tensors(other.grads);
  for (const auto& [name, t] : tp) EXPECT_EQ(t.to_f32(), tc.at(name).to_f32()) << name;
  EXPECT_NE(tp.begin()->second.to_f32(), to.begin()->second.to_f32());
  EXPECT_NE(plain.loss, other.loss);
}

// LoRA in mixed precision on a BF16 checkpoint holds the frozen base in its bf16 bits (never
// expanded to fp32): the loss, the log-probs and every adapter gradient are the bits of the
// same pass over the fp32 copy of the base, which rounds each weight to those same bits, for
// every architecture (tied heads, biases, q/k norms), with dropout and with checkpointing. The
// GRPO policy built from the held base with the adapter merged gives the same logits too.
TEST(Lora, a_bf16_base_held_in_bf16_gives_the_bits_of_its_fp32_copy_in_mixed_precision) {
  test::TempDir dir;
  const LoraBatch b(6);
  for (const auto& [name, config] : test::tiny_model_variants()) {
    const auto [fp32, held] = stored_bf16_base(dir, name, config, 19);
    ASSERT_TRUE(holds_bf16(held)) << name;
    EXPECT_TRUE(held.embed_tokens.empty() && held.layers[0].down_proj.weight.empty()) << name;
    EXPECT_EQ(held.layers[0].input_norm, fp32.layers[0].input_norm) << name;  // norms stay fp32
    const Lora lora = random_lora(fp32.config, {"all-linear"}, 29, 0.2);
    for (bool checkpointing : {false, true}) {
      const std::string what = name + (checkpointing ? " +checkpointing" : "");
      auto pass = [&](const Weights& w, std::vector<float>& logprobs) {
        Activations acts(w.config, b.batch, b.seq, checkpointing);
        acts.bf16 = true;
        LoraResult r{0.0, lora, Gradients{}};
        zero_lora_values(r.grads);
        r.base.layers.resize(w.layers.size());
        r.loss = loss_and_gradients(w.config, w, b.view(), acts, r.base, {&lora, &r.grads, 3});
        std::vector<float> entropies(logprobs.size()), dlogprobs(logprobs.size(), 0.25f);
        forward_logprobs(w.config, w, b.view(), 0.7, acts, logprobs, entropies, {&lora, &r.grads, 4});
        backward_logprobs(w.config, w, b.view(), 0.7, dlogprobs, acts, r.base, {&lora, &r.grads, 4});
        return r;
      };
      std::vector<float> logprobs_fp32(b.tokens.size()), logprobs_held(b.tokens.size());
      const LoraResult want = pass(fp32, logprobs_fp32), got = pass(held, logprobs_held);
      EXPECT_EQ(got.loss, want.loss) << what;
      EXPECT_EQ(logprobs_held, logprobs_fp32) << what;
      const auto tw = lora_tensors(want.grads), tg = lora_tensors(got.grads);
      for (const auto& [tensor_name, t] : tw)
        ASSERT_EQ(tg.at(tensor_name).to_f32(), t.to_f32()) << what << " " << tensor_name;
    }
    Model policy(fp32.config, fp32, ComputeDType::bfloat16);
    policy.set_weights(fp32, &lora);
    const std::vector<float> want = policy.logits(b.tokens);
    policy.set_weights(held, &lora);
    EXPECT_EQ(policy.logits(b.tokens), want) << name;
    // Only a mixed-precision pass and a bf16 model read a held base.
    Activations acts(held.config, b.batch, b.seq, false);
    EXPECT_THROW(compute_loss(held.config, held, b.view(), acts, &lora), Error) << name;
    EXPECT_THROW(Model(held.config, held, ComputeDType::float32), Error) << name;
  }
}

// GRPO with LoRA refreshes its policy (built from the base) with set_adapters: only the
// adapted products are prepared again, and the model gives the bits of a full set_weights with the
// new adapters, in every compute dtype, from an fp32 base and from one held in bf16 bits.
TEST(Lora, set_adapters_gives_the_bits_of_set_weights_in_every_dtype) {
  test::TempDir dir;
  const std::vector<int32_t> ids = {1, 5, 9, 2, 7, 3, 8};
  for (const auto& [name, config] : test::tiny_model_variants()) {
    const auto [fp32, held] = stored_bf16_base(dir, name, config, 23);
    const Lora first = random_lora(fp32.config, {"q_proj", "v_proj", "down_proj"}, 31);
    const Lora second = random_lora(fp32.config, {"q_proj", "v_proj", "down_proj"}, 37);
    for (ComputeDType dtype : {ComputeDType::float32, ComputeDType::bfloat16, ComputeDType::q8_0})
      for (const Weights* base : {&fp32, &held}) {
        if (base == &held && dtype == ComputeDType::float32) continue;  // a float32 model needs fp32 matrices
        const std::string what = name + " " + std::string(dtype_name(dtype)) + (base == &held ? " held" : "");
        Model policy(fp32.config, *base, dtype), fresh(fp32.config, *base, dtype), built(fp32.config, *base, dtype);
        policy.set_weights(*base, &first);
        const std::vector<float> with_first = policy.logits(ids);
        policy.set_adapters(*base, second);
        fresh.set_weights(*base, &second);
        EXPECT_EQ(policy.logits(ids), fresh.logits(ids)) << what;
        EXPECT_NE(policy.logits(ids), with_first) << what;
        built.set_adapters(*base, second);  // straight after being built from the base, as GRPO does
        EXPECT_EQ(built.logits(ids), fresh.logits(ids)) << what;
        if (dtype == ComputeDType::float32) continue;
        // The packed layout holds the matrices: no copy of the base's values or bits is kept.
        for (const Model* m : {&policy, &fresh, &built})
          for (const ParameterSpec& p : parameter_table(m->config()))
            if (p.shape.size() == 2) {
              const TensorSlot slot = p.read_slot(m->weights());
              EXPECT_TRUE(slot.values->empty() && slot.bf16->empty()) << what << " " << p.name;
            }
      }
  }
}

TEST(Lora, an_adapter_directory_loads_as_its_base_plus_the_merged_adapter) {
  test::TempDir dir;
  const std::string base = dir.file("base"), adapter = dir.file("adapter");
  std::filesystem::create_directories(base);
  test::write_tiny_model(base, test::tiny_model_variants()[3].second, 9);
  const Model base_model(base);
  const Lora lora = random_lora(base_model.config(), {"all-linear"}, 4);
  write_adapter(adapter, lora, "../base");  // relative to the adapter directory
  const Model adapted(adapter);
  const LoraBatch b(5);
  // The adapter applied on the fly (compute_loss) and merged into the weights at load agree.
  Activations acts(base_model.config(), b.batch, b.seq, false);
  const double on_the_fly = compute_loss(base_model.config(), base_model.weights(), b.view(), acts, &lora);
  const double merged = compute_loss(adapted.config(), adapted.weights(), b.view(), acts);
  const double base_loss = compute_loss(base_model.config(), base_model.weights(), b.view(), acts);
  EXPECT_NEAR(merged, on_the_fly, 1e-5 * std::fabs(on_the_fly));
  EXPECT_GT(std::fabs(base_loss - on_the_fly), 1e-3);
  // Merging by hand: q_proj of layer 0 is W + (alpha/r) B·A.
  const LoraLinear& q = lora.layers[0][q_proj];
  const float w = base_model.weights().layers[0].q_proj.weight[1 * q.in + 2];
  double ba = 0.0;
  for (int64_t k = 0; k < q.r; ++k) ba += static_cast<double>(q.b[1 * q.r + k]) * q.a[k * q.in + 2];
  EXPECT_NEAR(adapted.weights().layers[0].q_proj.weight[1 * q.in + 2], w + 5.0 / 3.0 * ba, 1e-6);
  // Files the adapter directory lacks (here all but its own two) come from the base.
  EXPECT_EQ(std::filesystem::path(io::model_file_dir(adapter, "config.json")).lexically_normal(),
            std::filesystem::path(base).lexically_normal());
  test::write_text(adapter + "/tokenizer.json", "{}");
  EXPECT_EQ(io::model_file_dir(adapter, "tokenizer.json"), adapter);
}

TEST(Lora, bad_adapter_directories_are_clear_errors) {
  test::TempDir dir;
  const std::string base = dir.file("base"), adapter = dir.file("adapter");
  std::filesystem::create_directories(base);
  test::write_tiny_model(base, test::tiny_llama_config(), 9);
  const Model base_model(base);
  write_adapter(adapter, random_lora(base_model.config(), {"q_proj"}, 4), dir.file("nowhere"));
  auto message = [&] {
    try {
      Model m(adapter);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message().find("base_model_name_or_path"), std::string::npos) << message();
  const std::string config = adapter + "/adapter_config.json";
  Json j = read_json_file(config);
  j["base_model_name_or_path"] = base;
  j["use_dora"] = true;
  test::write_text(config, j.dump());
  EXPECT_NE(message().find("use_dora"), std::string::npos) << message();
  j["use_dora"] = false;
  j["target_modules"] = {"q_proj", "lm_head"};
  test::write_text(config, j.dump());
  EXPECT_NE(message().find("lm_head"), std::string::npos) << message();
  j["target_modules"] = {"q_proj", "k_proj"};  // k_proj's tensors are not in the file
  test::write_text(config, j.dump());
  EXPECT_NE(message().find("k_proj.lora_A.weight"), std::string::npos) << message();
  j["target_modules"] = {"q_proj"};
  j["r"] = 4;  // the file's tensors have rank 3
  test::write_text(config, j.dump());
  EXPECT_NE(message().find("shape"), std::string::npos) << message();
  j["r"] = 1000000000;
  test::write_text(config, j.dump());
  EXPECT_NE(message().find("exceeds the model's widths"), std::string::npos) << message();
  // Tensors of a module the config does not list are not silently ignored.
  j["r"] = 3;
  write_adapter(adapter, random_lora(base_model.config(), {"q_proj", "v_proj"}, 4), base);
  Json two = read_json_file(config);
  two["target_modules"] = {"q_proj"};
  test::write_text(config, two.dump());
  EXPECT_NE(message().find("v_proj.lora_A.weight' is not a LoRA weight"), std::string::npos) << message();
}

}  // namespace
}  // namespace aha::model
