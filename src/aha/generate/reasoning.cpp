#include "aha/generate/reasoning.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace aha::generate {
namespace {

constexpr std::string_view kOpen = "<think>", kClose = "</think>";

// Length of the longest tail of `text` that is a proper prefix of `tag`.
size_t partial_tag(const std::string& text, std::string_view tag) {
  for (size_t n = std::min(tag.size() - 1, text.size()); n > 0; --n)
    if (text.compare(text.size() - n, n, tag.substr(0, n)) == 0) return n;
  return 0;
}

void emit(std::vector<TextPiece>& out, bool reasoning, std::string text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().reasoning == reasoning) out.back().text += text;
  else out.push_back({reasoning, std::move(text)});
}

}  // namespace

std::vector<TextPiece> ReasoningSplitter::feed(const std::string& text) {
  held_ += text;
  std::vector<TextPiece> out;
  for (;;) {
    if (state_ == State::answer) {
      emit(out, false, std::exchange(held_, ""));
      return out;
    }
    if (state_ == State::reasoning) {
      const size_t at = held_.find(kClose);
      if (at == std::string::npos) {
        const size_t keep = partial_tag(held_, kClose);
        emit(out, true, held_.substr(0, held_.size() - keep));
        held_.erase(0, held_.size() - keep);
        return out;
      }
      emit(out, true, held_.substr(0, at));
      held_.erase(0, at + kClose.size());
      state_ = State::answer;
      continue;
    }
    const size_t first = held_.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return out;  // whitespace only: <think> may still come
    const std::string_view rest = std::string_view(held_).substr(first);
    if (rest.starts_with(kOpen)) {
      held_.erase(0, first + kOpen.size());
      state_ = State::reasoning;
    } else if (rest.size() < kOpen.size() && kOpen.starts_with(rest)) {
      return out;  // may be the start of <think>
    } else {
      state_ = State::answer;
    }
  }
}

std::vector<TextPiece> ReasoningSplitter::flush() {
  std::vector<TextPiece> out;
  emit(out, state_ == State::reasoning, std::exchange(held_, ""));
  return out;
}

bool prompt_opens_reasoning(const std::string& prompt) {
  const size_t open = prompt.rfind(kOpen);
  return open != std::string::npos && prompt.find(kClose, open) == std::string::npos &&
         prompt.find_first_not_of(" \t\r\n", open + kOpen.size()) == std::string::npos;
}

}  // namespace aha::generate
