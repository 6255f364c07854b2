#include "aha/tokenizer/utf8.hpp"

#include <gtest/gtest.h>

namespace aha::tokenizer::utf8 {
namespace {

TEST(Utf8, ValidTextIsKeptByteForByte) {
  const std::string text = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\xEF\xBF\xBD";  // a é 中 😀 U+FFFD
  EXPECT_TRUE(is_valid(text));
  EXPECT_EQ(sanitize(text), text);
  EXPECT_EQ(count(text), 5u);
}

TEST(Utf8, InvalidSequencesBecomeOneReplacementPerMaximalSubpart) {
  // As the WHATWG decoder (and so Node and browsers) repairs them.
  EXPECT_EQ(sanitize("a\xFF"
                     "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitize("\xE4\xB8"), "\xEF\xBF\xBD");                              // truncated 3-byte sequence: one
  EXPECT_EQ(sanitize("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong: two
  EXPECT_EQ(sanitize("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate: three
  EXPECT_EQ(sanitize("\xF4\x90\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // past U+10FFFF
  EXPECT_FALSE(is_valid("\xF0\x9F\x98"));
}

TEST(Utf8, CompletePrefixHoldsBackOnlyAnUnfinishedCharacter) {
  EXPECT_EQ(complete_prefix("ab"), 2u);
  EXPECT_EQ(complete_prefix("a\xF0\x9F\x98"), 1u);  // first three bytes of 😀
  EXPECT_EQ(complete_prefix("a\xF0\x9F\x98\x80"), 5u);
  EXPECT_EQ(complete_prefix("a\xE4"), 1u);
  EXPECT_EQ(complete_prefix("a\xFF"), 2u);  // invalid, never completes: hand it out
  EXPECT_EQ(complete_prefix("a\xE4"
                            "b"),
            3u);  // broken already: hand it out
  EXPECT_EQ(complete_prefix(""), 0u);
}

TEST(Utf8, NextDecodesAndAppendEncodes) {
  const std::string text = "\xF0\x9F\x98\x80x";
  size_t pos = 0;
  EXPECT_EQ(next(text, pos), U'\U0001F600');
  EXPECT_EQ(pos, 4u);
  std::string out;
  append(out, U'\U0001F600');
  append(out, 0xD800);  // a surrogate is not a character
  EXPECT_EQ(out, "\xF0\x9F\x98\x80\xEF\xBF\xBD");
}

}  // namespace
}  // namespace aha::tokenizer::utf8
