// A toy architecture added in this one file, as a new architecture is added: a Llama variant
// with Gemma's GeGLU MLP and scaled embeddings (x = √hidden · embedding), tied LM head, no
// biases. Its parameter table and layer choices are registered under model_type "toy_geglu";
// loading, saving, initialisation, gradients, LoRA, training and inference all follow from them.
// The tests check its gradients against finite differences, inference against training, and a
// save/load round trip through the table.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "aha/base/file.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/architecture.hpp"
#include "aha/model/decoder.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/training.hpp"
#include "aha/train/init_weights.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha::model {
namespace {

// The toy's tensors: Llama's names and shapes, without biases or q/k norms, LM head tied.
std::vector<ParameterSpec> toy_parameters(const io::ModelConfig& c) {
  const int64_t h = c.hidden_size, ff = c.intermediate_size;
  const int64_t q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;
  std::vector<ParameterSpec> t;
  t.push_back({"model.embed_tokens.weight", {c.vocab_size, h}, Init::normal, -1, kNotLoraTarget, [](Weights& w) {
                 return TensorSlot{&w.embed_tokens, nullptr};
               }});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = fmt::format("model.layers.{}.", i);
    auto norm = [&](const std::string& name, std::vector<float> LayerWeights::*member) {
      t.push_back({p + name, {h}, Init::ones, i, kNotLoraTarget, [i, member](Weights& w) {
                     return TensorSlot{&(w.layers[i].*member), nullptr};
                   }});
    };
    auto linear = [&](const std::string& name, int64_t in, int64_t out, Linear LayerWeights::*member, int module) {
      t.push_back({p + name + ".weight", {out, in}, Init::normal, i, module, [i, member](Weights& w) {
                     Linear& l = w.layers[i].*member;
                     return TensorSlot{&l.weight, &l};
                   }});
    };
    norm("input_layernorm.weight", &LayerWeights::input_norm);
    norm("post_attention_layernorm.weight", &LayerWeights::post_attention_norm);
    linear("self_attn.q_proj", h, q, &LayerWeights::q_proj, q_proj);
    linear("self_attn.k_proj", h, kv, &LayerWeights::k_proj, k_proj);
    linear("self_attn.v_proj", h, kv, &LayerWeights::v_proj, v_proj);
    linear("self_attn.o_proj", q, h, &LayerWeights::o_proj, o_proj);
    linear("mlp.gate_proj", h, ff, &LayerWeights::gate_proj, gate_proj);
    linear("mlp.up_proj", h, ff, &LayerWeights::up_proj, up_proj);
    linear("mlp.down_proj", ff, h, &LayerWeights::down_proj, down_proj);
  }
  t.push_back({"model.norm.weight", {h}, Init::ones, -1, kNotLoraTarget, [](Weights& w) {
                 return TensorSlot{&w.final_norm, nullptr};
               }});
  return t;
}

const bool kToyRegistered = register_architecture(
    {{"toy_geglu"},
     toy_parameters,
     &backend::Ops::geglu_forward,
     &backend::Ops::geglu_backward,
     [](const io::ModelConfig& c) { return static_cast<float>(std::sqrt(static_cast<double>(c.hidden_size))); }});

// The toy's config.json: Llama's fields under model_type "toy_geglu".
Json toy_config_json() {
  Json json = test::tiny_llama_config();
  json["model_type"] = "toy_geglu";
  json["hidden_size"] = 16;
  json["intermediate_size"] = 24;
  json["vocab_size"] = 19;
  json["tie_word_embeddings"] = true;
  return json;
}

io::ModelConfig toy_config() { return io::parse_model_config(toy_config_json(), "config.json"); }

// Toy weights with every tensor random, norms near 1.
Weights toy_weights(const io::ModelConfig& c, unsigned seed) {
  Weights w = train::init_weights(c, 0.3, seed);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  for (const ParameterSpec& p : parameter_table(c))
    if (p.init == Init::ones)
      for (float& x : *p.slot(w).values) x += normal(rng);
  w.embed_tokens = train::init_weights(c, 0.3 / std::sqrt(static_cast<double>(c.hidden_size)), seed).embed_tokens;
  return w;
}

struct ToyBatch {
  std::vector<int32_t> tokens{3, 17, 5, 5, 0, 11, 2, 9, 14, 1}, targets{17, 5, 5, 0, -100, 2, 9, 14, 1, 6};
  std::vector<float> weights{1, 1, 0.5f, 1, 1, 1, -0.5f, 1, 1, 2};
  TrainBatch view() const { return {tokens, targets, weights, 7.0}; }
};

