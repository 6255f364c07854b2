// `aha generate` and `aha chat` end to end on a tiny model with a trained tokenizer and
// Qwen3's chat template.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha {
namespace {

using test::run_aha;

// A tiny qwen3 model with a 320-token byte-level BPE and Qwen3's chat template.
class TextModel : public ::testing::Test {
 protected:
  void SetUp() override {
    tokenizer::BpeTrainer trainer(
        {.vocab_size = 320, .special_tokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}});
    for (int i = 0; i < 50; ++i)
      trainer.add_text("The user asks a question and the assistant answers it. 12 + 7 = 19.\n");
    write_file_atomic(dir_.file("tokenizer.json"), trainer.finish().json);
    Json config = test::tiny_llama_config();
    config["model_type"] = "qwen3";
    config["vocab_size"] = 320;
    config["eos_token_id"] = 2;
    test::write_tiny_model(dir_.path().string(), config, 31);
    const std::filesystem::path templates = std::filesystem::path(AHA_SOURCE_DIR) / "tests/tokenizer/templates/qwen3";
    for (const char* f : {"chat_template.jinja", "tokenizer_config.json"})
      std::filesystem::copy_file(templates / f, dir_.path() / f);
  }
  std::string model() const { return dir_.path().string(); }
  test::TempDir dir_;
};

std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(Json::parse(text.substr(start, nl - start)));
  return out;
}

TEST_F(TextModel, greedy_generation_is_the_argmax_of_aha_logits) {
  auto r = run_aha("generate --model " + model() + " --ids 1,5,9 --temperature 0 --max-tokens 8 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<int32_t> ids = json_lines(r.out).at(0)["ids"].get<std::vector<int32_t>>();
  ASSERT_FALSE(ids.empty());
  std::string all = "1,5,9";
  for (int32_t id : ids) all += fmt::format(",{}", id);
  const std::string out = dir_.file("logits.safetensors");
  ASSERT_EQ(run_aha("logits --model " + model() + " --ids " + all + " --out " + out).status, 0);
  std::vector<float> logits = io::SafetensorsFile(out).get("logits").to_f32();
  for (size_t i = 0; i < ids.size(); ++i) {
    const float* row = logits.data() + (2 + i) * 320;
    EXPECT_EQ(std::max_element(row, row + 320) - row, ids[i]) << "token " << i;
  }
}

TEST_F(TextModel, sample_i_uses_seed_plus_i_and_json_lines_carry_text_and_logprobs) {
  auto two = run_aha("generate --model " + model() + " --prompt Hello --max-tokens 6 --n 2 --seed 40 --json");
  ASSERT_EQ(two.status, 0) << two.err;
  auto one = run_aha("generate --model " + model() + " --prompt Hello --max-tokens 6 --seed 41 --json");
  ASSERT_EQ(one.status, 0) << one.err;
  auto lines = json_lines(two.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["ids"], json_lines(one.out).at(0)["ids"]);
  EXPECT_EQ(lines[1]["seed"], 41);
  EXPECT_EQ(lines[0]["logprobs"].size(), lines[0]["ids"].size());
  EXPECT_TRUE(lines[0]["text"].is_string());
  for (const Json& lp : lines[0]["logprobs"]) EXPECT_LE(lp.get<double>(), 0.0);
}

TEST_F(TextModel, bad_generation_arguments_exit_2_with_one_line) {
  const std::string m = "generate --model " + model();
  for (const std::string& args :
       {m + " --prompt ''", m + " --ids 1 --max-tokens 0", m + " --ids 1 --temperature -1", m + " --ids 1 --top-p 0",
        m + " --ids 1 --top-p 1.5", m + " --ids 1,320", m + " --ids 1 --ctx-size 1", m + " --prompt hi --ids 1"}) {
    auto r = run_aha(args);
    EXPECT_EQ(r.status, 2) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
  }
  std::string long_prompt = "1";
  for (int i = 0; i < 200; ++i) long_prompt += ",1";
  auto r = run_aha(m + " --ids " + long_prompt + " --ctx-size 64");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("context size 64"), std::string::npos) << r.err;
}

TEST_F(TextModel, chat_keeps_history_saves_it_and_ends_at_eof) {
  const std::string input = dir_.file("input.txt"), saved = dir_.file("history.json");
  test::write_text(input, "/system Be brief.\nHi there\nAnd again\n/save " + saved + "\n/bogus\n");
  auto r = run_aha("chat --model " + model() + " --max-tokens 5 --seed 1 < " + input);
  ASSERT_EQ(r.status, 0) << r.err;
  Json history = read_json_file(saved);
  ASSERT_EQ(history.size(), 5u);
  EXPECT_EQ(history[0]["role"], "system");
  EXPECT_EQ(history[1]["content"], "Hi there");
  EXPECT_EQ(history[2]["role"], "assistant");
  EXPECT_EQ(history[3]["content"], "And again");
  EXPECT_NE(r.err.find("tokens/s"), std::string::npos);
  EXPECT_NE(r.err.find("unknown command /bogus"), std::string::npos);
}

}  // namespace
}  // namespace aha
