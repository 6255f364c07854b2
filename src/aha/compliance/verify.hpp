// `aha verify`: checks a model directory against its provenance.json — every tensor's hash, every
// lineage record's own hash and its base model's weights hash, and every dataset still present
// at its recorded path.
#pragma once

#include <string>
#include <vector>

namespace aha::compliance {

enum class CheckStatus { ok, differs, not_checked };

struct Finding {
  CheckStatus status;
  std::string subject;  // "tensor NAME", "dataset PATH", "record LINEAGE", "weights"
  std::string detail;   // what was recorded and what was found
};

struct VerifyReport {
  std::vector<Finding> findings;
  // True when nothing differs (and, when `strict`, nothing was left unchecked).
  bool passed(bool strict) const;
};

// Verifies the model directory `dir`. A missing or malformed provenance.json is a bad-input
// Error; differences are findings, not errors.
VerifyReport verify_model(const std::string& dir);

// "ok", "DIFFERS" or "not checked".
const char* status_name(CheckStatus status);

}  // namespace aha::compliance
