// LoRA end to end: `aha pretrain` with use_peft writes adapter directories in PEFT's layout
// (checked against tests/oracle/hf_layout_names.json), resumes them bit-identically, and the
// adapter works wherever a model does; `aha merge` gives a model with the same logits.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>

#include "aha/io/safetensors.hpp"
#include "support/tiny_model.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

namespace fs = std::filesystem;

const Json& layout_names() {
  static const Json names = read_json_file(AHA_SOURCE_DIR "/tests/oracle/hf_layout_names.json");
  return names;
}

std::vector<std::string> keys_of(const Json& j) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  return keys;
}

class LoraRun : public ::testing::Test {
 protected:
  LoraRun() {
    // A base model with the byte tokenizer's vocabulary, its tokenizer beside it.
    Json config = test::tiny_llama_config();
    config["vocab_size"] = 257;
    config["eos_token_id"] = 256;
    fs::create_directories(dir.file("base"));
    test::write_tiny_model(dir.file("base"), config, 31);
    testing::write_byte_tokenizer(dir.file("base"));
  }

  // A LoRA pretraining config on the arithmetic task, `extra` YAML lines appended.
  std::string config(const std::string& out, const std::string& extra = "") {
    const std::string path = dir.file(out + ".yaml");
    test::write_text(path,
                     fmt::format("model_name_or_path: {}\ndataset_task: arithmetic\ndataset_num_examples: 200\n"
                                 "output_dir: {}\nmax_length: 32\nper_device_train_batch_size: 4\n"
                                 "gradient_accumulation_steps: 2\nlearning_rate: 1e-2\nlr_scheduler_type: constant\n"
                                 "max_steps: 6\nsave_steps: 3\nlogging_steps: 1\nseed: 5\nuse_peft: true\n"
                                 "lora_r: 4\nlora_alpha: 8\nlora_dropout: 0.1\nlora_target_modules: all-linear\n{}",
                                 dir.file("base"), dir.file(out), extra));
    return path;
  }

  std::vector<float> logits(const std::string& model) {
    const std::string out = dir.file("logits.safetensors");
    const test::RunResult r =
        test::run_aha("logits --threads 1 --model " + model + " --ids 1,40,41,43,61 --out " + out);
    EXPECT_EQ(r.status, 0) << r.err;
    return io::SafetensorsFile(out).get("logits").to_f32();
  }

  test::TempDir dir;
};

