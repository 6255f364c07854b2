// Normalizers and pre-tokenizers, each on its own, against Hugging Face's documented behaviour.
#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "aha/tokenizer/byte_level.hpp"
#include "aha/tokenizer/normalizers.hpp"
#include "aha/tokenizer/pre_tokenizers.hpp"

namespace aha::tokenizer {
namespace {

std::string normalized(const std::string& config, std::string text) {
  const Json json = Json::parse(config);
  make_normalizer(JsonAt(json, "test.json", "normalizer"))->normalize(text);
  return text;
}

std::vector<std::string> pieces_of(const std::string& config, const std::string& text, bool at_start = true) {
  const Json json = Json::parse(config);
  Pieces pieces;
  pieces.first_at_start = at_start;
  pieces.add(text);
  make_pre_tokenizer(JsonAt(json, "test.json", "pre_tokenizer"))->pre_tokenize(pieces);
  pieces.materialize();
  std::vector<std::string> out;
  for (size_t i = 0; i < pieces.size(); ++i) out.emplace_back(pieces[i]);
  return out;
}

using Strings = std::vector<std::string>;

TEST(Normalizers, UnicodeFormsComposeAndDecompose) {
  EXPECT_EQ(normalized(R"({"type":"NFC"})", "e\xCC\x81"), "\xC3\xA9");  // e + acute -> é
  EXPECT_EQ(normalized(R"({"type":"NFD"})", "\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(normalized(R"({"type":"NFKC"})", "\xEF\xAC\x81 \xE2\x91\xA0"), "fi 1");  // ﬁ ①
  EXPECT_EQ(normalized(R"({"type":"NFC"})", "\xEF\xAC\x81"), "\xEF\xAC\x81");        // NFC keeps the ligature
  EXPECT_EQ(normalized(R"({"type":"NFKD"})", "\xC2\xBD"),
            "1\xE2\x81\x84"
            "2");  // ½ -> 1⁄2
}

TEST(Normalizers, LowercaseUsesFullMappings) {
  EXPECT_EQ(normalized(R"({"type":"Lowercase"})", "ÀB \xC4\xB0 \xCE\xA3"), "àb i\xCC\x87 \xCF\x83");
}

TEST(Normalizers, SequenceReplacePrependStrip) {
  const std::string llama2 = R"({"type":"Sequence","normalizers":[
      {"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]})";
  EXPECT_EQ(normalized(llama2, "Hey friend"), "▁Hey▁friend");
  EXPECT_EQ(normalized(llama2, ""), "");  // Prepend leaves an empty text empty
  EXPECT_EQ(normalized(R"({"type":"Strip","strip_left":true,"strip_right":false})", " \t x \n"), "x \n");
  EXPECT_EQ(normalized(R"({"type":"Strip","strip_left":true,"strip_right":true})", "\xE3\x80\x80x "), "x");
  EXPECT_EQ(normalized(R"({"type":"Replace","pattern":{"Regex":"\\d+"},"content":"#"})", "a1b22c"), "a#b#c");
  EXPECT_EQ(normalized(R"({"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"}]})", "café"),
            "cafe");
}

TEST(Normalizers, AnUnknownTypeIsNamed) {
  const Json json = Json::parse(R"({"type":"Precompiled","precompiled_charsmap":""})");
  try {
    make_normalizer(JsonAt(json, "t.json", "normalizer"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.json: normalizer.type: normalizer 'Precompiled' is not supported"),
              std::string::npos)
        << e.what();
  }
}

// The example of Hugging Face's SplitDelimiterBehavior documentation.
TEST(PreTokenizers, SplitHonoursEveryBehavior) {
  auto split = [](const std::string& behavior, bool invert = false) {
    return pieces_of(R"({"type":"Split","pattern":{"String":"-"},"behavior":")" + behavior + R"(","invert":)" +
                         (invert ? "true" : "false") + "}",
                     "the-final--countdown");
  };
  EXPECT_EQ(split("Removed"), (Strings{"the", "final", "countdown"}));
  EXPECT_EQ(split("Isolated"), (Strings{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split("MergedWithPrevious"), (Strings{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split("MergedWithNext"), (Strings{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split("Contiguous"), (Strings{"the", "-", "final", "--", "countdown"}));
  EXPECT_EQ(split("Removed", true), (Strings{"-", "-", "-"}));
}

TEST(PreTokenizers, DigitsSplitsRunsOrSingleDigits) {
  EXPECT_EQ(pieces_of(R"({"type":"Digits","individual_digits":false})", "ab123cd4"), (Strings{"ab", "123", "cd", "4"}));
  EXPECT_EQ(pieces_of(R"({"type":"Digits","individual_digits":true})", "a12\xD9\xA3"),
            (Strings{"a", "1", "2", "\xD9\xA3"}));  // Arabic-Indic three is a digit too
}

TEST(PreTokenizers, MetaspaceReplacesSpacesAndPrepends) {
  const std::string always = R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true})";
  EXPECT_EQ(pieces_of(always, "Hey   friend!"), (Strings{"▁Hey", "▁", "▁", "▁friend!"}));
  const std::string first = R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false})";
  EXPECT_EQ(pieces_of(first, "Hey you"), (Strings{"▁Hey▁you"}));
  EXPECT_EQ(pieces_of(first, "how are", false), (Strings{"how▁are"}));  // not at the start of the input
  const std::string never = R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"never"})";
  EXPECT_EQ(pieces_of(never, "a b"), (Strings{"a", "▁b"}));
  const std::string legacy = R"({"type":"Metaspace","replacement":"▁","add_prefix_space":true})";
  EXPECT_EQ(pieces_of(legacy, "a"), (Strings{"▁a"}));
}

TEST(PreTokenizers, ByteLevelMapsBytesAndSplitsLikeGpt2) {
  EXPECT_EQ(pieces_of(R"({"type":"ByteLevel","add_prefix_space":true,"use_regex":true})", "Hello my friend, 12!"),
            (Strings{"ĠHello", "Ġmy", "Ġfriend", ",", "Ġ12", "!"}));
  EXPECT_EQ(pieces_of(R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":false})", "a b\n\xC3\xA9"),
            (Strings{"aĠbĊÃ©"}));
  std::string bytes;
  EXPECT_TRUE(byte_level::decode("aĠbĊÃ©", bytes));
  EXPECT_EQ(bytes, "a b\n\xC3\xA9");
}

TEST(PreTokenizers, SequenceAppliesEachStepToEveryPiece) {
  const std::string deepseek_like = R"({"type":"Sequence","pretokenizers":[
      {"type":"Split","pattern":{"Regex":"\\p{N}{1,3}"},"behavior":"Isolated","invert":false},
      {"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"Removed","invert":false}]})";
  EXPECT_EQ(pieces_of(deepseek_like, "abc 12345 de"), (Strings{"abc", "123", "45", "de"}));
}

}  // namespace
}  // namespace aha::tokenizer
