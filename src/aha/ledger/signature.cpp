#include "aha/ledger/signature.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <vector>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/base/sha256.hpp"

namespace aha::ledger {

const char* const kSignatureFile = "provenance.sig";

namespace {

namespace fs = std::filesystem;

constexpr const char* kSignatureFormat = "aha-provenance-signature";
constexpr size_t kSignatureBytes = 64;  // Ed25519

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// Never prompts for a passphrase: an encrypted private key fails to load, and says so.
int no_passphrase(char*, int, int, void*) { return -1; }

const char* key_type_name(int type) {
  switch (type) {
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_EC: return "EC";
    case EVP_PKEY_ED448: return "Ed448";
    case EVP_PKEY_DSA: return "DSA";
    default: return OBJ_nid2sn(type);
  }
}

// Reads the PEM key in `path` (private when `private_key`), checking that it is Ed25519.
Key load_key(const std::string& path, bool private_key) {
  const std::string pem = read_file(path);
  const Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) fail_internal("OpenSSL could not allocate a memory BIO");
  Key key(private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_passphrase, nullptr)
                      : PEM_read_bio_PUBKEY(bio.get(), nullptr, &no_passphrase, nullptr),
          &EVP_PKEY_free);
  ERR_clear_error();
  if (!key) {
    if (private_key && pem.find("ENCRYPTED") != std::string::npos)
      fail("{}: an encrypted private key; aha reads unencrypted PEM keys only (keep the file readable by you alone)",
           path);
    if (!private_key && pem.find("PRIVATE KEY-----") != std::string::npos)
      fail("{}: a private key where a public key is needed; give its public half (openssl pkey -in {} -pubout)", path,
           path);
    fail("{}: not a PEM {} key (expected '-----BEGIN {} KEY-----', as openssl {} writes)", path,
         private_key ? "private" : "public", private_key ? "PRIVATE" : "PUBLIC",
         private_key ? "genpkey -algorithm ed25519" : "pkey -pubout");
  }
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_ED25519)
    fail("{}: key type {}; aha signs with Ed25519 only (openssl genpkey -algorithm ed25519)", path,
         key_type_name(EVP_PKEY_base_id(key.get())));
  return key;
}

// "sha256:" + the SHA-256 of the key's DER SubjectPublicKeyInfo (what `openssl pkey -pubout
// -outform DER | sha256sum` prints).
std::string key_id(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) fail_internal("OpenSSL could not encode a public key");
  const std::string id = "sha256:" + sha256_hex(std::string_view(reinterpret_cast<const char*>(der), n));
  OPENSSL_free(der);
  return id;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Decodes canonical base64 of exactly `size` bytes; "" when `text` is anything else.
std::string unbase64(const std::string& text, size_t size) {
  if (text.size() != 4 * ((size + 2) / 3)) return "";
  std::string out(text.size() / 4 * 3, '\0');
  if (EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size())) < 0)
    return "";
  out.resize(size);
  return base64(out) == text ? out : "";  // rejects other padding bits and characters
}

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

void require_key_outside(const std::string& key_path, const std::string& model_dir, const char* what) {
  std::error_code ec;
  const fs::path key = fs::weakly_canonical(fs::absolute(key_path), ec);
  const fs::path dir = fs::weakly_canonical(fs::absolute(model_dir), ec);
  if (ec) return;  // the reads that follow name the unreadable path
  std::vector<fs::path> dir_parts(dir.begin(), dir.end()), key_parts(key.begin(), key.end());
  if (!dir_parts.empty() && dir_parts.back().empty()) dir_parts.pop_back();  // a trailing separator
  const bool inside =
      key_parts.size() > dir_parts.size() && std::equal(dir_parts.begin(), dir_parts.end(), key_parts.begin());
  if (!inside) return;
  fail("{}: the {} is inside the model directory {}; keep it outside (whoever can edit the model could {})", key_path,
       what, model_dir,
       std::string(what).find("public") != std::string::npos ? "replace the key with their own"
                                                             : "read it: it would ship with the model");
}

std::string public_key_id(const std::string& path) { return key_id(load_key(path, false).get()); }

std::string sign_provenance(const std::string& dir, std::string_view provenance, const std::string& private_key_path) {
  const Key key = load_key(private_key_path, true);
  const MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string sig(kSignatureBytes, '\0');
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(provenance.data()), provenance.size()) != 1 ||
      len != kSignatureBytes)
    fail_internal("OpenSSL could not make an Ed25519 signature");
  const std::string id = key_id(key.get());
  const Json doc = {{"format", kSignatureFormat},       {"format_version", 1},
                    {"algorithm", "ed25519"},           {"key_id", id},
                    {"signed_file", "provenance.json"}, {"signed_sha256", sha256_hex(provenance)},
                    {"signature", base64(sig)}};
  write_file_atomic(dir + "/" + kSignatureFile, doc.dump(2) + "\n");
  return id;
}

SignatureFile read_signature(const std::string& dir) {
  const std::string path = dir + "/" + kSignatureFile;
  return parse_signature(read_file(path), path);
}

SignatureFile parse_signature(const std::string& text, const std::string& path) {
  const Json doc = parse_json(text, path);
  auto field = [&](const char* name) -> std::string {
    if (!doc.is_object() || !doc.contains(name) || !doc[name].is_string())
      fail("{}: malformed signature: '{}' must be a string", path, name);
    return doc[name].get<std::string>();
  };
  if (field("format") != kSignatureFormat)
    fail("{}: malformed signature: 'format' must be \"{}\"", path, kSignatureFormat);
  if (!doc.contains("format_version") || doc["format_version"] != 1)
    fail("{}: malformed signature: 'format_version' must be 1", path);
  if (field("algorithm") != "ed25519") fail("{}: malformed signature: 'algorithm' must be \"ed25519\"", path);
  if (field("signed_file") != "provenance.json")
    fail("{}: malformed signature: 'signed_file' must be \"provenance.json\"", path);
  SignatureFile s;
  s.key_id = field("key_id");
  if (s.key_id.rfind("sha256:", 0) != 0 || !is_sha256_hex(s.key_id.substr(7)))
    fail("{}: malformed signature: 'key_id' must be \"sha256:\" and 64 lowercase hex digits", path);
  s.signed_sha256 = field("signed_sha256");
  if (!is_sha256_hex(s.signed_sha256))
    fail("{}: malformed signature: 'signed_sha256' must be 64 lowercase hex digits", path);
  s.signature = unbase64(field("signature"), kSignatureBytes);
  if (s.signature.empty())
    fail("{}: malformed signature: 'signature' must be the base64 of {} bytes", path, kSignatureBytes);
  return s;
}

bool signature_matches(const SignatureFile& signature, std::string_view provenance,
                       const std::string& public_key_path) {
  const Key key = load_key(public_key_path, false);
  const MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    fail_internal("OpenSSL could not start an Ed25519 verification");
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.signature.data()),
                                  signature.signature.size(), reinterpret_cast<const unsigned char*>(provenance.data()),
                                  provenance.size());
  ERR_clear_error();
  return ok == 1;
}

}  // namespace aha::ledger
