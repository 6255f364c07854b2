// The whole pipeline on small tokenizers built in code (see fixtures.hpp).
#include "aha/tokenizer/tokenizer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "aha/base/error.hpp"
#include "tests/tokenizer/fixtures.hpp"

namespace aha::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using testing::byte_char;

// h e -> 256, l l -> 257, he ll -> 258, hell o -> 259, Ġ w -> 260, o r -> 261, Ġw or -> 262;
// added tokens <|end|> = 263 (special) and <think> = 264.
Json hello_json() {
  return testing::byte_level_json(
      {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"o", "r"}, {"Ġw", "or"}});
}

Tokenizer hello() { return Tokenizer::from_json(hello_json(), "hello.json"); }

std::string error_of(const Json& json) {
  try {
    Tokenizer::from_json(json, "bad.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Tokenizer, ByteLevelBpeAppliesMergesByRank) {
  const Tokenizer t = hello();
  EXPECT_EQ(t.encode("hello world"), (Ids{259, 262, 'l', 'd'}));
  EXPECT_EQ(t.decode(t.encode("hello world")), "hello world");
  EXPECT_EQ(t.encode(""), Ids{});
}

TEST(Tokenizer, EqualRanksMergeLeftmostFirst) {
  const Tokenizer t = Tokenizer::from_json(testing::byte_level_json({{"a", "a"}}), "aa.json");
  EXPECT_EQ(t.encode("aaa"), (Ids{256, 'a'}));
  EXPECT_EQ(t.encode("aaaa"), (Ids{256, 256}));
}

TEST(Tokenizer, AddedTokensAreMatchedBeforePreTokenization) {
  const Tokenizer t = hello();
  EXPECT_EQ(t.encode("x<|end|>y"), (Ids{'x', 263, 'y'}));
  EXPECT_EQ(t.encode("<think>hello<|end|>"), (Ids{264, 259, 263}));
  EXPECT_EQ(t.encode("<|end"), (Ids{'<', '|', 'e', 'n', 'd'}));
  EXPECT_EQ(t.encode("hello", true), (Ids{263, 259}));  // the template puts <|end|> first
}

TEST(Tokenizer, DecodeKeepsOrSkipsSpecialTokens) {
  const Tokenizer t = hello();
  const Ids ids = t.encode("<think>hello<|end|>");
  EXPECT_EQ(t.decode(ids), "<think>hello<|end|>");
  EXPECT_EQ(t.decode(ids, true), "<think>hello");  // <think> is added but not special
  EXPECT_TRUE(t.is_special(263));
  EXPECT_FALSE(t.is_special(264));
  EXPECT_EQ(*t.id_to_token(263), "<|end|>");
  EXPECT_EQ(t.token_to_id("hello"), 259);
  EXPECT_EQ(t.vocab_size(), 265);
}

TEST(Tokenizer, DecodingAnUnknownIdFailsNamingIt) {
  const Tokenizer t = hello();
  try {
    t.decode(Ids{5000});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token id 5000 is not in the vocabulary"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, LstripRstripSwallowTheWhiteSpaceBesideAToken) {
  Json json = hello_json();
  json["added_tokens"][1]["lstrip"] = true;
  json["added_tokens"][1]["rstrip"] = true;
  const Tokenizer t = Tokenizer::from_json(json, "strip.json");
  EXPECT_EQ(t.encode("a  <think> \n b"), (Ids{'a', 264, 'b'}));
  EXPECT_EQ(t.encode("<think>"), (Ids{264}));
}

TEST(Tokenizer, SingleWordTokensDoNotMatchInsideWords) {
  Json json = hello_json();
  json["added_tokens"].push_back({{"id", 265}, {"content", "ok"}, {"single_word", true}, {"normalized", false}});
  const Tokenizer t = Tokenizer::from_json(json, "single.json");
  EXPECT_EQ(t.encode("ok"), (Ids{265}));
  EXPECT_EQ(t.encode("is ok."), (Ids{'i', 's', ' ', 265, '.'}));
  EXPECT_EQ(t.encode("book"), (Ids{'b', 'o', 'o', 'k'}));
}

TEST(Tokenizer, NormalizedTokensMatchTheNormalizedText) {
  Json json = hello_json();
  json["normalizer"] = {{"type", "Lowercase"}};
  json["added_tokens"].push_back({{"id", 265}, {"content", "WORLD"}, {"normalized", true}});
  const Tokenizer t = Tokenizer::from_json(json, "norm.json");
  EXPECT_EQ(t.encode("Hello World"), (Ids{259, ' ', 265}));
  EXPECT_EQ(t.normalize("A<|end|>B"), "a<|end|>b");  // the special token is not normalized
}

TEST(Tokenizer, InvalidUtf8IsRepairedNotRejected) {
  const Tokenizer t = hello();
  EXPECT_EQ(t.encode("a\xFF"
                     "b"),
            t.encode("a\xEF\xBF\xBD"
                     "b"));
  EXPECT_EQ(t.decode(t.encode("a\xFF"
                              "b")),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(Tokenizer, ByteFallbackAndMetaspaceRoundTrip) {
  const Tokenizer t = Tokenizer::from_json(testing::sentencepiece_json(), "sp.json");
  const int32_t hello_id = *t.token_to_id("▁hello"), world_id = *t.token_to_id("▁world");
  EXPECT_EQ(t.encode("hello world"), (Ids{hello_id, world_id}));
  EXPECT_EQ(t.encode("hello world", true), (Ids{1, hello_id, world_id}));
  // é is not in the vocabulary: its two UTF-8 bytes come as <0xC3> <0xA9>.
  const Ids ids = t.encode("hé");
  EXPECT_EQ(ids, (Ids{*t.token_to_id("▁h"), 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t.decode(ids), "hé");
  EXPECT_EQ(t.decode(t.encode("hello world")), "hello world");
}

TEST(Tokenizer, UnknownCharactersFuseIntoOneUnkWithoutByteFallback) {
  Json json = testing::sentencepiece_json();
  json["model"]["byte_fallback"] = false;
  const Tokenizer t = Tokenizer::from_json(json, "unk.json");
  EXPECT_EQ(t.encode("hé€"), (Ids{*t.token_to_id("▁h"), 0}));
}

TEST(Tokenizer, ContinuingSubwordPrefixAndEndOfWordSuffix) {
  const Json json = {
      {"model",
       {{"type", "BPE"},
        {"continuing_subword_prefix", "##"},
        {"end_of_word_suffix", "</w>"},
        {"vocab", {{"a", 0}, {"##b", 1}, {"##c</w>", 2}, {"a##b", 3}, {"ab", 4}, {"ab##c</w>", 5}, {"abc</w>", 6}}},
        {"merges", {"a ##b", "ab ##c</w>"}}}},
      {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
  };
  const Tokenizer t = Tokenizer::from_json(json, "wp.json");
  EXPECT_EQ(t.encode("abc"), (Ids{6}));
}

TEST(Tokenizer, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  Json json = testing::byte_level_json({{"h", "e"}});
  json["model"]["vocab"]["hey"] = 300;
  json["model"]["ignore_merges"] = true;
  const Tokenizer t = Tokenizer::from_json(json, "ignore.json");
  EXPECT_EQ(t.encode("hey he"), (Ids{300, ' ', 256}));
}

TEST(Tokenizer, EncodingOnSeveralThreadsAtOnceGivesTheSameIds) {
  const Tokenizer t = hello();
  std::vector<std::string> texts;
  for (int i = 0; i < 2000; ++i)
    texts.push_back("hello world " + std::to_string(i * 7919) + " hell" + std::string(i % 50, 'o'));
  std::vector<Ids> expected;
  for (const auto& text : texts) expected.push_back(t.encode(text));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (size_t i = static_cast<size_t>(k); i < texts.size() * 2; i += 3)
        if (t.encode(texts[i % texts.size()]) != expected[i % texts.size()]) ++mismatches;
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, 0);
}

TEST(Tokenizer, MalformedFilesFailNamingTheField) {
  EXPECT_NE(error_of(Json::array()).find("bad.json: expected an object, found array"), std::string::npos);
  EXPECT_NE(error_of(Json::object()).find("bad.json: model: missing field"), std::string::npos);
  Json unigram = hello_json();
  unigram["model"]["type"] = "Unigram";
  EXPECT_NE(error_of(unigram).find("bad.json: model.type: model 'Unigram' is not supported"), std::string::npos);
  Json bad_merge = hello_json();
  bad_merge["model"]["merges"].push_back({"x", "zz"});
  EXPECT_NE(error_of(bad_merge).find("bad.json: model.merges[7]: merge of 'x' and 'zz' uses a token that is not"),
            std::string::npos)
      << error_of(bad_merge);
  Json bad_split = hello_json();
  bad_split["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways";
  EXPECT_NE(error_of(bad_split).find("pre_tokenizer.pretokenizers[0].behavior: unknown behavior 'Sideways'"),
            std::string::npos);
  Json bad_id = hello_json();
  bad_id["added_tokens"][0]["id"] = -3;
  EXPECT_NE(error_of(bad_id).find("added_tokens[0].id: -3 is out of range"), std::string::npos);
  try {
    Tokenizer::from_json_text("{\"model\": ", "cut.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.json: not valid JSON"), std::string::npos);
  }
}

}  // namespace
}  // namespace aha::tokenizer
