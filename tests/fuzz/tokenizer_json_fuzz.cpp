// Fuzz target: any bytes as a tokenizer.json. Loading either fails with aha::Error or gives a
// tokenizer that encodes, decodes and stream-decodes without crashing.
#include <cstdint>
#include <string>

#include "aha/base/error.hpp"
#include "aha/tokenizer/stream_decoder.hpp"
#include "aha/tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aha::tokenizer;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const Tokenizer t = Tokenizer::from_json_text(text, "fuzz.json");
    for (const char* sample : {"Hello, world! 123 <|end|> <s> 你好 😀\n\t  x", "", "\xFF\xC3"}) {
      const std::vector<int32_t> ids = t.encode(sample, true);
      try {
        t.decode(ids);
        StreamDecoder stream(t);
        for (const int32_t id : ids) stream.step(id);
        stream.finish();
      } catch (const aha::Error&) {
        // A post-processor may name an id the vocabulary lacks; decoding then says so.
      }
    }
  } catch (const aha::Error&) {
  }
  return 0;
}
