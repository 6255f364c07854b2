// Fuzz target: any bytes as text to encode, with a trained byte-level BPE (NFC, Qwen2 split, added
// tokens) and a SentencePiece-style BPE (byte fallback, Prepend/Replace, Metaspace decoding).
// Checks that encoding never fails, that the byte-level tokenizer round-trips the (repaired,
// normalized) text, and that streaming decoding adds up to decoding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aha/tokenizer/stream_decoder.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace {

using aha::Json;
using aha::tokenizer::Tokenizer;

const Tokenizer& byte_level() {
  static const Tokenizer t = [] {
    aha::tokenizer::BpeTrainer trainer({600, {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}});
    for (int i = 0; i < 10; ++i)
      trainer.add_text(
          "The quick brown fox jumps over the lazy dog; it's 2024-06-11, 12:30.\n"
          "Der Fuchs springt über den Hund. Лиса прыгает. 狐狸跳过了狗。 😀👍🏽 def f(x): "
          "return "
          "x\n");
    Json json = Json::parse(trainer.finish().json);
    json["added_tokens"].push_back({{"id", 600}, {"content", "<think>"}, {"special", false}, {"normalized", true}});
    json["added_tokens"].push_back({{"id", 601}, {"content", "ok"}, {"single_word", true}, {"normalized", false}});
    return Tokenizer::from_json(json, "fuzz-byte-level.json");
  }();
  return t;
}

const Tokenizer& sentencepiece() {
  static const Tokenizer t = [] {
    Json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}, {"▁", 3}, {"a", 4}, {"▁a", 5}, {"b", 6}, {"ab", 7}};
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      vocab[name] = 8 + b;
    }
    const Json json = {
        {"added_tokens", {{{"id", 1}, {"content", "<s>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}}}},
        {"normalizer",
         {{"type", "Sequence"},
          {"normalizers",
           {{{"type", "Prepend"}, {"prepend", "▁"}},
            {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "▁"}}}}}},
        {"decoder",
         {{"type", "Sequence"},
          {"decoders",
           {{{"type", "Replace"}, {"pattern", {{"String", "▁"}}}, {"content", " "}},
            {{"type", "ByteFallback"}},
            {{"type", "Fuse"}},
            {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
        {"model",
         {{"type", "BPE"},
          {"unk_token", "<unk>"},
          {"byte_fallback", true},
          {"vocab", vocab},
          {"merges", {"▁ a", "a b"}}}},
    };
    return Tokenizer::from_json(json, "fuzz-sentencepiece.json");
  }();
  return t;
}

void check_stream(const Tokenizer& t, const std::vector<int32_t>& ids) {
  aha::tokenizer::StreamDecoder stream(t);
  std::string joined;
  for (const int32_t id : ids) {
    const std::string chunk = stream.step(id);
    if (!aha::tokenizer::utf8::is_valid(chunk)) std::abort();
    joined += chunk;
  }
  joined += stream.finish();
  if (joined != t.decode(ids)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Tokenizer& b = byte_level();
  const std::vector<int32_t> ids = b.encode(text);
  if (b.decode(ids) != b.normalize(text)) std::abort();  // byte-level BPE loses nothing
  check_stream(b, ids);
  const Tokenizer& s = sentencepiece();
  check_stream(s, s.encode(text, true));
  return 0;
}
