// Fuzz target: any byte string read as config.json is either rejected with aha::Error or
// gives a config whose sizes are positive and consistent.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"
#include "aha/io/hf_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    aha::Json json = aha::parse_json(std::string(reinterpret_cast<const char*>(data), size), "config.json");
    aha::io::ModelConfig c = aha::io::parse_model_config(json, "config.json");
    if (c.hidden_size < 1 || c.head_dim < 2 || c.num_key_value_heads < 1 ||
        c.num_attention_heads % c.num_key_value_heads != 0 || c.vocab_size < 1)
      std::abort();
  } catch (const aha::Error&) {
  }
  return 0;
}
