// Limits on what one render may do, so that no template can hang the process or exhaust memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aha/base/error.hpp"

namespace aha::jinja {

struct Limits {
  size_t max_output_bytes = size_t{64} << 20;  // the rendered text, and any one string or list built on the way
  uint64_t max_steps = 50'000'000;             // evaluation steps (about a second of work per ten million)
  int max_call_depth = 48;                     // macros calling macros
};

// Counts the work of one render against its Limits.
class Budget {
 public:
  explicit Budget(const Limits& limits) : limits_(limits) {}

  // One evaluation step; throws once the template has run too long.
  void step() {
    if (++steps_ > limits_.max_steps)
      fail("the template ran for more than {} steps (an endless loop?)", limits_.max_steps);
  }

  // Work proportional to `bytes` built (a string or a list); throws past the step limit.
  void charge(size_t bytes) {
    steps_ += bytes / 64;
    step();
  }

  // Throws when a string, list or the output would grow past max_output_bytes.
  void check_size(size_t bytes) const {
    if (bytes > limits_.max_output_bytes) fail("the template built more than {} bytes", limits_.max_output_bytes);
  }

  // The limits in force.
  const Limits& limits() const { return limits_; }

 private:
  Limits limits_;
  uint64_t steps_ = 0;
};

}  // namespace aha::jinja
