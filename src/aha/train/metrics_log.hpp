// output_dir/metrics.jsonl: one JSON object per logged step, with TRL's metric names.
#pragma once

#include <cstdint>
#include <string>

#include "aha/base/json.hpp"

namespace aha::train {

class MetricsLog {
 public:
  // Opens `path` for appending, first dropping lines with a step after `resumed_step` (they
  // belong to steps a resumed run repeats).
  MetricsLog(const std::string& path, int64_t resumed_step);

  // Appends `line` as one JSON line and flushes it.
  void append(const Json& line);

 private:
  std::string path_;
};

}  // namespace aha::train
