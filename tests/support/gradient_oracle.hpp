// Runs one of tests/oracle's float64 PyTorch gradient references (grad_reference.py,
// lora_reference.py) on a manifest of cases and checks what every report shares: no tensor
// missing or extra, the loss within 1e-5 and each tensor within 1e-4 (relative errors; another
// tensor tolerance can be given).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "support/temp_dir.hpp"

namespace aha::test {

struct OracleReport {
  Json report;         // the script's report.json, for checks of its own
  size_t tensors = 0;  // tensors compared over all cases
};

// Runs `script` (a file name under tests/oracle) on `cases`, the manifest and report in `dir`,
// and returns the report unchecked.
Json run_gradient_oracle(const std::string& script, const TempDir& dir, const Json& cases);

// run_gradient_oracle, then the checks above. Each tensor
// must be within `tensor_tolerance` (relative to its largest element).
OracleReport check_gradient_oracle(const std::string& script, const TempDir& dir, const Json& cases,
                                   double tensor_tolerance = 1e-4);

// `flat` (rows · seq values, row-major) as a JSON array of rows of `seq` values, as the oracle
// scripts read a batch's tokens, targets and weights.
Json as_rows(const auto& flat, int64_t seq) {
  Json rows = Json::array();
  for (size_t i = 0; i < flat.size(); i += static_cast<size_t>(seq))
    rows.push_back(std::vector(flat.begin() + static_cast<int64_t>(i), flat.begin() + static_cast<int64_t>(i) + seq));
  return rows;
}

// An oracle case: `fields` (name, model or adapter, grads, loss) with batch `b`'s tokens,
// targets, weights (as rows of b.seq) and normaliser.
Json oracle_case(Json fields, const auto& b) {
  fields["tokens"] = as_rows(b.tokens, b.seq);
  fields["targets"] = as_rows(b.targets, b.seq);
  fields["weights"] = as_rows(b.weights, b.seq);
  fields["normaliser"] = b.normaliser;
  return fields;
}

}  // namespace aha::test
