#include "aha/jinja/lexer.hpp"

#include <cstdlib>
#include <cstring>

#include "aha/base/error.hpp"
#include "aha/base/text.hpp"
#include "aha/jinja/utf8.hpp"

namespace aha::jinja {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Jinja2 reads templates with every \r\n and \r turned into \n and one trailing newline dropped.
std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Python's "unicode-escape" decoding of a string literal's body, as Jinja2 applies it.
std::string decode_escapes(std::string_view raw, int line) {
  std::string out;
  for (size_t k = 0; k < raw.size(); ++k) {
    if (raw[k] != '\\') {
      out += raw[k];
      continue;
    }
    const char c = raw[++k];  // the lexer guarantees a character after every backslash
    auto hex_escape = [&](size_t digits) {
      char32_t cp = 0;
      for (size_t d = 1; d <= digits; ++d) {
        const int v = k + d < raw.size() ? hex_value(raw[k + d]) : -1;
        if (v < 0) fail("line {}: truncated \\{}{} escape in a string literal", line, c, std::string(digits, 'X'));
        cp = cp * 16 + static_cast<char32_t>(v);
      }
      k += digits;
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        fail("line {}: string literal escape \\{} names an invalid character", line, c);
      append_utf8(out, cp);
    };
    switch (c) {
      case '\n': break;
      case '\\':
      case '\'':
      case '"': out += c; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': hex_escape(2); break;
      case 'u': hex_escape(4); break;
      case 'U': hex_escape(8); break;
      case 'N': fail("line {}: \\N{{...}} escapes in string literals are not supported", line);
      default:
        if (c >= '0' && c <= '7') {
          char32_t cp = 0;
          size_t d = 0;
          for (; d < 3 && k + d < raw.size() && raw[k + d] >= '0' && raw[k + d] <= '7'; ++d)
            cp = cp * 8 + static_cast<char32_t>(raw[k + d] - '0');
          k += d - 1;
          append_utf8(out, cp);
        } else if (static_cast<unsigned char>(c) >= 0x80) {
          fail("line {}: a backslash before a non-ASCII character in a string literal is not supported", line);
        } else {
          out += '\\';
          out += c;
        }
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) lex_root();
    tokens_.push_back({TokenType::eof, "", 0, 0, line_at(pos_)});
    return std::move(tokens_);
  }

 private:
  bool at(size_t p, const char* text) const { return src_.compare(p, std::strlen(text), text) == 0; }

  int line_at(size_t p) {
    for (; line_pos_ < p && line_pos_ < src_.size(); ++line_pos_)
      if (src_[line_pos_] == '\n') ++line_;
    return line_;
  }

  size_t skip_spaces(size_t p) const {
    while (size_t n = space_length_at(src_, p)) p += n;
    return p;
  }

  void emit(TokenType type, std::string text, size_t at_pos) {
    tokens_.push_back({type, std::move(text), 0, 0, line_at(at_pos)});
  }

  // Applies `{%-`, `{%+` and lstrip_blocks to the text before a tag; `variable` tags only strip with '-'.
  std::string strip_before_tag(std::string text, char sign, bool variable) const {
    if (sign == '-') {
      size_t end = text.size();
      while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        if (space_length_at(text, start) != end - start) break;
        end = start;
      }
      text.resize(end);
    } else if (sign != '+' && !variable) {
      const size_t l_pos = text.rfind('\n') + 1;  // npos + 1 == 0
      size_t end = l_pos;
      while (size_t n = space_length_at(text, end)) end += n;
      if ((l_pos > 0 || line_starting_) && l_pos < text.size() && end == text.size()) text.resize(l_pos);
    }
    return text;
  }

  // The end of `{% raw %}` starting at `p`, or 0 when the tag there is not a raw tag.
  size_t match_raw_begin(size_t p) const {
    p += 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = skip_spaces(p);
    if (!at(p, "raw")) return 0;
    p = skip_spaces(p + 3);
    if (at(p, "-%}")) return skip_spaces(p + 3);
    if (at(p, "%}")) return p + 2;
    return 0;
  }

  void lex_root() {
    size_t start = pos_;
    while ((start = src_.find('{', start)) != std::string::npos) {
      if (start + 1 < src_.size() && std::strchr("{%#", src_[start + 1]) && src_[start + 1] != '\0') break;
      ++start;
    }
    if (start == std::string::npos) {
      emit(TokenType::data, src_.substr(pos_), pos_);
      pos_ = src_.size();
      return;
    }
    const char kind = src_[start + 1];
    const char sign =
        start + 2 < src_.size() && (src_[start + 2] == '-' || src_[start + 2] == '+') ? src_[start + 2] : 0;
    const size_t raw_end = kind == '%' ? match_raw_begin(start) : 0;
    std::string text = strip_before_tag(src_.substr(pos_, start - pos_), sign, kind == '{');
    if (!text.empty()) emit(TokenType::data, std::move(text), pos_);
    if (raw_end) {
      line_starting_ = src_[raw_end - 1] == '\n';
      return lex_raw(raw_end);
    }
    pos_ = start + 2 + (sign ? 1 : 0);
    line_starting_ = false;
    if (kind == '#') return lex_comment(start);
    lex_tag(kind, start);
  }

