// SHA-256 (OpenSSL libcrypto), incremental or of a whole buffer, as lowercase hex.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace aha {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  // Adds `data` to the digest.
  void update(std::string_view data);
  // Adds `n` bytes at `data`.
  void update(const void* data, size_t n);
  // The digest of everything added, as 64 lowercase hex digits; the object is spent after.
  std::string hex_digest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The SHA-256 of `data` as lowercase hex.
std::string sha256_hex(std::string_view data);

// The SHA-256 of the file at `path` (read in chunks) and its size in bytes; an I/O Error names it.
std::string sha256_file(const std::string& path, uint64_t* bytes = nullptr);

}  // namespace aha
