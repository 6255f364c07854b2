// Detached Ed25519 signatures over provenance.json. `aha sign` writes provenance.sig beside the
// record: the signature over the record's exact bytes and the id of the key that made it (the
// SHA-256 of the public key's DER SubjectPublicKeyInfo). Keys are PEM files as OpenSSL writes
// them (`openssl genpkey -algorithm ed25519`, `openssl pkey -pubout`).
#pragma once

#include <string>
#include <string_view>

namespace aha::ledger {

// The signature's file name inside the model directory.
extern const char* const kSignatureFile;

// provenance.sig as read: every field checked (a malformed file is a bad-input Error naming it).
struct SignatureFile {
  std::string key_id;         // "sha256:" + 64 hex digits
  std::string signed_sha256;  // SHA-256 of the bytes signed (for messages; the signature decides)
  std::string signature;      // the 64 raw signature bytes
};

// Refuses (bad-input Error) a key file inside `model_dir`: whoever can edit the model could
// replace a public key kept there, and a private key there would ship with the model.
void require_key_outside(const std::string& key_path, const std::string& model_dir, const char* what);

// The key id of the Ed25519 public key in the PEM file `path`; bad PEM or another key type is a
// bad-input Error naming the file.
std::string public_key_id(const std::string& path);

// Signs `provenance` (the exact bytes of `dir`/provenance.json) with the Ed25519 private key in the
// PEM file `private_key_path` and writes `dir`/provenance.sig atomically. Returns the key id.
std::string sign_provenance(const std::string& dir, std::string_view provenance, const std::string& private_key_path);

// Reads and checks `dir`/provenance.sig.
SignatureFile read_signature(const std::string& dir);

// Parses and checks `text` as provenance.sig; errors name `origin`.
SignatureFile parse_signature(const std::string& text, const std::string& origin);

// True when `signature` is a valid Ed25519 signature over `provenance` by the public key in the
// PEM file `public_key_path`.
bool signature_matches(const SignatureFile& signature, std::string_view provenance, const std::string& public_key_path);

}  // namespace aha::ledger