TEST(ToyGegluArchitecture, is_registered_by_model_type_with_its_own_table) {
  ASSERT_TRUE(kToyRegistered);
  const io::ModelConfig c = toy_config();
  const std::vector<ParameterSpec> table = parameter_table(c);
  ASSERT_EQ(table.size(), 2u + 9u * static_cast<size_t>(c.num_hidden_layers));
  EXPECT_EQ(table.front().name, "model.embed_tokens.weight");
  EXPECT_EQ(table.back().name, "model.norm.weight");
  Weights w = shaped_weights(c);
  for (const Parameter& p : parameters(w)) EXPECT_EQ(p.name.find("lm_head"), std::string::npos);
  LoraSettings s;
  s.r = 2;
  s.target_modules = resolve_lora_targets({"all-linear"}, "test");
  Lora lora = zero_lora(c, s);  // every linear of the table is LoRA-targetable
  EXPECT_EQ(lora_parameters(lora).size(), 2u * 7u * 2u);
}

TEST(ToyGegluArchitecture, loss_gradients_match_finite_differences) {
  const io::ModelConfig c = toy_config();
  Weights w = toy_weights(c, 3);
  const ToyBatch b;
  Activations acts(c, 2, 5, false);
  Gradients g = zero_gradients_like(w);
  const double loss = loss_and_gradients(c, w, b.view(), acts, g);

  // The architecture's choices are in effect: the same weights run as llama give another loss.
  io::ModelConfig llama = c;
  llama.model_type = "llama";
  Activations llama_acts(llama, 2, 5, false);
  EXPECT_GT(std::fabs(compute_loss(llama, w, b.view(), llama_acts) - loss), 1e-3);

  std::vector<Parameter> grads = parameters(g);
  std::vector<Parameter> params = parameters(w);
  ASSERT_EQ(grads.size(), params.size());
  for (size_t k = 0; k < params.size(); ++k) {
    std::vector<float>& x = *params[k].values;
    for (size_t i = 0; i < x.size(); i += std::max<size_t>(1, x.size() / 5)) {  // ~5 elements of each tensor
      const float saved = x[i], h = 1e-2f;
      x[i] = saved + h;
      const double up = compute_loss(c, w, b.view(), acts);
      x[i] = saved - h;
      const double down = compute_loss(c, w, b.view(), acts);
      x[i] = saved;
      const double numeric = (up - down) / (2.0 * h), analytic = (*grads[k].values)[i];
      EXPECT_NEAR(analytic, numeric, 2e-3 + 2e-2 * std::fabs(numeric)) << params[k].name << "[" << i << "]";
    }
  }
}

TEST(ToyGegluArchitecture, inference_logits_give_the_training_losses) {
  const io::ModelConfig c = toy_config();
  const Weights w = toy_weights(c, 4);
  const ToyBatch b;
  Activations acts(c, 2, 5, false);
  compute_loss(c, w, b.view(), acts);
  const Model m(c, w);
  for (int64_t s = 0; s < 2; ++s) {
    const std::vector<float> logits = m.logits(std::span(b.tokens).subspan(5 * s, 5));
    for (int64_t t = 0; t < 5; ++t) {
      const int32_t target = b.targets[5 * s + t];
      if (target < 0) continue;
      const float* z = logits.data() + t * c.vocab_size;
      double top = z[0], sum = 0.0;
      for (int64_t j = 0; j < c.vocab_size; ++j) top = std::max(top, static_cast<double>(z[j]));
      for (int64_t j = 0; j < c.vocab_size; ++j) sum += std::exp(z[j] - top);
      EXPECT_NEAR(top + std::log(sum) - z[target], acts.losses[5 * s + t], 1e-4) << s << "," << t;
    }
  }
}

TEST(ToyGegluArchitecture, weights_round_trip_through_safetensors_by_the_table) {
  const io::ModelConfig c = toy_config();
  const Weights w = toy_weights(c, 5);
  test::TempDir dir;
  io::write_safetensors(dir.file("model.safetensors"), to_tensors(w));
  const io::SafetensorsFile file(dir.file("model.safetensors"));
  EXPECT_EQ(file.names().size(), parameter_table(c).size());
  Weights loaded = shaped_weights(c);
  for (const ParameterSpec& p : parameter_table(c)) *p.slot(loaded).values = file.get(p.name).to_f32();
  EXPECT_EQ(to_tensors(loaded).size(), to_tensors(w).size());
  for (const auto& [name, t] : to_tensors(w)) EXPECT_EQ(to_tensors(loaded).at(name).to_f32(), t.to_f32()) << name;
}

TEST(ToyGegluArchitecture, loads_from_a_model_directory_by_its_config_json_model_type) {
  const io::ModelConfig c = toy_config();
  const Weights w = toy_weights(c, 6);
  test::TempDir dir;
  write_file_atomic(dir.file("config.json"), toy_config_json().dump(2));
  io::write_safetensors(dir.file("model.safetensors"), to_tensors(w));
  const Model from_dir(dir.path().string());
  EXPECT_EQ(from_dir.config().model_type, "toy_geglu");
  const Model in_memory(c, w);
  const std::vector<int32_t> tokens{3, 17, 5, 5, 0, 11, 2};
  EXPECT_EQ(from_dir.logits(tokens), in_memory.logits(tokens));  // same table, same weights, same choices
}

}  // namespace
}  // namespace aha::model
