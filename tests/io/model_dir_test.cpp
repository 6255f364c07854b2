#include "aha/io/model_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/model/decoder.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha::io {
namespace {

std::string load_error(const std::string& dir) {
  try {
    model::Model m(dir);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
}

// Splits model.safetensors of `dir` into two shards plus an index, then deletes it.
void shard(const std::string& dir) {
  SafetensorsFile whole(dir + "/model.safetensors");
  std::map<std::string, tensor::Tensor> a, b;
  Json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", Json::object()}};
  size_t i = 0;
  for (const auto& name : whole.names()) {
    const bool first = i++ % 2 == 0;
    (first ? a : b)[name] = whole.get(name);
    index["weight_map"][name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  write_safetensors(dir + "/model-00001-of-00002.safetensors", a);
  write_safetensors(dir + "/model-00002-of-00002.safetensors", b);
  test::write_text(dir + "/model.safetensors.index.json", index.dump());
  std::filesystem::remove(dir + "/model.safetensors");
}

TEST(ModelDir, sharded_checkpoint_gives_the_same_logits) {
  test::TempDir dir;
  test::write_tiny_model(dir.path().string(), test::tiny_llama_config(), 1);
  std::vector<int32_t> ids = {1, 5, 9, 63};
  auto whole = model::Model(dir.path().string()).logits(ids);
  shard(dir.path().string());
  auto sharded = model::Model(dir.path().string()).logits(ids);
  EXPECT_EQ(whole, sharded);
}

TEST(ModelDir, defects_are_reported_with_the_file) {
  test::TempDir dir;
  const std::string d = dir.path().string();
  EXPECT_NE(load_error(d + "/nope").find("not a model directory"), std::string::npos);
  EXPECT_NE(load_error(d).find("missing config.json"), std::string::npos);
  test::write_text(d + "/config.json", test::tiny_llama_config().dump());
  EXPECT_NE(load_error(d).find("missing model.safetensors"), std::string::npos);

  // A tensor of the wrong shape.
  Json cfg = test::tiny_llama_config();
  test::write_tiny_model(d, cfg, 2);
  cfg["intermediate_size"] = 50;
  test::write_text(d + "/config.json", cfg.dump());
  std::string e = load_error(d);
  EXPECT_NE(e.find("model.layers.0.mlp.gate_proj.weight' has shape [48, 32], expected [50, 32]"), std::string::npos)
      << e;

  // A tensor that is missing: qwen3 needs q_norm.
  cfg = test::tiny_llama_config();
  test::write_tiny_model(d, cfg, 2);
  cfg["model_type"] = "qwen3";
  test::write_text(d + "/config.json", cfg.dump());
  e = load_error(d);
  EXPECT_NE(e.find("missing tensor 'model.layers.0.self_attn.q_norm.weight'"), std::string::npos) << e;

  // Shards: one listed but absent, one listing a tensor it lacks, a path outside the folder.
  test::write_tiny_model(d, test::tiny_llama_config(), 3);
  shard(d);
  std::filesystem::remove(d + "/model-00002-of-00002.safetensors");
  EXPECT_NE(load_error(d).find("is listed but missing"), std::string::npos);
  Json index = read_json_file(d + "/model.safetensors.index.json");
  index["weight_map"]["model.norm.weight"] = "../x.safetensors";
  test::write_text(d + "/model.safetensors.index.json", index.dump());
  EXPECT_NE(load_error(d).find("not a file name in the model directory"), std::string::npos);
}

}  // namespace
}  // namespace aha::io
