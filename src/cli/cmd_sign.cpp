// `aha sign`: signs a model's provenance.json with an Ed25519 private key, writing provenance.sig
// beside it, after checking the model against the record as `aha verify` does (a model that does
// not verify is not signed: exit 1). Exit 2: bad input (the key, provenance.json).
#include <fmt/format.h>

#include <memory>

#include "aha/base/sha256.hpp"
#include "aha/compliance/verify.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/ledger/signature.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct SignOptions {
  std::string model;
  std::string key;
};

int run_sign(const SignOptions& o) {
  ledger::require_key_outside(o.key, o.model, "private key");
  // The bytes checked are the bytes signed.
  const std::string provenance = ledger::read_provenance_bytes(o.model);
  const compliance::VerifyReport report = compliance::verify_contents(o.model, provenance);
  int differs = 0;
  for (const compliance::Finding& f : report.findings)
    if (f.status == compliance::CheckStatus::differs) {
      fmt::print("{:<12} {}: {}\n", compliance::status_name(f.status), f.subject, f.detail);
      ++differs;
    }
  if (differs > 0) {
    fmt::print("NOT SIGNED: {} checks differ from provenance.json (aha verify --model {} lists them all)\n", differs,
               o.model);
    return 1;
  }
  const std::string key_id = ledger::sign_provenance(o.model, provenance, o.key);
  fmt::print("signed {}/provenance.json (sha256 {}) with key {}: {}/{}\n", o.model, sha256_hex(provenance), key_id,
             o.model, ledger::kSignatureFile);
  return 0;
}

const bool registered = register_command({
    "sign",
    "Sign a model's provenance.json with an Ed25519 key (writes provenance.sig)",
    [](CLI::App& app) {
      auto o = std::make_shared<SignOptions>();
      app.add_option("--model", o->model, "Model directory holding provenance.json")->required();
      app.add_option("--key", o->key,
                     "Ed25519 private key, unencrypted PEM kept outside the model directory (make one with: openssl "
                     "genpkey -algorithm ed25519 -out key.pem; its public half: openssl pkey -in key.pem -pubout "
                     "-out key.pub.pem)")
          ->required();
      app.footer(
          "The signature covers provenance.json's exact bytes, and through its hashes the weights, config, tokenizer "
          "and chat template, the lineage and the datasets' fingerprints. aha verify --pubkey checks it. The model is "
          "checked first: one whose files differ from its record is not signed.");
      return [o] { return run_sign(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
