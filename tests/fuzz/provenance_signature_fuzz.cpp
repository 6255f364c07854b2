// Fuzz target: any byte string read as provenance.sig is rejected with aha::Error or gives a
// signature of 64 bytes with a well-formed key id, without any other exception.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aha/base/error.hpp"
#include "aha/ledger/signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const aha::ledger::SignatureFile s =
        aha::ledger::parse_signature(std::string(reinterpret_cast<const char*>(data), size), "provenance.sig");
    if (s.signature.size() != 64 || s.key_id.size() != 7 + 64 || s.signed_sha256.size() != 64) std::abort();
  } catch (const aha::Error&) {
  }
  return 0;
}
