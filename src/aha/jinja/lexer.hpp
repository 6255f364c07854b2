// The Jinja lexer: template text to tokens, with Jinja2's whitespace control as transformers
// configures it (trim_blocks, lstrip_blocks, `{%-`/`-%}`, `{%+`/`+%}`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aha::jinja {

enum class TokenType : uint8_t {
  data,            // template text between tags
  variable_begin,  // {{
  variable_end,    // }}
  block_begin,     // {%
  block_end,       // %}
  name,
  string,  // a string literal, escapes already decoded
  integer,
  floating,
  op,  // an operator or punctuation: + - * / // % ** ~ ( ) [ ] { } . , : | = == != < <= > >=
  eof,
};

struct Token {
  TokenType type;
  std::string text;  // data, name, decoded string or operator
  int64_t integer = 0;
  double floating = 0;
  int line = 0;
};

// Splits `source` into tokens the way Jinja2's lexer does with trim_blocks and lstrip_blocks on;
// comments disappear, raw blocks become data. Throws naming the line for malformed tags.
std::vector<Token> tokenize(std::string_view source);

}  // namespace aha::jinja
