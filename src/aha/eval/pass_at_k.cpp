#include "aha/eval/pass_at_k.hpp"

#include <map>

#include "aha/base/error.hpp"

namespace aha::eval {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || c < 0 || c > n || k < 1 || k > n)
    fail_internal(fmt::format("pass_at_k({}, {}, {}): out of range", n, c, k));
  if (n - c < k) return 1.0;  // every k-subset holds a passing sample
  double fail_all = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) fail_all *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  return 1.0 - fail_all;
}

bool majority_passes(const std::vector<std::string>& answers, const std::vector<bool>& passed, int64_t k) {
  if (k < 1 || static_cast<size_t>(k) > answers.size() || answers.size() != passed.size())
    fail_internal("majority_passes: k out of range");
  std::map<std::string, int64_t> votes;
  std::string best;
  int64_t best_votes = 0;
  size_t best_first = 0;
  for (size_t i = 0; i < static_cast<size_t>(k); ++i) {
    const int64_t v = ++votes[answers[i]];
    if (v > best_votes) {
      // A later answer wins only with strictly more votes, so ties keep the one seen first.
      best_votes = v;
      best = answers[i];
      for (best_first = 0; answers[best_first] != best; ++best_first) {
      }
    }
  }
  return passed[best_first];
}

}  // namespace aha::eval
