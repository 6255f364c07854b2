#include "aha/data/prompt_fit.hpp"

#include <fmt/format.h>

#include <limits>

#include "aha/base/error.hpp"

namespace aha::data {
namespace {

bool flags(const PromptLimits& l) { return l.names == SettingNames::cli_flags; }

// "prompt_truncation: skip" or "--prompt-truncation skip".
std::string truncation_setting(const PromptLimits& l, const char* value) {
  return (flags(l) ? "--prompt-truncation " : "prompt_truncation: ") + std::string(value);
}

const char* max_prompt_length_name(const PromptLimits& l) {
  return flags(l) ? "--max-prompt-length" : "max_prompt_length";
}

}  // namespace

const char* prompt_truncation_name(PromptTruncation t) {
  switch (t) {
    case PromptTruncation::left: return "left";
    case PromptTruncation::skip: return "skip";
    case PromptTruncation::error: return "error";
  }
  fail_internal("prompt_truncation_name: unknown value");
}

PromptTruncation parse_prompt_truncation(const std::string& name, const std::string& setting) {
  if (name == "left") return PromptTruncation::left;
  if (name == "skip") return PromptTruncation::skip;
  if (name == "error") return PromptTruncation::error;
  fail("{}: unknown value \"{}\" (expected left, skip or error)", setting, name);
}

int64_t prompt_token_limit(const PromptLimits& l) {
  int64_t limit = l.max_prompt_length > 0 ? l.max_prompt_length : std::numeric_limits<int64_t>::max();
  if (l.context > 0) limit = std::min(limit, l.context - 1);
  return limit;
}

PromptFit fit_prompt(std::vector<int32_t>& ids, const PromptLimits& l, const std::string& item) {
  const auto n = static_cast<int64_t>(ids.size());
  const int64_t limit = prompt_token_limit(l);
  if (n <= limit) return PromptFit::fits;
  if (limit < 1) fail("{}: the context of {} positions has no room for a prompt", item, l.context);
  if (l.truncation == PromptTruncation::left) {
    ids.erase(ids.begin(), ids.end() - limit);
    return PromptFit::truncated;
  }
  if (l.truncation == PromptTruncation::skip) return PromptFit::skipped;
  const std::string ways = fmt::format("{} to keep its last {} tokens (as TRL does) or {} to leave it out",
                                       truncation_setting(l, "left"), limit, truncation_setting(l, "skip"));
  const char* set = flags(l) ? "pass" : "set";
  if (l.max_prompt_length > 0 && limit == l.max_prompt_length)
    fail("{}: the prompt has {} tokens, more than {} ({}); raise {}, or {} {}", item, n, max_prompt_length_name(l),
         l.max_prompt_length, max_prompt_length_name(l), set, ways);
  if (flags(l))
    fail(
        "{}: the prompt has {} tokens, which leaves no room to generate in the context of {} positions (--ctx-size); "
        "raise --ctx-size, or {} {}",
        item, n, l.context, set, ways);
  fail(
      "{}: the prompt has {} tokens, which leaves no room to generate in the model's context of {} positions "
      "(max_position_embeddings); {} {}",
      item, n, l.context, set, ways);
}

std::string prompt_item_name(const std::string& origin, const tasks::PromptItem& item, size_t index) {
  if (item.line > 0) return fmt::format("{}:{}", origin, item.line);
  return fmt::format("{} item {}", origin, index + 1);
}

std::string PromptFitCounts::notice(const std::string& origin, const PromptLimits& l) const {
  if (truncated == 0 && skipped == 0) return "";
  const int64_t n = truncated + skipped;
  return fmt::format("{} of {} prompts of {} were longer than {} tokens: {} ({})", n, prompts, origin,
                     prompt_token_limit(l), truncated > 0 ? "truncated from the left" : "left out",
                     truncation_setting(l, prompt_truncation_name(l.truncation)));
}

}  // namespace aha::data