  void lex_raw(size_t p) {
    for (size_t i = src_.find("{%", p); i != std::string::npos; i = src_.find("{%", i + 1)) {
      size_t q = i + 2;
      const char sign = q < src_.size() && (src_[q] == '-' || src_[q] == '+') ? src_[q] : 0;
      q = skip_spaces(q + (sign ? 1 : 0));
      if (!at(q, "endraw")) continue;
      q = skip_spaces(q + 6);
      size_t end = 0;
      if (at(q, "+%}")) end = q + 3;
      else if (at(q, "-%}")) end = skip_spaces(q + 3);
      else if (at(q, "%}")) end = q + 2 + (at(q + 2, "\n") ? 1 : 0);
      if (!end) continue;
      std::string text = strip_before_tag(src_.substr(p, i - p), sign, false);
      if (!text.empty()) emit(TokenType::data, std::move(text), p);
      line_starting_ = src_[end - 1] == '\n';
      pos_ = end;
      return;
    }
    fail("line {}: missing end of raw directive", line_at(p));
  }

  void lex_comment(size_t start) {
    for (size_t i = pos_; i < src_.size(); ++i) {
      size_t end = 0;
      if (at(i, "+#}")) end = i + 3;
      else if (at(i, "-#}")) end = skip_spaces(i + 3);
      else if (at(i, "#}")) end = i + 2 + (at(i + 2, "\n") ? 1 : 0);
      if (!end) continue;
      line_starting_ = src_[end - 1] == '\n';
      pos_ = end;
      return;
    }
    fail("line {}: missing end of comment tag", line_at(start));
  }

  // The end of the closing delimiter at pos_, or 0 when there is none.
  size_t match_tag_end(char kind) const {
    if (kind == '{') {
      if (at(pos_, "-}}")) return skip_spaces(pos_ + 3);
      return at(pos_, "}}") ? pos_ + 2 : 0;
    }
    if (at(pos_, "+%}")) return pos_ + 3;
    if (at(pos_, "-%}")) return skip_spaces(pos_ + 3);
    if (at(pos_, "%}")) return pos_ + 2 + (at(pos_ + 2, "\n") ? 1 : 0);
    return 0;
  }

  void lex_tag(char kind, size_t start) {
    emit(kind == '{' ? TokenType::variable_begin : TokenType::block_begin, "", start);
    std::string balance;  // closers of the brackets open inside the tag
    while (true) {
      if (pos_ >= src_.size())
        fail("line {}: unexpected end of template inside a {} tag", line_at(start), kind == '{' ? "{{ }}" : "{% %}");
      if (balance.empty()) {
        if (const size_t end = match_tag_end(kind)) {
          emit(kind == '{' ? TokenType::variable_end : TokenType::block_end, "", pos_);
          line_starting_ = src_[end - 1] == '\n';
          pos_ = end;
          return;
        }
      }
      if (const size_t after = skip_spaces(pos_); after != pos_) {
        pos_ = after;
        continue;
      }
      lex_expression_token(balance);
    }
  }

  // Digits with single underscores between them, starting at `p`; returns the end or `p`.
  size_t match_digits(size_t p) const {
    if (p >= src_.size() || !is_digit(src_[p])) return p;
    size_t q = p;
    while (q < src_.size() && is_digit(src_[q])) ++q;
    while (q + 1 < src_.size() && src_[q] == '_' && is_digit(src_[q + 1])) {
      ++q;
      while (q < src_.size() && is_digit(src_[q])) ++q;
    }
    return q;
  }

  // The end of a float literal at pos_, or 0.
  size_t match_float() const {
    if (pos_ > 0 && src_[pos_ - 1] == '.') return 0;
    const size_t whole = match_digits(pos_);
    if (whole == pos_) return 0;
    auto exponent = [&](size_t p) -> size_t {
      if (p >= src_.size() || (src_[p] != 'e' && src_[p] != 'E')) return 0;
      ++p;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      const size_t end = match_digits(p);
      return end == p ? 0 : end;
    };
    size_t fraction = 0;
    if (whole < src_.size() && src_[whole] == '.') {
      const size_t end = match_digits(whole + 1);
      if (end != whole + 1) fraction = end;
    }
    if (fraction)
      if (const size_t end = exponent(fraction)) return end;
    if (const size_t end = exponent(whole)) return end;
    return fraction;
  }

