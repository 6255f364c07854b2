// `aha verify`: re-hashes a model's tensors, lineage records and still-present datasets against
// its provenance.json. Exit 0: all that could be checked agrees; 1: something differs (or, with
// --strict, could not be checked); 2: provenance.json is missing or malformed.
#include <fmt/format.h>

#include <memory>

#include "aha/compliance/verify.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct VerifyOptions {
  std::string model;
  bool strict = false;
};

int run_verify(const VerifyOptions& o) {
  const compliance::VerifyReport report = compliance::verify_model(o.model);
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
  return passed ? 0 : 1;
}

const bool registered = register_command({
    "verify",
    "Check a model's weights, lineage and datasets against its provenance.json",
    [](CLI::App& app) {
      auto o = std::make_shared<VerifyOptions>();
      app.add_option("--model", o->model, "Model directory holding provenance.json")->required();
      app.add_flag("--strict", o->strict, "Fail when a dataset or base model cannot be checked (absent)");
      return [o] { return run_verify(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
