#include "aha/tokenizer/trainer.hpp"

#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "aha/tokenizer/tokenizer.hpp"

namespace aha::tokenizer {
namespace {

const char* kText =
    "the cat sat on the mat. the dog sat on the log. then the cat and the dog ate 12 apples.\n"
    "Über die Brücke gehen wir morgen, über die Straße heute. 猫が好きです。猫と犬。\n";

TrainResult train(int32_t vocab_size, std::vector<std::string> specials = {"<|endoftext|>"}) {
  BpeTrainer trainer({vocab_size, std::move(specials)});
  for (int i = 0; i < 20; ++i) trainer.add_text(kText);
  return trainer.finish();
}

TEST(Trainer, LearnsTheRequestedVocabularySize) {
  const TrainResult result = train(300);
  EXPECT_EQ(result.vocab_size, 300);
  EXPECT_EQ(result.merges, 300 - 256 - 1);
  const Tokenizer t = Tokenizer::from_json_text(result.json, "trained.json");
  EXPECT_EQ(t.vocab_size(), 300);
  EXPECT_EQ(t.token_to_id("<|endoftext|>"), 299);
  EXPECT_TRUE(t.is_special(299));
}

TEST(Trainer, FrequentWordsBecomeSingleTokens) {
  const Tokenizer t = Tokenizer::from_json_text(train(400).json, "trained.json");
  EXPECT_EQ(t.encode(" the").size(), 1u);
  EXPECT_EQ(t.encode(" cat").size(), 1u);
  EXPECT_EQ(t.encode("12").size(), 2u);  // digits are split one by one
  EXPECT_EQ(t.encode("the<|endoftext|>").back(), *t.token_to_id("<|endoftext|>"));
}

TEST(Trainer, RoundTripsAnyText) {
  const Tokenizer t = Tokenizer::from_json_text(train(350).json, "trained.json");
  for (const char* text : {"the cat", "never seen: Ωμέγα 😀 \t\n  x", "", "e\xCC\x81"}) {
    EXPECT_EQ(t.decode(t.encode(text)), t.normalize(text)) << text;
  }
  EXPECT_EQ(t.decode(t.encode("e\xCC\x81")), "\xC3\xA9");  // NFC
}

TEST(Trainer, IsDeterministic) { EXPECT_EQ(train(320).json, train(320).json); }

TEST(Trainer, StopsWhenNoPairIsLeft) {
  BpeTrainer trainer({100000, {}});
  trainer.add_text("abab");
  const TrainResult result = trainer.finish();
  EXPECT_LT(result.vocab_size, 100000);
  const Tokenizer t = Tokenizer::from_json_text(result.json, "tiny.json");
  EXPECT_EQ(t.encode("abab").size(), 1u);
}

TEST(Trainer, RejectsAVocabularyTooSmallForTheBytes) { EXPECT_THROW(BpeTrainer({200, {"<|endoftext|>"}}), Error); }

}  // namespace
}  // namespace aha::tokenizer
