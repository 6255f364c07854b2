#include "aha/rl/reward.hpp"

#include "aha/base/error.hpp"
#include "aha/base/text.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/train/config_reader.hpp"

namespace aha::rl {

std::unique_ptr<RewardFunction> make_reward(const std::string& name, const nlohmann::json& options) {
  if (name == "accuracy") return make_accuracy_reward(options, true);
  if (name == "accuracy_lenient") return make_accuracy_reward(options, false);
  if (name == "format") return make_format_reward(options, false);
  if (name == "format_think_open") return make_format_reward(options, true);
  if (name == "tag_count") return make_tag_count_reward(options);
  if (name == "countdown") return make_countdown_reward(options);
  if (name == "soft_overlong") return make_soft_overlong_reward(options);
  if (name == "length") return make_length_reward(options);
  if (name == "repetition") return make_repetition_reward(options);
  if (name == "external") return make_external_reward(options);
  const std::vector<std::string> names = reward_names();
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "rewards: " : ", ") + n;
  const std::string nearest = train::nearest_key(name, names);
  if (nearest.empty()) fail("unknown reward \"{}\" ({})", name, list);
  fail("unknown reward \"{}\" (did you mean \"{}\"? {})", name, nearest, list);
}

std::vector<std::string> reward_names() {
  return {"accuracy",  "accuracy_lenient", "format", "format_think_open", "tag_count",
          "countdown", "soft_overlong",    "length", "repetition",        "external"};
}

std::string RewardFunction::vote_key(const std::string& completion) const {
  const std::string_view text = completion;
  const size_t open = text.rfind("<answer>");
  if (open != std::string_view::npos) {
    const size_t from = open + 8, close = text.find("</answer>", from);
    return std::string(
        trim(text.substr(from, close == std::string_view::npos ? std::string_view::npos : close - from)));
  }
  // The last run of digits and points, with a '-' before it, as GSM8K-style graders take.
  for (size_t end = text.size(); end > 0; --end) {
    if (!is_digit(text[end - 1])) continue;
    size_t begin = end;
    while (begin > 0 && (is_digit(text[begin - 1]) || text[begin - 1] == '.')) --begin;
    if (begin > 0 && text[begin - 1] == '-') --begin;
    return completion.substr(begin, end - begin);
  }
  return std::string(trim(text));
}

}  // namespace aha::rl
