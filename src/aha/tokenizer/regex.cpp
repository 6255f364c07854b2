#include "aha/tokenizer/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>

#include "aha/base/error.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {
namespace {

// ECMAScript WhiteSpace and LineTerminator code points, as class items.
constexpr std::string_view kJsSpaceItems =
    "\\t\\n\\x0B\\f\\r\\x20\\xA0\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}"
    "\\x{3000}\\x{FEFF}";

// Per-thread PCRE2 state: one match-data block (only the whole-match pair is read) and a JIT
// stack larger than the default, so that long runs of one class never exhaust it.
struct ThreadState {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  ThreadState() { pcre2_jit_stack_assign(context, nullptr, stack); }
  ~ThreadState() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(data);
  }
};

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

std::string escape_literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

struct Regex::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

std::string translate_pattern(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 64);
  bool in_class = false;
  int fold_depth = 0;   // > 0 inside a (?i: group
  int group_depth = 0;  // parentheses open inside the innermost (?i: group
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      if (e == 's') {
        out += in_class ? std::string(kJsSpaceItems) : "[" + std::string(kJsSpaceItems) + "]";
      } else if (e == 'S' && !in_class) {
        out += "[^" + std::string(kJsSpaceItems) + "]";
      } else if (i + 2 < p.size() && p[i + 2] == '{' && p.find('}', i) != std::string_view::npos) {
        // \p{L}, \x{FEFF}: copy the braces whole, so that no letter in them is folded.
        const size_t close = p.find('}', i);
        out += p.substr(i, close - i + 1);
        i = close;
        continue;
      } else {
        out += p.substr(i, 2);
      }
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out.push_back(c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      // A leading ']' or '^]' is a literal member, not the end of the class.
      if (i + 1 < p.size() && p[i + 1] == '^') out.push_back(p[++i]);
      if (i + 1 < p.size() && p[i + 1] == ']') out.push_back(p[++i]);
      continue;
    }
    if (fold_depth == 0 && p.substr(i, 4) == "(?i:") {
      out += "(?:";
      fold_depth = 1;
      group_depth = 0;
      i += 3;
      continue;
    }
    if (fold_depth > 0) {
      if (c == '(') ++group_depth;
      if (c == ')' && group_depth-- == 0) fold_depth = 0;
      if (std::isalpha(static_cast<unsigned char>(c))) {
        out += '[';
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out += ']';
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

Regex Regex::compile(std::string_view pattern, const std::string& where) {
  Regex r;
  r.pcre_pattern_ = translate_pattern(pattern);
  int error = 0;
  PCRE2_SIZE offset = 0;
  auto code = std::make_shared<Code>();
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(r.pcre_pattern_.data()), r.pcre_pattern_.size(),
                             PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (code->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    fail("{}: invalid regular expression '{}': {}", where, std::string(pattern), reinterpret_cast<char*>(message));
  }
  code->jit = pcre2_jit_compile(code->code, PCRE2_JIT_COMPLETE) == 0;
  r.code_ = std::move(code);
  return r;
}

Regex Regex::literal(std::string_view text) { return compile(escape_literal(text), "literal pattern"); }

void Regex::find_all(std::string_view text, std::vector<Match>& out) const {
  ThreadState& state = thread_state();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  while (pos <= text.size()) {
    const int rc =
        code_->jit ? pcre2_jit_match(code_->code, subject, text.size(), pos, 0, state.data, state.context)
                   : pcre2_match(code_->code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, state.data, state.context);
    if (rc == PCRE2_ERROR_NOMATCH) return;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof message);
      fail("regular expression '{}' failed to run: {}", pcre_pattern_, reinterpret_cast<char*>(message));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(state.data);
    const size_t begin = ov[0], end = ov[1];
    out.push_back({begin, end});
    if (end > begin) {
      pos = end;
    } else {
      if (end >= text.size()) return;
      size_t next = end;
      utf8::next(text, next);  // step over one character after an empty match
      pos = next;
    }
  }
}

std::string Regex::replace_all(std::string_view text, std::string_view with) const {
  std::vector<Match> matches;
  find_all(text, matches);
  std::string out;
  size_t prev = 0;
  for (const Match& m : matches) {
    out.append(text.substr(prev, m.begin - prev));
    out.append(with);
    prev = m.end;
  }
  out.append(text.substr(prev));
  return out;
}

// A pattern object {"String": s} or {"Regex": r}, as Replace and Split use it.
Regex make_pattern(const JsonAt& pattern) {
  if (pattern.has("String")) return Regex::literal(pattern["String"].str());
  if (pattern.has("Regex")) return Regex::compile(pattern["Regex"].str(), pattern["Regex"].where());
  pattern.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

}  // namespace aha::tokenizer
