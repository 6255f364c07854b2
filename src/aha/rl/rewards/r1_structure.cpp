#include "aha/rl/rewards/r1_structure.hpp"

#include "aha/base/text.hpp"

namespace aha::rl {

bool has_r1_tag(std::string_view text) {
  for (std::string_view tag : kR1Tags)
    if (text.find(tag) != std::string_view::npos) return true;
  return false;
}

std::optional<std::string_view> r1_answer_block(std::string_view completion, ThinkOpening opening) {
  std::string_view s = trim(completion);
  const bool opens = s.substr(0, 7) == "<think>";
  if (opening == ThinkOpening::in_completion && !opens) return std::nullopt;
  if (opens && opening != ThinkOpening::in_prompt) s.remove_prefix(7);
  const size_t think_end = s.find("</think>");
  if (think_end == std::string_view::npos || has_r1_tag(s.substr(0, think_end))) return std::nullopt;
  s = trim(s.substr(think_end + 8));
  if (s.substr(0, 8) != "<answer>") return std::nullopt;
  s.remove_prefix(8);
  const size_t answer_end = s.find("</answer>");
  if (answer_end == std::string_view::npos) return std::nullopt;
  const std::string_view answer = s.substr(0, answer_end);
  if (has_r1_tag(answer) || !trim(s.substr(answer_end + 9)).empty()) return std::nullopt;
  return answer;
}

}  // namespace aha::rl
