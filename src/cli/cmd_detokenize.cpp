// `aha detokenize`: token ids to text. stdin: one JSON array of ids a line; stdout: one JSON
// string a line. Special tokens are kept unless --skip-special.
#include <cstdio>
#include <iostream>
#include <memory>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct DetokenizeOptions {
  std::string tokenizer;
  bool skip_special = false;
};

std::vector<int32_t> parse_id_array(const std::string& line, size_t number) {
  const Json value = parse_json(line, fmt::format("stdin line {}", number));
  if (!value.is_array())
    fail("stdin line {}: expected a JSON array of token ids, found {}", number, json_type_name(value));
  std::vector<int32_t> ids;
  ids.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& v = value[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX)
      fail("stdin line {}: element {} is not a token id (a non-negative integer)", number, i);
    ids.push_back(v.get<int32_t>());
  }
  return ids;
}

int run_detokenize(const DetokenizeOptions& o) {
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(o.tokenizer);
  std::ios::sync_with_stdio(false);
  std::string line;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    const std::vector<int32_t> ids = parse_id_array(line, number);
    std::string text;
    try {
      text = tok.decode(ids, o.skip_special);
    } catch (const Error& e) {
      fail("stdin line {}: {}", number, e.what());
    }
    const std::string out = Json(text).dump() + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);  // a caller may wait for each answer before sending the next line
  }
  return 0;
}

const bool registered = register_command({
    "detokenize",
    "Decode token ids to text: one JSON array of ids a line on stdin, one JSON string a line on stdout",
    [](CLI::App& app) {
      auto o = std::make_shared<DetokenizeOptions>();
      app.add_option("--tokenizer", o->tokenizer,
                     "A tokenizer.json file, a model directory holding one, or a .gguf file")
          ->required();
      app.add_flag("--skip-special", o->skip_special, "Leave special tokens out of the text");
      return [o] { return run_detokenize(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
