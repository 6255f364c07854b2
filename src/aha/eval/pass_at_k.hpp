// The metrics of sampled evaluation (Chen et al. 2021, "Evaluating Large Language Models Trained
// on Code"; DeepSeek-R1): pass@k with the unbiased estimator and maj@k (majority vote).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aha::eval {

// The unbiased estimate of pass@k from n samples of which c passed: 1 - C(n-c, k) / C(n, k),
// computed as 1 - prod_{i=n-c+1..n} (1 - k/i) so that no binomial coefficient overflows.
// Requires 0 <= c <= n and 1 <= k <= n.
double pass_at_k(int64_t n, int64_t c, int64_t k);

// maj@k for one item: the answer given most often among the first k samples (ties go to the one
// seen first) is taken; true when the first sample giving it passed (answers are the reward's vote
// keys, rl::RewardFunction::vote_key, so the samples giving one answer score alike). `answers[i]`
// and `passed[i]` describe sample i; requires 1 <= k <= answers.size() == passed.size().
bool majority_passes(const std::vector<std::string>& answers, const std::vector<bool>& passed, int64_t k);

}  // namespace aha::eval
