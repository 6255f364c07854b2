// JSON nested deeper than kMaxJsonDepth is refused before parsing, wherever aha reads JSON: the
// parse would succeed, and copying or printing the document then recurses once per level (a
// safetensors header nested 300,000 deep crashed aha with a stack overflow, issue #17).
#include <gtest/gtest.h>

#include <string>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/io/safetensors.hpp"
#include "support/temp_dir.hpp"

namespace aha {
namespace {

std::string nested(int depth, char open = '[', char close = ']') {
  return std::string(static_cast<size_t>(depth), open) + std::string(static_cast<size_t>(depth), close);
}

TEST(JsonDepth, counts_arrays_and_objects_but_not_brackets_in_strings) {
  EXPECT_FALSE(json_too_deep(nested(kMaxJsonDepth)));
  EXPECT_TRUE(json_too_deep(nested(kMaxJsonDepth + 1)));
  std::string objects;
  for (int i = 0; i <= kMaxJsonDepth; ++i) objects += "{\"a\":";
  EXPECT_TRUE(json_too_deep(objects + "1" + std::string(kMaxJsonDepth + 1, '}')));
  // Brackets inside strings, an escaped quote and an escaped backslash before the closing quote.
  EXPECT_FALSE(json_too_deep("[\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\\\\\"]"));
  EXPECT_TRUE(json_too_deep("[\"\\\\\"" + nested(kMaxJsonDepth) + "]"));
  EXPECT_NO_THROW(parse_json(nested(kMaxJsonDepth), "x.json"));
}

TEST(JsonDepth, a_deep_document_is_bad_input_naming_its_origin) {
  for (const std::string& text : {nested(300000), "{\"answer\": " + nested(1000) + "}"}) {
    try {
      parse_json(text, "deep.json");
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      EXPECT_NE(std::string(e.what()).find("deep.json: JSON nested deeper than 256 levels"), std::string::npos)
          << e.what();
    }
  }
}

TEST(JsonDepth, ordered_and_non_throwing_parses_share_the_limit_and_the_messages) {
  EXPECT_EQ(parse_ordered_json("{\"b\": 1, \"a\": [2]}", "x.json").dump(), "{\"b\":1,\"a\":[2]}");
  EXPECT_THROW(parse_ordered_json(nested(kMaxJsonDepth + 1), "x.json"), Error);
  try {
    parse_ordered_json("{\"a\": [[1]]}", "the request body", 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_STREQ(e.what(), "the request body: JSON nested deeper than 2 levels (byte 8)");
  }
  std::string why;
  EXPECT_EQ(try_parse_json("{\"a\": 1}", &why), Json({{"a", 1}}));
  EXPECT_FALSE(try_parse_json(nested(300000), &why));
  EXPECT_EQ(why, "JSON nested deeper than 256 levels (byte 257)");
  EXPECT_FALSE(try_parse_json("[1, ", &why));
  EXPECT_EQ(why, "not valid JSON (byte 5)");
  EXPECT_FALSE(try_parse_json("1e999", &why));
  EXPECT_EQ(why, "not valid JSON (a number out of range)");
  EXPECT_FALSE(try_parse_json("[1, "));
}

TEST(JsonDepth, a_safetensors_header_nested_300000_deep_is_bad_input) {
  test::TempDir dir;
  const std::string header = "{\"t\":{\"dtype\":\"F32\",\"shape\":" + nested(300000) + ",\"data_offsets\":[0,0]}}";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  test::write_text(dir.file("model.safetensors"), file + header);
  try {
    io::SafetensorsFile f(dir.file("model.safetensors"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors (safetensors header): JSON nested deeper than 256 levels"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace aha
