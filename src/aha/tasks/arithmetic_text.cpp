#include "aha/tasks/arithmetic_text.hpp"

#include <fmt/format.h>

#include <utility>

#include "aha/base/random.hpp"

namespace aha::tasks {

std::vector<std::string> arithmetic_texts(uint64_t seed, int64_t count) {
  RandomStream rng(seed, "arithmetic");
  std::vector<std::string> texts;
  texts.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    int64_t a = static_cast<int64_t>(rng.below(100)), b = static_cast<int64_t>(rng.below(100));
    if (rng.below(2) == 0) {
      texts.push_back(fmt::format("{}+{}={}", a, b, a + b));
    } else {
      if (a < b) std::swap(a, b);  // keep results non-negative
      texts.push_back(fmt::format("{}-{}={}", a, b, a - b));
    }
  }
  return texts;
}

}  // namespace aha::tasks
