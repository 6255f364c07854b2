// A checkpoint whose vocab_size pads past its tokenizer's (as Qwen's do), with weights that make
// the padded ids the most likely: every command that samples runs to the end at temperature 1.5
// and never emits a padded id; without a tokenizer nothing is masked.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "serve/serve_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "train/fixtures.hpp"

namespace aha {
namespace {

using test::run_aha;
using train::testing::read_json_lines;

constexpr int kTextVocab = 257;    // the byte tokenizer: 256 bytes and <|endoftext|>
constexpr int kPaddedVocab = 320;  // config.json's vocab_size, padded to a multiple of 64

std::vector<Json> padded_json_lines(const std::string& text) {
  std::vector<Json> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(Json::parse(text.substr(start, nl - start)));
  return out;
}

// Writes the model into `dir`: a tiny llama over the byte tokenizer whose padded ids get +40 on
// their logits and whose real ids other than printable ASCII (EOS included) get -40, so that a
// real token drawn is one character of text and a completion's text has one byte per token.
// Without `tokenizer`, tokenizer.json is left out (the bias is the same).
void write_padded_model(const std::string& dir, bool tokenizer = true) {
  std::filesystem::create_directories(dir);
  Json config = test::tiny_llama_config();
  config["vocab_size"] = kPaddedVocab;
  config["eos_token_id"] = 256;
  config["max_position_embeddings"] = 256;
  test::write_tiny_model(dir, config, 12);
  const std::string tokenizer_path = train::testing::write_byte_tokenizer(dir);
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(tokenizer_path);
  std::vector<float> bias(kPaddedVocab, 40.0f);
  for (int32_t id = 0; id < kTextVocab; ++id) {
    const std::string text = tok.decode(std::vector<int32_t>{id});
    bias[id] = text.size() == 1 && text[0] >= 32 && text[0] < 127 ? 0.0f : -40.0f;
  }
  test::add_logit_bias(dir, bias);
  if (!tokenizer) std::filesystem::remove(tokenizer_path);
}

class PaddedVocab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    write_padded_model(dir_->file("model"));
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string model() { return dir_->file("model"); }
  static std::string file(const std::string& name) { return dir_->file(name); }
  static inline std::unique_ptr<test::TempDir> dir_;  // one model for the suite
};

// Every id of `ids` is one the tokenizer has.
void expect_real_ids(const Json& ids) {
  for (const Json& id : ids) EXPECT_LT(id.get<int>(), kTextVocab) << ids.dump();
}

TEST_F(PaddedVocab, the_weights_make_a_padded_id_the_most_likely_at_every_position) {
  const std::string out = file("logits.safetensors");
  const auto r = run_aha(fmt::format("logits --model {} --ids 65,66,67,49,43,50,61 --out {}", model(), out));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<float> logits = io::SafetensorsFile(out).get("logits").to_f32();
  ASSERT_EQ(logits.size(), 7u * kPaddedVocab);
  for (size_t t = 0; t < 7; ++t) {
    const auto row = logits.begin() + static_cast<std::ptrdiff_t>(t * kPaddedVocab);
    EXPECT_GE(std::max_element(row, row + kPaddedVocab) - row, kTextVocab) << "position " << t;
  }
}

TEST_F(PaddedVocab, generate_never_samples_a_padded_id_greedy_or_at_temperature_1_5) {
  for (const char* sampling :
       {"--temperature 1.5 --top-k 0 --top-p 1 --min-p 0", "--temperature 1.5", "--temperature 0"}) {
    const auto r = run_aha(
        fmt::format("generate --model {} --ids 65,66 --max-tokens 24 --n 4 --seed 3 --json {}", model(), sampling));
    ASSERT_EQ(r.status, 0) << sampling << ": " << r.err;
    const std::vector<Json> samples = padded_json_lines(r.out);
    ASSERT_EQ(samples.size(), 4u) << sampling;
    for (const Json& s : samples) {
      ASSERT_EQ(s["ids"].size(), 24u) << sampling;
      expect_real_ids(s["ids"]);
      EXPECT_EQ(s["text"].get<std::string>().size(), 24u) << sampling;
      // Log-probs stay over the whole vocabulary, where the padded ids hold nearly all the mass.
      for (const Json& lp : s["logprobs"]) EXPECT_LT(lp.get<double>(), -10.0) << sampling;
    }
  }
}

TEST_F(PaddedVocab, without_a_tokenizer_nothing_is_masked) {
  const std::string bare = file("bare");
  write_padded_model(bare, false);
  const auto r = run_aha("generate --model " + bare + " --ids 65,66 --max-tokens 6 --temperature 0 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<Json> samples = padded_json_lines(r.out);
  ASSERT_EQ(samples.size(), 1u);
  for (const Json& id : samples[0]["ids"]) EXPECT_GE(id.get<int>(), kTextVocab) << samples[0].dump();
}

TEST_F(PaddedVocab, chat_replies_are_all_text) {
  const std::string input = file("chat_input.txt"), saved = file("chat_history.json"), tmpl = file("chat.jinja");
  test::write_text(tmpl, "{% for m in messages %}{{ m['content'] }}\n{% endfor %}");
  test::write_text(input, "Hi there\n/save " + saved + "\n");
  const auto r = run_aha(fmt::format(
      "chat --model {} --chat-template {} --max-tokens 12 --temperature 1.5 --seed 2 < {}", model(), tmpl, input));
  ASSERT_EQ(r.status, 0) << r.err;
  const Json history = read_json_file(saved);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1]["content"].get<std::string>().size(), 12u) << history.dump();
}