  // The end of an integer literal at pos_ and its base, or 0.
  size_t match_integer(int& base) const {
    const char c = src_[pos_];
    if (c == '0' && pos_ + 1 < src_.size()) {
      const char b = static_cast<char>(src_[pos_ + 1] | 0x20);
      base = b == 'b' ? 2 : b == 'o' ? 8 : b == 'x' ? 16 : 10;
      if (base != 10) {
        size_t q = pos_ + 2;
        auto digit_ok = [&](char d) {
          const int v = hex_value(d);
          return v >= 0 && v < base;
        };
        while (q < src_.size() &&
               (digit_ok(src_[q]) || (src_[q] == '_' && q + 1 < src_.size() && digit_ok(src_[q + 1]))))
          ++q;
        return q == pos_ + 2 ? 0 : q;
      }
    }
    base = 10;
    if (c == '0') {
      size_t q = pos_ + 1;
      while (q < src_.size() && (src_[q] == '0' || (src_[q] == '_' && q + 1 < src_.size() && src_[q + 1] == '0'))) ++q;
      return q;
    }
    return is_digit(c) ? match_digits(pos_) : 0;
  }

  void lex_number(size_t end, bool is_float, int base) {
    std::string text;
    for (size_t i = pos_; i < end; ++i)
      if (src_[i] != '_') text += src_[i];
    Token token{is_float ? TokenType::floating : TokenType::integer, text, 0, 0, line_at(pos_)};
    if (is_float) {
      token.floating = std::strtod(text.c_str(), nullptr);
    } else {
      errno = 0;
      const char* digits = text.c_str() + (base == 10 ? 0 : 2);
      token.integer = std::strtoll(digits, nullptr, base);
      if (errno == ERANGE)
        fail("line {}: integer literal {} is too large (aha's integers are 64-bit)", token.line, text);
    }
    tokens_.push_back(std::move(token));
    pos_ = end;
  }

  void lex_string() {
    const char quote = src_[pos_];
    size_t i = pos_ + 1;
    while (i < src_.size() && src_[i] != quote) i += src_[i] == '\\' ? 2 : 1;
    if (i >= src_.size()) fail("line {}: unterminated string literal", line_at(pos_));
    const int line = line_at(pos_);
    emit(TokenType::string, decode_escapes(std::string_view(src_).substr(pos_ + 1, i - pos_ - 1), line), pos_);
    pos_ = i + 1;
  }

  void lex_operator(std::string& balance) {
    static const char* const kDouble[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : kDouble)
      if (at(pos_, op)) {
        emit(TokenType::op, op, pos_);
        pos_ += 2;
        return;
      }
    const char c = src_[pos_];
    if (c == '\0' || !std::strchr("+-/*%~[](){}><=.:|,;", c)) {
      if (static_cast<unsigned char>(c) >= 0x80)
        fail("line {}: unexpected non-ASCII character in a tag (non-ASCII names are not supported)", line_at(pos_));
      fail("line {}: unexpected character '{}' in a tag", line_at(pos_), c);
    }
    if (c == '(' || c == '[' || c == '{') balance += c == '(' ? ')' : c == '[' ? ']' : '}';
    if (c == ')' || c == ']' || c == '}') {
      if (balance.empty()) fail("line {}: unexpected '{}'", line_at(pos_), c);
      if (balance.back() != c) fail("line {}: unexpected '{}', expected '{}'", line_at(pos_), c, balance.back());
      balance.pop_back();
    }
    emit(TokenType::op, std::string(1, c), pos_);
    ++pos_;
  }

  void lex_expression_token(std::string& balance) {
    const char c = src_[pos_];
    if (is_digit(c)) {
      if (const size_t end = match_float()) return lex_number(end, true, 10);
      int base = 10;
      if (const size_t end = match_integer(base)) return lex_number(end, false, base);
    }
    if (is_name_start(c)) {
      size_t end = pos_;
      while (end < src_.size() && is_name_char(src_[end])) ++end;
      if (end < src_.size() && static_cast<unsigned char>(src_[end]) >= 0x80 && !space_length_at(src_, end))
        fail("line {}: non-ASCII names are not supported", line_at(pos_));
      emit(TokenType::name, src_.substr(pos_, end - pos_), pos_);
      pos_ = end;
      return;
    }
    if (c == '\'' || c == '"') return lex_string();
    lex_operator(balance);
  }

  std::string src_;
  size_t pos_ = 0;
  size_t line_pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
  if (!is_valid_utf8(source)) fail("the template is not valid UTF-8");
  return Lexer(normalize_newlines(source)).run();
}

}  // namespace aha::jinja
