// Runs one of tests/oracle's float64 PyTorch gradient references (grad_reference.py,
// lora_reference.py) on a manifest of cases and checks what every report shares: no tensor
// missing or extra, the loss within 1e-5 and each tensor within 1e-4 (relative errors).
#pragma once

#include <cstddef>
#include <string>

#include "aha/base/json.hpp"
#include "support/temp_dir.hpp"

namespace aha::test {

struct OracleReport {
  Json report;         // the script's report.json, for checks of its own
  size_t tensors = 0;  // tensors compared over all cases
};

// `script` is a file name under tests/oracle; the manifest and report go to `dir`.
OracleReport check_gradient_oracle(const std::string& script, const TempDir& dir, const Json& cases);

}  // namespace aha::test