TEST_F(PaddedVocab, eval_runs_to_the_end_with_one_character_per_token) {
  const auto r =
      run_aha(fmt::format("eval --threads 2 --model {} --task arithmetic --count 3 --samples 4 --k 1 --max-tokens 8 "
                          "--prompt-template raw --reward accuracy --temperature 1.5 --top-p 1 --out {}",
                          model(), file("eval")));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<Json> items = read_json_lines(file("eval/items.jsonl"));
  ASSERT_EQ(items.size(), 3u);
  for (const Json& item : items)
    for (const Json& c : item["completions"]) {
      EXPECT_EQ(c["tokens"], 8);
      EXPECT_EQ(c["text"].get<std::string>().size(), 8u) << c.dump();
    }
}

TEST_F(PaddedVocab, grpo_runs_to_the_end_with_one_character_per_token) {
  const std::string yaml = file("grpo.yaml");
  test::write_text(yaml, fmt::format("model_name_or_path: {}\noutput_dir: {}\nreward_funcs: [accuracy]\n"
                                     "dataset_task: arithmetic\ndataset_num_examples: 8\nprompt_template: raw\n"
                                     "num_generations: 4\nper_device_train_batch_size: 8\nmax_completion_length: 8\n"
                                     "temperature: 1.5\nlearning_rate: 1e-3\nmax_steps: 2\nlog_completions_steps: 1\n"
                                     "threads: 2\n",
                                     model(), file("grpo")));
  const auto r = run_aha("grpo --config " + yaml);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<Json> completions = read_json_lines(file("grpo/completions.jsonl"));
  ASSERT_EQ(completions.size(), 16u);
  for (const Json& c : completions) {
    EXPECT_TRUE(c["truncated"].get<bool>());
    EXPECT_EQ(c["completion"].get<std::string>().size(), 8u) << c.dump();
  }
}

TEST_F(PaddedVocab, distill_runs_to_the_end_and_keeps_no_cut_off_completion) {
  const std::string yaml = file("distill.yaml");
  test::write_text(yaml, fmt::format("model_name_or_path: {}\ndataset_task: arithmetic\ndataset_num_examples: 3\n"
                                     "prompt_template: raw\nreward_funcs: [accuracy]\nmin_reward: 0\nnum_samples: 4\n"
                                     "max_completion_length: 8\ntemperature: 1.5\noutput_dir: {}\nseed: 3\n",
                                     model(), file("distill")));
  const auto r = run_aha("distill --config " + yaml);
  ASSERT_EQ(r.status, 0) << r.err;
  // EOS is never drawn, so every completion is cut off at 8 tokens and none is kept.
  EXPECT_TRUE(read_json_lines(file("distill/train.jsonl")).empty());
  EXPECT_NE(r.out.find("12 completions generated (12 without EOS"), std::string::npos) << r.out;
}

TEST_F(PaddedVocab, serve_lists_and_samples_only_real_tokens) {
  test::ServeProcess server("--model " + model() + " --threads 2");
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client = server.client();
  const Json body = {{"prompt", "AB"}, {"temperature", 1.5}, {"max_tokens", 16}, {"logprobs", 5}, {"seed", 4}};
  const auto r = client.Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
  const Json choice = test::body_json(r)["choices"][0];
  EXPECT_EQ(choice["text"].get<std::string>().size(), 16u) << choice.dump();
  EXPECT_EQ(choice["finish_reason"], "length");
  // A padded id has no text: listed, it would show as "" (and collapse the five into fewer).
  for (const Json& top : choice["logprobs"]["top_logprobs"]) {
    EXPECT_EQ(top.size(), 5u) << top.dump();
    EXPECT_FALSE(top.contains("")) << top.dump();
  }
}

}  // namespace
}  // namespace aha
