#include "aha/io/hf_config.hpp"

#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "support/tiny_model.hpp"

namespace aha::io {
namespace {

std::string parse_error(const Json& j) {
  try {
    parse_model_config(j, "dir/config.json");
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("dir/config.json"), std::string::npos) << e.what();
    return e.what();
  }
}

TEST(HfConfig, llama_defaults) {
  Json j = test::tiny_llama_config();
  j.erase("rms_norm_eps");
  j.erase("rope_theta");
  j["eos_token_id"] = Json::array({2, 7});
  ModelConfig c = parse_model_config(j, "config.json");
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.qk_norm);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2, 7}));
}

TEST(HfConfig, qwen2_has_qkv_biases_and_qwen3_has_qk_norms) {
  Json j = test::tiny_llama_config();
  j["model_type"] = "qwen2";
  ModelConfig q2 = parse_model_config(j, "config.json");
  EXPECT_TRUE(q2.attention_bias);
  EXPECT_FALSE(q2.attention_out_bias);
  j["model_type"] = "qwen3";
  j["head_dim"] = 16;
  ModelConfig q3 = parse_model_config(j, "config.json");
  EXPECT_TRUE(q3.qk_norm);
  EXPECT_FALSE(q3.attention_bias);
  EXPECT_EQ(q3.head_dim, 16);
}

TEST(HfConfig, llama3_rope_scaling) {
  Json j = test::tiny_llama_config();
  j["rope_scaling"] = {{"rope_type", "llama3"},
                       {"factor", 8.0},
                       {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 8192}};
  ModelConfig c = parse_model_config(j, "config.json");
  EXPECT_EQ(c.rope_scaling.kind, "llama3");
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 8.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 8192);
}

TEST(HfConfig, bad_configs_name_the_field) {
  Json j = test::tiny_llama_config();
  EXPECT_EQ(parse_error(j), "");
  Json missing = j;
  missing.erase("hidden_size");
  EXPECT_NE(parse_error(missing).find("missing 'hidden_size'"), std::string::npos);
  Json unknown = j;  // any model_type parses; whether it is supported is model/'s check at load time
  unknown["model_type"] = "gpt2";
  EXPECT_EQ(parse_error(unknown), "");
  EXPECT_EQ(parse_model_config(unknown, "config.json").model_type, "gpt2");
  Json wrong_type = j;
  wrong_type["num_hidden_layers"] = "two";
  EXPECT_NE(parse_error(wrong_type).find("'num_hidden_layers' must be an integer"), std::string::npos);
  Json gqa = j;
  gqa["num_key_value_heads"] = 3;
  EXPECT_NE(parse_error(gqa).find("multiple of num_key_value_heads"), std::string::npos);
  Json rope = j;
  rope["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}};
  EXPECT_NE(parse_error(rope).find("'yarn' is not supported"), std::string::npos);
  Json negative = j;
  negative["vocab_size"] = -5;
  EXPECT_NE(parse_error(negative).find("'vocab_size' is -5"), std::string::npos);
  EXPECT_NE(parse_error(Json::array()).find("JSON object"), std::string::npos);
  try {
    parse_json("{\"hidden_size\": 1e99999}", "dir/config.json");
    ADD_FAILURE() << "an out-of-range number was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dir/config.json: not valid JSON"), std::string::npos);
  }
  Json act = j;
  act["hidden_act"] = "gelu";
  EXPECT_NE(parse_error(act).find("hidden_act"), std::string::npos);
}

}  // namespace
}  // namespace aha::io
