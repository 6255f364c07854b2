// `aha tokenizer-train`: learns a byte-level BPE of a given vocabulary size from a text or JSONL
// file and writes it as a Hugging Face tokenizer.json.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <sstream>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct TrainTokenizerOptions {
  std::string data, out, special_tokens = "<|endoftext|>";
  int vocab_size = 0;
  bool overwrite = false;
};

// JSONL when the name says so or the first non-blank byte opens a JSON object or string.
bool looks_like_jsonl(const std::string& path, const std::string& text) {
  if (path.ends_with(".jsonl") || path.ends_with(".json")) return true;
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && (text[first] == '{' || text[first] == '"');
}

// Feeds one JSONL record: a string, or an object's "text" field, else all its string fields.
void add_record(tokenizer::BpeTrainer& trainer, const Json& record, const std::string& where) {
  if (record.is_string()) {
    trainer.add_text(record.get_ref<const std::string&>());
  } else if (record.is_object() && record.contains("text")) {
    if (!record["text"].is_string()) fail("{}: field \"text\" is not a string", where);
    trainer.add_text(record["text"].get_ref<const std::string&>());
  } else if (record.is_object()) {
    for (const auto& [key, value] : record.items())
      if (value.is_string()) trainer.add_text(value.get_ref<const std::string&>());
  } else {
    fail("{}: expected a JSON string or object, found {}", where, json_type_name(record));
  }
}

int run_tokenizer_train(const TrainTokenizerOptions& o) {
  if (!o.overwrite && std::filesystem::exists(o.out))
    fail("--out {}: already exists; pass --overwrite to replace it, or choose another path", o.out);
  tokenizer::TrainOptions options;
  options.vocab_size = o.vocab_size;
  options.special_tokens.clear();
  std::stringstream names(o.special_tokens);
  for (std::string name; std::getline(names, name, ',');)
    if (!name.empty()) options.special_tokens.push_back(name);
  tokenizer::BpeTrainer trainer(options);

  const std::string text = read_file(o.data);
  if (looks_like_jsonl(o.data, text)) {
    std::istringstream lines(text);
    std::string line;
    for (size_t number = 1; std::getline(lines, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = fmt::format("{}:{}", o.data, number);
      add_record(trainer, parse_json(line, where), where);
    }
  } else {
    trainer.add_text(text);
  }
  const tokenizer::TrainResult result = trainer.finish();
  write_file_atomic(o.out, result.json);
  fmt::print("{}: vocabulary of {} (256 bytes, {} merges, {} special tokens) from {} words ({} distinct)\n", o.out,
             result.vocab_size, result.merges, options.special_tokens.size(), result.words, result.distinct_words);
  return 0;
}

const bool registered = register_command({
    "tokenizer-train",
    "Learn a byte-level BPE tokenizer from text or JSONL and write it as a Hugging Face tokenizer.json",
    [](CLI::App& app) {
      auto o = std::make_shared<TrainTokenizerOptions>();
      app.add_option("--data", o->data, "Training text: plain text, or JSONL (strings, or objects with \"text\")")
          ->required();
      app.add_option("--vocab-size", o->vocab_size, "Total vocabulary: 256 bytes + merges + special tokens")
          ->required()
          ->check(CLI::Range(1, 1 << 24));
      app.add_option("--out", o->out, "Where to write tokenizer.json (a new file unless --overwrite)")->required();
      app.add_flag("--overwrite", o->overwrite, "Replace the file --out names when it exists");
      app.add_option("--special-tokens", o->special_tokens, "Comma-separated special tokens, given the last ids")
          ->capture_default_str();
      return [o] { return run_tokenizer_train(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
