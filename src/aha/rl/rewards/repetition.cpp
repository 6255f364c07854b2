// `repetition`: the n-gram repetition penalty of Yeo et al. 2025 (Appendix C.2), as open-r1's
// get_repetition_penalty_reward(ngram_size, max_penalty): the completion lower-cased and split at
// whitespace into words; with n-grams of ngram_size words, the reward is
// (1 - distinct n-grams / n-grams) · max_penalty, and 0 for a completion of fewer words than that.
#include <set>
#include <string_view>

#include "aha/base/error.hpp"
#include "aha/rl/rewards/builtin.hpp"
#include "aha/rl/rewards/options.hpp"

namespace aha::rl {
namespace {

// Python's str.split() on ASCII whitespace (space, \t, \n, \v, \f, \r), with ASCII letters
// lower-cased as str.lower() does.
std::vector<std::string> lower_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || (c >= '\t' && c <= '\r')) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

class RepetitionReward : public RewardFunction {
 public:
  RepetitionReward(size_t ngram_size, double max_penalty) : n_(ngram_size), max_penalty_(max_penalty) {}

  const std::string& name() const override { return name_; }

  std::vector<double> score(const std::vector<RewardInput>& inputs) override {
    std::vector<double> scores;
    scores.reserve(inputs.size());
    for (const RewardInput& input : inputs) {
      const std::vector<std::string> words = lower_words(input.completion);
      if (words.size() < n_) {
        scores.push_back(0.0);
        continue;
      }
      std::set<std::vector<std::string>> distinct;
      const size_t total = words.size() - n_ + 1;
      for (size_t i = 0; i < total; ++i) distinct.emplace(words.begin() + i, words.begin() + i + n_);
      scores.push_back((1.0 - static_cast<double>(distinct.size()) / static_cast<double>(total)) * max_penalty_);
    }
    return scores;
  }

 private:
  size_t n_;
  double max_penalty_;
  std::string name_ = "repetition";
};

}  // namespace

std::unique_ptr<RewardFunction> make_repetition_reward(const nlohmann::json& options) {
  check_option_keys(options, "repetition", {"ngram_size", "max_penalty"});
  const double n = number_option(options, "repetition", "ngram_size", 3, 1, 1000);
  if (n != static_cast<double>(static_cast<size_t>(n)))
    fail("reward repetition: option \"ngram_size\" is {}, expected a whole number", n);
  const double max_penalty = number_option(options, "repetition", "max_penalty", -1.0, -1e9, 0);
  return std::make_unique<RepetitionReward>(static_cast<size_t>(n), max_penalty);
}

}  // namespace aha::rl
