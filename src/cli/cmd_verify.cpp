// `aha verify`: re-hashes a model's tensors, behaviour files (config, tokenizer, chat template),
// an adapter's base model, lineage records and still-present datasets against its
// provenance.json, and with --pubkey first checks provenance.sig. Exit 0: all that could be
// checked agrees; 1: something differs (or, with --strict, could not be checked); 2: bad input
// (provenance.json missing or malformed, a bad key, a malformed provenance.sig).
#include <fmt/format.h>

#include <memory>

#include "aha/compliance/verify.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct VerifyOptions {
  std::string model;
  std::string pubkey;
  bool strict = false;
};

int run_verify(const VerifyOptions& o) {
  const compliance::VerifyReport report = compliance::verify_model(o.model, o.pubkey);
  int differs = 0, unchecked = 0;
  for (const compliance::Finding& f : report.findings) {
    differs += f.status == compliance::CheckStatus::differs;
    unchecked += f.status == compliance::CheckStatus::not_checked;
    // Matching tensors are summed up by the "weights" line; everything else is listed.
    fmt::print("{:<12} {}: {}\n", compliance::status_name(f.status), f.subject, f.detail);
  }
  const bool passed = report.passed(o.strict);
  fmt::print("{}: {} differ, {} not checked{}\n", passed ? "verified" : "FAILED", differs, unchecked,
             o.strict && unchecked > 0 ? " (--strict fails them)" : "");
  if (passed && o.pubkey.empty())
    fmt::print(
        "unsigned check: this finds accidental changes, not forgery (whoever edits the model can rewrite "
        "provenance.json to match); sign with aha sign and verify with --pubkey\n");
  return passed ? 0 : 1;
}

const bool registered = register_command({
    "verify",
    "Check a model's signature, weights, files, lineage and datasets against its provenance.json",
    [](CLI::App& app) {
      auto o = std::make_shared<VerifyOptions>();
      app.add_option("--model", o->model, "Model directory holding provenance.json")->required();
      app.add_option("--pubkey", o->pubkey,
                     "Ed25519 public key (PEM, kept outside the model directory): provenance.sig must be its "
                     "signature over provenance.json, else verify fails");
      app.add_flag("--strict", o->strict,
                   "Fail when anything cannot be checked (an absent dataset or base model, files an old record "
                   "did not hash, a signature without --pubkey)");
      app.footer(
          "Without --pubkey, verify detects accidental changes and corruption, not forgery: anyone who edits the "
          "model can rewrite provenance.json to match. With --pubkey it also proves that the record is the one the "
          "key's holder signed. It never proves that the recorded datasets are what training really read "
          "(docs/provenance.md).");
      return [o] { return run_verify(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