TEST_F(LoraRun, writes_peft_adapter_directories_and_checkpoints_with_trainer_state) {
  const test::RunResult r = test::run_aha("pretrain --threads 2 --config " + config("out"));
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string d : {"out", "out/checkpoint-3", "out/checkpoint-6"}) {
    for (const char* f : {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json"})
      EXPECT_TRUE(fs::exists(dir.file(d) + "/" + f)) << d << "/" << f;
    EXPECT_FALSE(fs::exists(dir.file(d) + "/model.safetensors")) << d;
    const Json adapter = read_json_file(dir.file(d) + "/adapter_config.json");
    std::vector<std::string> expected = layout_names()["adapter_config_keys"];
    EXPECT_EQ(keys_of(adapter), expected) << d;  // nlohmann sorts keys; the list is sorted
    EXPECT_EQ(adapter["peft_type"], "LORA");
    EXPECT_EQ(adapter["task_type"], "CAUSAL_LM");
    EXPECT_EQ(adapter["r"], 4);
    EXPECT_EQ(adapter["lora_alpha"], 8);
    EXPECT_EQ(adapter["target_modules"].size(), 7u);
    EXPECT_EQ(adapter["base_model_name_or_path"], fs::absolute(dir.file("base")).lexically_normal().string());
    const std::regex pattern(layout_names()["lora_tensor_pattern"].get<std::string>());
    const io::SafetensorsFile tensors(dir.file(d) + "/adapter_model.safetensors");
    EXPECT_EQ(tensors.names().size(), 2u * 7u * 2u);  // A and B, 7 modules, 2 layers
    for (const std::string& name : tensors.names()) EXPECT_TRUE(std::regex_match(name, pattern)) << name;
    EXPECT_EQ(tensors.get("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight").shape(),
              (tensor::Shape{4, 48}));
    EXPECT_EQ(tensors.get("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").shape(),
              (tensor::Shape{32, 4}));
  }
  // The optimizer holds the adapters' moments only, under their PEFT names.
  const io::SafetensorsFile optimizer(dir.file("out/checkpoint-3/optimizer.safetensors"));
  EXPECT_EQ(optimizer.names().size(), 2u * 28u);
  EXPECT_TRUE(optimizer.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight.exp_avg"));
  const Json state = read_json_file(dir.file("out/checkpoint-3/trainer_state.json"));
  for (const Json& key : layout_names()["trainer_state_keys"]) EXPECT_TRUE(state.contains(key)) << key;
  EXPECT_EQ(state["global_step"], 3);
  EXPECT_EQ(state["max_steps"], 6);
  EXPECT_EQ(state["save_steps"], 3);
  EXPECT_EQ(state["logging_steps"], 1);
  EXPECT_EQ(state["eval_steps"], 1);
  EXPECT_EQ(state["train_batch_size"], 4);
  EXPECT_EQ(state["log_history"].size(), 3u);
  EXPECT_EQ(state["is_world_process_zero"], true);
  EXPECT_TRUE(state["best_metric"].is_null());
  // Training moved B away from its zero start.
  const auto b = io::SafetensorsFile(dir.file("out/adapter_model.safetensors"))
                     .get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight")
                     .to_f32();
  double norm = 0.0;
  for (float v : b) norm += static_cast<double>(v) * v;
  EXPECT_GT(norm, 0.0);
}

TEST_F(LoraRun, resuming_a_lora_run_is_bit_identical_to_an_uninterrupted_one) {
  ASSERT_EQ(test::run_aha("pretrain --threads 2 --config " + config("straight")).status, 0);
  ASSERT_EQ(test::run_aha("pretrain --threads 2 --config " + config("split") + " --set max_steps=3").status, 0);
  const test::RunResult resumed = test::run_aha("pretrain --threads 2 --config " + config("split") + " --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming from"), std::string::npos) << resumed.err;
  EXPECT_EQ(testing::slurp(dir.file("straight/adapter_model.safetensors")),
            testing::slurp(dir.file("split/adapter_model.safetensors")));
  EXPECT_EQ(testing::slurp(dir.file("straight/checkpoint-6/optimizer.safetensors")),
            testing::slurp(dir.file("split/checkpoint-6/optimizer.safetensors")));
}

TEST_F(LoraRun, the_adapter_is_a_model_and_merges_into_one_with_the_same_logits) {
  ASSERT_EQ(test::run_aha("pretrain --threads 2 --config " + config("out")).status, 0);
  const std::vector<float> base = logits(dir.file("base")), adapted = logits(dir.file("out"));
  const test::RunResult merge = test::run_aha("merge --adapter " + dir.file("out") + " --out " + dir.file("merged"));
  ASSERT_EQ(merge.status, 0) << merge.err;
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"})
    EXPECT_TRUE(fs::exists(dir.file("merged/") + f)) << f;
  EXPECT_FALSE(fs::exists(dir.file("merged/adapter_config.json")));
  EXPECT_EQ(
      io::SafetensorsFile(dir.file("merged/model.safetensors")).get("model.layers.0.self_attn.q_proj.weight").dtype(),
      tensor::DType::F32);
  const std::vector<float> merged = logits(dir.file("merged"));
  ASSERT_EQ(merged.size(), adapted.size());
  double max_diff = 0.0, max_base_diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < merged.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(merged[i]) - adapted[i]));
    max_base_diff = std::max(max_base_diff, std::fabs(static_cast<double>(base[i]) - adapted[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(adapted[i])));
  }
  EXPECT_LT(max_diff, 1e-5 * scale);
  EXPECT_GT(max_base_diff, 1e-3 * scale);
  // generate takes the adapter directory too.
  const test::RunResult gen = test::run_aha("generate --threads 1 --model " + dir.file("out") +
                                            " --ids 1,40,41 --max-tokens 3 --temperature 0 --json");
  EXPECT_EQ(gen.status, 0) << gen.err;
  // Merging again into a non-empty directory, or merging a model, is a clear error.
  const test::RunResult again = test::run_aha("merge --adapter " + dir.file("out") + " --out " + dir.file("merged"));
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  const test::RunResult not_adapter = test::run_aha("merge --adapter " + dir.file("base") + " --out " + dir.file("m2"));
  EXPECT_EQ(not_adapter.status, 2);
  EXPECT_NE(not_adapter.err.find("not an adapter directory"), std::string::npos) << not_adapter.err;
}

}  // namespace
}  // namespace aha::train
