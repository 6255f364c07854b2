// The per-token log-probs GRPO trains on (forward_logprobs at a temperature) and their backward
// (backward_logprobs), against float64 PyTorch autograd over the HF reference forward.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include "aha/base/json.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/decoder.hpp"
#include "aha/model/training.hpp"
#include "support/gradient_oracle.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_lora.hpp"
#include "support/tiny_model.hpp"

namespace aha::model {
namespace {

using test::as_rows;

TEST(GrpoLogprobs, logprobs_entropies_and_their_gradients_match_pytorch_at_a_temperature) {
  test::TempDir dir;
  const int64_t batch = 2, seq = 6, vocab = 64;
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> id(0, vocab - 1);
  std::uniform_real_distribution<float> upstream(-1.0f, 1.0f);
  std::vector<int32_t> tokens, targets;
  std::vector<float> weights(batch * seq, 0.0f), dlogp;
  for (int64_t i = 0; i < batch * seq; ++i) {
    tokens.push_back(id(rng));
    // The first two positions are prompt (no target), as in a GRPO batch.
    targets.push_back(i % seq < 2 ? -1 : id(rng));
    dlogp.push_back(targets.back() < 0 ? 0.0f : upstream(rng));
  }
  Json cases = Json::array();
  std::vector<std::pair<std::vector<float>, std::vector<float>>> got;
  int variant = 0;
  for (const auto& [name, config] : test::tiny_model_variants()) {
    if (variant++ % 2 == 1) continue;  // three of the five variants keep the test quick
    const std::string model_dir = dir.file(name);
    std::filesystem::create_directories(model_dir);
    test::write_tiny_model(model_dir, config, 23);
    Model m(model_dir);
    for (bool checkpointing : {false, true}) {
      Activations acts(m.config(), batch, seq, checkpointing);
      const TrainBatch b{tokens, targets, weights, 1.0};
      std::vector<float> logp(batch * seq), entropy(batch * seq);
      forward_logprobs(m.config(), m.weights(), b, 0.7, acts, logp, entropy);
      Gradients grads = zero_gradients_like(m.weights());
      backward_logprobs(m.config(), m.weights(), b, 0.7, dlogp, acts, grads);
      const std::string case_name = name + (checkpointing ? "+checkpointing" : "");
      io::write_safetensors(dir.file(case_name + ".safetensors"), to_tensors(grads));
      cases.push_back({{"name", case_name},
                       {"model", model_dir},
                       {"tokens", as_rows(tokens, seq)},
                       {"targets", as_rows(targets, seq)},
                       {"temperature", 0.7},
                       {"dlogp", as_rows(dlogp, seq)},
                       {"grads", dir.file(case_name + ".safetensors")}});
      got.emplace_back(logp, entropy);
    }
  }
  test::write_text(dir.file("cases.json"), Json{{"cases", cases}}.dump());
  const std::string command = "/usr/bin/python3 " AHA_SOURCE_DIR "/tests/oracle/grpo_reference.py --manifest " +
                              dir.file("cases.json") + " --out " + dir.file("report.json");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const Json report = read_json_file(dir.file("report.json"));
  ASSERT_EQ(report["cases"].size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const Json& c = report["cases"][i];
    const std::string name = c["name"];
    for (int64_t r = 0; r < batch * seq; ++r) {
      EXPECT_NEAR(got[i].first[r], c["logp"][r / seq][r % seq].get<double>(), 2e-5) << name << " logp " << r;
      EXPECT_NEAR(got[i].second[r], c["entropy"][r / seq][r % seq].get<double>(), 2e-5) << name << " entropy " << r;
    }
    EXPECT_TRUE(c["missing"].empty()) << name;
    for (const auto& [tensor, error] : c["tensors"].items())
      EXPECT_LT(error.get<double>(), 1e-4) << name << ": " << tensor;
    EXPECT_GT(c["tensors"].size(), 5u) << name;
  }
}

// Every bit of every gradient is +0: what GRPO's update relies on when it skips the backward of a
// micro-batch whose dlogp are all 0 (its gradients start at zero).
void expect_all_positive_zero(const std::vector<float>& values, const std::string& what) {
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], sizeof bits);
    ASSERT_EQ(bits, 0u) << what << " [" << i << "] = " << values[i];
  }
}

TEST(GrpoLogprobs, a_backward_of_zero_dlogp_adds_exact_zeros) {
  test::TempDir dir;
  const int64_t batch = 2, seq = 6, vocab = 64;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> id(0, vocab - 1);
  std::vector<int32_t> tokens, targets;
  for (int64_t i = 0; i < batch * seq; ++i) {
    tokens.push_back(id(rng));
    targets.push_back(i % seq < 2 ? -1 : id(rng));
  }
  const std::vector<float> weights(batch * seq, 0.0f), dlogp(batch * seq, 0.0f);
  const auto [name, config] = test::tiny_model_variants()[0];
  test::write_tiny_model(dir.path().string(), config, 23);
  Model m(dir.path().string());
  const Lora lora = test::random_lora(m.config(), {"all-linear"}, 7, 0.1);
  for (bool bf16 : {false, true})
    for (bool checkpointing : {false, true})
      for (bool with_lora : {false, true}) {
        const std::string what = fmt::format("bf16 {}, checkpointing {}, lora {}", bf16, checkpointing, with_lora);
        Activations acts(m.config(), batch, seq, checkpointing);
        acts.bf16 = bf16;
        const TrainBatch b{tokens, targets, weights, 1.0};
        std::vector<float> logp(batch * seq), entropy(batch * seq);
        Gradients grads = zero_gradients_like(m.weights());
        Lora lora_grads = lora;
        zero_lora_values(lora_grads);
        if (with_lora) grads = Gradients{}, grads.layers.resize(m.weights().layers.size());
        const LoraPass pass = with_lora ? LoraPass{&lora, &lora_grads, 3} : LoraPass{};
        forward_logprobs(m.config(), m.weights(), b, 0.7, acts, logp, entropy, pass);
        backward_logprobs(m.config(), m.weights(), b, 0.7, dlogp, acts, grads, pass);
        for (const auto& [tensor, values] : to_tensors(grads))
          expect_all_positive_zero(values.to_f32(), what + " " + tensor);
        if (with_lora)
          for (const auto& [tensor, values] : lora_tensors(lora_grads))
            expect_all_positive_zero(values.to_f32(), what + " " + tensor);
      }
}

}  // namespace
}  // namespace aha::model
