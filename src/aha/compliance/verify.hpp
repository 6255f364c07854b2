// `aha verify`: checks a model directory against its provenance.json — the signature when a public
// key is given, every tensor's hash, every behaviour file's hash (config, tokenizer, chat
// template, ...), an adapter's base model when it is on disk, every lineage record's own hash and
// its base model's weights hash, and every dataset still present at its recorded path.
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
  std::string signed_by;  // the key id, when a signature was checked and is valid
  // True when nothing differs (and, when `strict`, nothing was left unchecked).
  bool passed(bool strict) const;
};

// Verifies the model directory `dir`; with `public_key` (a PEM file outside `dir`), first that
// dir/provenance.sig is that key's signature over provenance.json's exact bytes. A missing or
// malformed provenance.json, a bad key or a malformed provenance.sig is a bad-input Error;
// differences (a missing or wrong signature included) are findings, not errors.
VerifyReport verify_model(const std::string& dir, const std::string& public_key = "");

// The checks of verify_model, without the signature, on `provenance`: the bytes of
// dir/provenance.json as the caller read them.
VerifyReport verify_contents(const std::string& dir, const std::string& provenance);

// "ok", "DIFFERS" or "not checked".
const char* status_name(CheckStatus status);

}  // namespace aha::compliance
