// `aha tokenize`: text to token ids. stdin: one JSON string a line; stdout: one JSON array of ids
// a line.
#include <cstdio>
#include <iostream>
#include <memory>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "aha/tokenizer/utf8.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct TokenizeOptions {
  std::string tokenizer;
  bool add_special = false;
};

int run_tokenize(const TokenizeOptions& o) {
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(o.tokenizer);
  std::ios::sync_with_stdio(false);
  std::string line, out;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    // Bytes that are not UTF-8 become U+FFFD, as a JavaScript or browser reader decodes them.
    if (!tokenizer::utf8::is_valid(line)) line = tokenizer::utf8::sanitize(line);
    const Json value = parse_json(line, fmt::format("stdin line {}", number));
    if (!value.is_string()) fail("stdin line {}: expected a JSON string, found {}", number, json_type_name(value));
    const std::vector<int32_t> ids = tok.encode(value.get_ref<const std::string&>(), o.add_special);
    out.clear();
    out.push_back('[');
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += std::to_string(ids[i]);
    }
    out += "]\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);  // a caller may wait for each answer before sending the next line
  }
  return 0;
}

const bool registered = register_command({
    "tokenize",
    "Encode text to token ids: one JSON string a line on stdin, one JSON array of ids a line on stdout",
    [](CLI::App& app) {
      auto o = std::make_shared<TokenizeOptions>();
      app.add_option("--tokenizer", o->tokenizer,
                     "A tokenizer.json file, a model directory holding one, or a .gguf file")
          ->required();
      app.add_flag("--add-special", o->add_special, "Add the special tokens the post-processor defines (e.g. BOS)");
      return [o] { return run_tokenize(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
