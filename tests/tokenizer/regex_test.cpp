#include "aha/tokenizer/regex.hpp"

#include <gtest/gtest.h>

#include "aha/base/error.hpp"

namespace aha::tokenizer {
namespace {

std::vector<std::string> matches(const Regex& re, const std::string& text) {
  std::vector<Match> found;
  re.find_all(text, found);
  std::vector<std::string> out;
  for (const Match& m : found) out.push_back(text.substr(m.begin, m.end - m.begin));
  return out;
}

TEST(Regex, WhiteSpaceFollowsJavaScript) {
  const Regex space = Regex::compile("\\s+", "test");
  EXPECT_EQ(matches(space,
                    "a\xEF\xBB\xBF"
                    "b"),
            std::vector<std::string>{"\xEF\xBB\xBF"});  // U+FEFF is \s
  EXPECT_TRUE(matches(space,
                      "a\xC2\x85"
                      "b")
                  .empty());  // U+0085 is not
  EXPECT_TRUE(matches(space,
                      "a\xE1\xA0\x8E"
                      "b")
                  .empty());  // nor U+180E
  const Regex not_space = Regex::compile("[^\\s\\p{L}]+", "test");
  EXPECT_EQ(matches(not_space, "x\xC2\x85!"), std::vector<std::string>{"\xC2\x85!"});
}

TEST(Regex, CaseInsensitiveGroupsFoldAsciiOnly) {
  const Regex re = Regex::compile("(?i:'s|'ll)", "test");
  EXPECT_EQ(matches(re, "it's IT'S we'LL it'\xC5\xBF"), (std::vector<std::string>{"'s", "'S", "'LL"}));
  EXPECT_EQ(translate_pattern("(?i:a\\p{L})b"), "(?:[aA]\\p{L})b");
}

TEST(Regex, Qwen2PatternSplitsAsTheReference) {
  const Regex re = Regex::compile(
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
      "\\s+(?!\\S)|\\s+",
      "test");
  EXPECT_EQ(matches(re, "Hello  world's 123!\n\n  x"),
            (std::vector<std::string>{"Hello", " ", " world", "'s", " ", "1", "2", "3", "!\n\n", " ", " x"}));
}

TEST(Regex, EmptyMatchesAdvanceByOneCharacter) {
  const Regex re = Regex::compile("x*", "test");
  EXPECT_EQ(matches(re, "\xC3\xA9x"), (std::vector<std::string>{"", "x", ""}));
}

TEST(Regex, LiteralPatternsMatchTheirText) {
  EXPECT_EQ(matches(Regex::literal("a.b("), "a.b(xa-b("), std::vector<std::string>{"a.b("});
}

TEST(Regex, AnInvalidPatternNamesWhereItCameFrom) {
  try {
    Regex::compile("(unclosed", "tokenizer.json: pre_tokenizer.pattern.Regex");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json: pre_tokenizer.pattern.Regex: invalid regular expression"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace aha::tokenizer
