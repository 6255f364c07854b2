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
        chat("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% if m['role'] == 'assistant' %}"
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
              std::string::npos) << e.what();
  }
}

TEST_F(SftDataset, record_without_known_fields_names_the_line) {
  try {
    read("{\"question\": \"x\"}\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sft.jsonl:1: expected {\"prompt\", \"completion\"} or {\"messages\"}"),
              std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aha::data
