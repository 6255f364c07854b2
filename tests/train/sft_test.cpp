// `aha sft` end to end: fine-tunes a pretrained run's final model on prompt-completion and
// conversational data rendered with the model's chat template; packed and padding-free batches.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

TEST(Sft, fine_tunes_a_pretrained_model_and_lowers_its_loss) {
  test::TempDir dir;
  const std::string root = dir.path().string();
  const std::string chat =
      "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% if m['role'] == "
      "'assistant' %}{{ eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}"
      "<assistant>{% endif %}";
  test::write_text(dir.file("tokenizer_config.json"),
                   Json{{"chat_template", chat}, {"eos_token", "<|endoftext|>"}}.dump());
  const std::string pretrain = testing::write_arithmetic_config(root, "max_steps: 20\nsave_steps: 20\n", 32);
  ASSERT_EQ(test::run_aha("pretrain --threads 2 --config " + pretrain).status, 0);
  ASSERT_TRUE(std::filesystem::exists(dir.file("out/tokenizer_config.json")));

  std::string data;
  for (int a = 0; a < 40; ++a) {
    const std::string q = std::to_string(a) + "+" + std::to_string(a % 7);
    data += Json{{"prompt", q + "="}, {"completion", std::to_string(a + a % 7)}}.dump() + "\n";
    data +=
        Json{{"messages",
              {{{"role", "user"}, {"content", q}}, {{"role", "assistant"}, {"content", std::to_string(a + a % 7)}}}}}
            .dump() +
        "\n";
  }
  test::write_text(dir.file("sft.jsonl"), data);
  test::write_text(dir.file("sft.yaml"),
                   fmt::format("model_name_or_path: {}\ndataset_path: {}\noutput_dir: {}\nmax_length: 32\n"
                               "per_device_train_batch_size: 4\ngradient_accumulation_steps: 2\nlearning_rate: 3e-3\n"
                               "num_train_epochs: 3\nlogging_steps: 5\nsave_steps: 10\n",
                               dir.file("out"), dir.file("sft.jsonl"), dir.file("sft_out")));
  const test::RunResult r = test::run_aha("sft --threads 2 --config " + dir.file("sft.yaml"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = testing::read_json_lines(dir.file("sft_out/metrics.jsonl"));
  ASSERT_GE(lines.size(), 2u);
  // 80 examples / (4 · 2) = 10 steps an epoch, 3 epochs.
  EXPECT_EQ(lines.back()["step"], 30);
  EXPECT_NEAR(lines.back()["epoch"].get<double>(), 3.0, 1e-9);
  EXPECT_LT(lines.back()["loss"].get<double>(), lines.front()["loss"].get<double>());
  for (const char* f : {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "config.yaml",
                        "checkpoint-30/trainer_state.json"})
    EXPECT_TRUE(std::filesystem::exists(dir.file("sft_out/") + f)) << f;
  EXPECT_NE(testing::slurp(dir.file("sft_out/config.yaml")).find("completion_only_loss: ~"), std::string::npos);

  // Packing: the 80 examples concatenated into 32-token blocks.
  const test::RunResult packed =
      test::run_aha("sft --threads 2 --config " + dir.file("sft.yaml") +
                    " --set packing=true --set max_steps=2 --set output_dir=" + dir.file("packed_out"));
  ASSERT_EQ(packed.status, 0) << packed.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("packed_out/model.safetensors")));

  // Padding-free: the first step's loss is the padded batches' to the bit.
  std::vector<double> first_loss;
  for (const char* padding_free : {"false", "true"}) {
    const std::string out = dir.file(std::string("first_step_") + padding_free);
    const test::RunResult one =
        test::run_aha("sft --threads 2 --config " + dir.file("sft.yaml") +
                      " --set max_steps=1 --set padding_free=" + padding_free + " --set output_dir=" + out);
    ASSERT_EQ(one.status, 0) << one.err;
    first_loss.push_back(testing::read_json_lines(out + "/metrics.jsonl").front()["loss"].get<double>());
  }
  EXPECT_EQ(first_loss[0], first_loss[1]);

  const test::RunResult again = test::run_aha("sft --threads 2 --config " + dir.file("sft.yaml") + " --resume");
  EXPECT_EQ(again.status, 0);
  EXPECT_NE(again.err.find("already complete"), std::string::npos) << again.err;

  // Into a model directory without checkpoints (the pretrained model's files): refused, untouched.
  const std::string model = dir.file("model_only");
  std::filesystem::create_directories(model);
  for (const char* f : {"model.safetensors", "config.json", "provenance.json", "metrics.jsonl"})
    std::filesystem::copy_file(dir.file("out/") + f, model + "/" + f);
  const std::string weights = testing::slurp(model + "/model.safetensors");
  for (const char* resume : {"", " --resume"}) {
    const test::RunResult refused =
        test::run_aha("sft --threads 2 --config " + dir.file("sft.yaml") + " --set output_dir=" + model + resume);
    EXPECT_EQ(refused.status, 2) << refused.err;
    EXPECT_NE(refused.err.find("output_dir " + model + " holds files"), std::string::npos) << refused.err;
    EXPECT_EQ(testing::slurp(model + "/model.safetensors"), weights);
    EXPECT_FALSE(std::filesystem::exists(model + "/config.yaml"));
  }
}

}  // namespace
}  // namespace aha::train
