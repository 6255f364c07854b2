#include "aha/io/gguf/import_tokenizer.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "aha/base/error.hpp"

namespace aha::io::gguf {
namespace {

// llama.cpp's token types (llama_token_type).
constexpr int kTokenNormal = 1, kTokenUnknown = 2, kTokenControl = 3, kTokenUserDefined = 4, kTokenByte = 6;

// The pre-tokenizer regular expressions of `tokenizer.ggml.pre`, as the models' tokenizer.json files give them.
constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The token list with its types (normal when the file has none), checked for matching lengths.
struct Vocabulary {
  const std::vector<std::string>* tokens;
  std::vector<int> types;
};

Vocabulary read_vocabulary(const GgufFile& file) {
  Vocabulary v{file.strings("tokenizer.ggml.tokens"), {}};
  if (!v.tokens) fail("{}: missing metadata 'tokenizer.ggml.tokens'", file.path());
  v.types.assign(v.tokens->size(), kTokenNormal);
  if (const std::vector<double>* types = file.numbers("tokenizer.ggml.token_type")) {
    if (types->size() != v.tokens->size())
      fail("{}: tokenizer.ggml.token_type has {} entries for {} tokens", file.path(), types->size(), v.tokens->size());
    for (size_t i = 0; i < types->size(); ++i) v.types[i] = static_cast<int>((*types)[i]);
  }
  return v;
}

Json vocab_object(const Vocabulary& v) {
  Json vocab = Json::object();
  for (size_t i = 0; i < v.tokens->size(); ++i)
    if (!vocab.contains((*v.tokens)[i])) vocab[(*v.tokens)[i]] = static_cast<int64_t>(i);
  return vocab;
}

// Control tokens become special added tokens, user-defined ones plain added tokens (as in the
// models' tokenizer.json), so that text naming them encodes to their ids.
Json added_tokens(const Vocabulary& v) {
  Json added = Json::array();
  for (size_t i = 0; i < v.tokens->size(); ++i) {
    const int type = v.types[i];
    if (type != kTokenControl && type != kTokenUserDefined && type != kTokenUnknown) continue;
    added.push_back({{"id", static_cast<int64_t>(i)},
                     {"content", (*v.tokens)[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", type != kTokenUserDefined}});
  }
  return added;
}

const std::string* token_of(const GgufFile& file, const Vocabulary& v, const char* key) {
  const std::optional<int64_t> id = file.integer(key);
  if (!id) return nullptr;
  if (*id < 0 || static_cast<size_t>(*id) >= v.tokens->size())
    fail("{}: {} is {}, outside the {} tokens", file.path(), key, *id, v.tokens->size());
  return &(*v.tokens)[static_cast<size_t>(*id)];
}

// A TemplateProcessing post-processor adding BOS (add_bos_token) and EOS (add_eos_token).
Json post_processor(const GgufFile& file, const Vocabulary& v, bool bos_default) {
  Json single = Json::array(), specials = Json::object();
  auto add = [&](const std::string& which) {
    const std::string key = "tokenizer.ggml." + which + "_token_id";
    const std::string* token = token_of(file, v, key.c_str());
    if (!token) fail("{}: tokenizer.ggml.add_{}_token is set but {} is missing", file.path(), which, key);
    single.push_back({{"SpecialToken", {{"id", *token}, {"type_id", 0}}}});
    specials[*token] = {{"id", *token}, {"ids", {*file.integer(key)}}, {"tokens", {*token}}};
  };
  if (file.boolean("tokenizer.ggml.add_bos_token").value_or(bos_default)) add("bos");
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  if (file.boolean("tokenizer.ggml.add_eos_token").value_or(false)) add("eos");
  if (single.size() == 1) return nullptr;
  return {{"type", "TemplateProcessing"}, {"single", single}, {"pair", single}, {"special_tokens", specials}};
}

// Byte-level BPE: the pre-tokenizer that `tokenizer.ggml.pre` names, then GPT-2's byte mapping.
Json gpt2_tokenizer(const GgufFile& file, const Vocabulary& v) {
  const std::vector<std::string>* merges = file.strings("tokenizer.ggml.merges");
  if (!merges) fail("{}: a gpt2 tokenizer needs metadata 'tokenizer.ggml.merges'", file.path());
  const std::string pre = file.string("tokenizer.ggml.pre").value_or("default");
  Json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", true}};
  Json pre_tokenizer = byte_level, normalizer = nullptr;
  bool ignore_merges = false;
  if (pre == "llama-bpe" || pre == "llama3" || pre == "qwen2") {
    byte_level["use_regex"] = false;
    const bool llama3 = pre != "qwen2";
    Json split = {{"type", "Split"},
                  {"pattern", {{"Regex", llama3 ? kLlama3Pattern : kQwen2Pattern}}},
                  {"behavior", "Isolated"},
                  {"invert", false}};
    pre_tokenizer = {{"type", "Sequence"}, {"pretokenizers", {split, byte_level}}};
    ignore_merges = llama3;
    if (!llama3) normalizer = {{"type", "NFC"}};
  } else if (pre != "default" && pre != "gpt2") {
    fail("{}: tokenizer.ggml.pre '{}' is not supported (supported: default, gpt2, llama-bpe, qwen2)", file.path(), pre);
  }
  Json model = {{"type", "BPE"},          {"vocab", vocab_object(v)},       {"merges", *merges},
                {"byte_fallback", false}, {"ignore_merges", ignore_merges}, {"fuse_unk", false}};
  return {{"version", "1.0"},
          {"added_tokens", added_tokens(v)},
          {"normalizer", normalizer},
          {"pre_tokenizer", pre_tokenizer},
          {"model", model},
          {"post_processor", post_processor(file, v, false)},
          {"decoder", {{"type", "ByteLevel"}}}};
}

// SentencePiece's merges from its scores: every split of a normal token into two normal tokens
// is a merge, ranked by the merged token's score (highest first), ties by ids.
Json spm_merges(const GgufFile& file, const Vocabulary& v) {
  const std::vector<double>* scores = file.numbers("tokenizer.ggml.scores");
  if (!scores || scores->size() != v.tokens->size())
    fail("{}: a llama tokenizer needs metadata 'tokenizer.ggml.scores', one per token", file.path());
  std::unordered_map<std::string_view, int64_t> ids;
  for (size_t i = 0; i < v.tokens->size(); ++i)
    if (v.types[i] == kTokenNormal || v.types[i] == kTokenUserDefined) ids.emplace((*v.tokens)[i], i);
  std::vector<std::tuple<double, int64_t, int64_t, int64_t>> ranked;  // (-score, merged, left, right)
  for (const auto& [token, id] : ids)
    for (size_t cut = 1; cut < token.size(); ++cut) {
      if ((static_cast<unsigned char>(token[cut]) & 0xC0) == 0x80) continue;  // inside a UTF-8 character
      auto left = ids.find(token.substr(0, cut)), right = ids.find(token.substr(cut));
      if (left != ids.end() && right != ids.end())
        ranked.emplace_back(-(*scores)[static_cast<size_t>(id)], id, left->second, right->second);
    }
  std::sort(ranked.begin(), ranked.end());
  Json merges = Json::array();
  for (const auto& [score, merged, left, right] : ranked)
    merges.push_back({(*v.tokens)[static_cast<size_t>(left)], (*v.tokens)[static_cast<size_t>(right)]});
  return merges;
}

// SentencePiece BPE as transformers' LlamaTokenizerFast writes it: "▁" for spaces, a leading "▁"
// (tokenizer.ggml.add_space_prefix, default true), byte fallback for characters not in the vocabulary.
Json llama_tokenizer(const GgufFile& file, const Vocabulary& v) {
  const bool prefix = file.boolean("tokenizer.ggml.add_space_prefix").value_or(true);
  Json model = {{"type", "BPE"},
                {"vocab", vocab_object(v)},
                {"merges", spm_merges(file, v)},
                {"byte_fallback", std::find(v.types.begin(), v.types.end(), kTokenByte) != v.types.end()},
                {"fuse_unk", true}};
  if (auto it = std::find(v.types.begin(), v.types.end(), kTokenUnknown); it != v.types.end())
    model["unk_token"] = (*v.tokens)[static_cast<size_t>(it - v.types.begin())];
  Json pre = {{"type", "Metaspace"},
              {"replacement", "\u2581"},
              {"prepend_scheme", prefix ? "first" : "never"},
              {"split", false}};
  Json decoders = {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                   {{"type", "ByteFallback"}},
                   {{"type", "Fuse"}}};
  if (prefix) decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  return {{"version", "1.0"},
          {"added_tokens", added_tokens(v)},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre},
          {"model", model},
          {"post_processor", post_processor(file, v, true)},
          {"decoder", {{"type", "Sequence"}, {"decoders", decoders}}}};
}

}  // namespace

std::optional<Json> tokenizer_json(const GgufFile& file) {
  const std::optional<std::string> model = file.string("tokenizer.ggml.model");
  if (!model) return std::nullopt;
  const Vocabulary v = read_vocabulary(file);
  if (*model == "gpt2") return gpt2_tokenizer(file, v);
  if (*model == "llama") return llama_tokenizer(file, v);
  fail("{}: tokenizer.ggml.model '{}' is not supported (supported: gpt2, llama)", file.path(), *model);
}

std::optional<std::string> chat_template(const GgufFile& file) { return file.string("tokenizer.chat_template"); }

nlohmann::ordered_json special_tokens(const GgufFile& file) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  const std::vector<std::string>* tokens = file.strings("tokenizer.ggml.tokens");
  if (!tokens) return out;
  const Vocabulary v{tokens, std::vector<int>(tokens->size(), kTokenNormal)};
  for (const char* name : {"bos", "eos", "unk", "pad"})
    if (const std::string* token = token_of(file, v, fmt::format("tokenizer.ggml.{}_token_id", name).c_str()))
      out[fmt::format("{}_token", name)] = *token;
  return out;
}

std::vector<std::pair<std::string, std::string>> tokenizer_files(const GgufFile& file) {
  const std::optional<Json> tokenizer = tokenizer_json(file);
  if (!tokenizer) return {};
  nlohmann::ordered_json config = special_tokens(file);
  if (const std::optional<std::string> source = chat_template(file)) config["chat_template"] = *source;
  return {{"tokenizer.json", tokenizer->dump(2) + "\n"}, {"tokenizer_config.json", config.dump(2) + "\n"}};
}

}  // namespace aha::io::gguf
