#include "aha/base/sha256.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <vector>

#include "aha/base/error.hpp"

namespace aha {

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  if (state_->ctx == nullptr || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1)
    fail_internal("OpenSSL could not start a SHA-256 digest");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t n) {
  if (n > 0 && EVP_DigestUpdate(state_->ctx, data, n) != 1) fail_internal("OpenSSL SHA-256 update failed");
}

void Sha256::update(std::string_view data) { update(data.data(), data.size()); }

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(state_->ctx, digest, &len) != 1) fail_internal("OpenSSL SHA-256 final failed");
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

std::string sha256_file(const std::string& path, uint64_t* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_io(path, "cannot open for reading");
  Sha256 h;
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<size_t>(in.gcount());
    h.update(buffer.data(), got);
    total += got;
  }
  if (in.bad()) fail_io(path, "read failed");
  if (bytes) *bytes = total;
  return h.hex_digest();
}

}  // namespace aha
