#include "aha/io/gguf/export_vocab.hpp"

#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"

namespace aha::io::gguf {
namespace {

namespace fs = std::filesystem;

// `j[key]` when `j` is an object whose `key` is a string, else "" (tokenizer files vary).
std::string text_field(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// The Split regexes of the pre-tokenizers llama.cpp knows by name (tokenizer.json's spelling).
const std::vector<std::pair<std::string, std::string>>& known_pre_tokenizers() {
  static const std::vector<std::pair<std::string, std::string>> known = {
      {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
       "\\s+(?!\\S)|\\s+",
       "qwen2"},
      {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
       "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
       "llama-bpe"},
  };
  return known;
}

// True when `node` (a pre-tokenizer, decoder or post-processor) is or contains a ByteLevel step;
// `use_regex` gets that step's use_regex.
bool has_byte_level(const Json& node, bool* use_regex = nullptr) {
  if (!node.is_object()) return false;
  if (text_field(node, "type") == "ByteLevel") {
    if (use_regex) *use_regex = !node.contains("use_regex") || node["use_regex"] != false;
    return true;
  }
  for (const char* list : {"pretokenizers", "processors", "decoders"})
    if (node.contains(list) && node[list].is_array())
      for (const Json& step : node[list])
        if (has_byte_level(step, use_regex)) return true;
  return false;
}

// llama.cpp's name for the pre-tokenizer `pre` (tokenizer.json's "pre_tokenizer").
std::string pre_tokenizer_name(const Json& pre) {
  std::vector<std::string> patterns;
  const bool sequence = text_field(pre, "type") == "Sequence" && pre.contains("pretokenizers");
  const Json steps = sequence && pre["pretokenizers"].is_array() ? pre["pretokenizers"] : Json::array({pre});
  for (const Json& step : steps)
    if (text_field(step, "type") == "Split" && step.contains("pattern"))
      patterns.push_back(text_field(step["pattern"], "Regex"));
  bool use_regex = false;
  if (patterns.empty() && has_byte_level(pre, &use_regex) && use_regex) return "gpt-2";
  if (patterns.size() == 1)
    for (const auto& [regex, name] : known_pre_tokenizers())
      if (patterns[0] == regex) return name;
  return "default";
}

// A merge as llama.cpp stores it: "a b", a space inside a part written as U+0120 + 256.
std::string merge_text(const Json& merge, const std::string& origin) {
  if (merge.is_string()) return merge.get<std::string>();
  if (!merge.is_array() || merge.size() != 2 || !merge[0].is_string() || !merge[1].is_string())
    fail("{}: model.merges: expected \"a b\" strings or [a, b] pairs", origin);
  auto part = [](const std::string& s) {
    std::string out;
    for (const char c : s) out += c == ' ' ? std::string("\xc5\xa0") : std::string(1, c);  // U+0160
    return out;
  };
  return part(merge[0].get<std::string>()) + " " + part(merge[1].get<std::string>());
}

// The text of special-token entry `entry` of tokenizer_config.json (a string or {"content"}).
std::string token_text(const Json& entry) {
  return entry.is_string() ? entry.get<std::string>() : text_field(entry, "content");
}

// Whether the post-processor puts a special token before (add_bos) or after (add_eos) a single
// sequence (TemplateProcessing, as convert_hf_to_gguf.py reads it).
void read_post_processor(const Json& post, GgufVocab& v) {
  if (!post.is_object()) return;
  const Json steps = post.contains("processors") ? post["processors"] : Json::array({post});
  for (const Json& step : steps) {
    if (text_field(step, "type") != "TemplateProcessing" || !step.contains("single")) continue;
    const Json& single = step["single"];
    if (!single.is_array() || single.size() < 2) continue;
    v.add_bos = single.front().is_object() && single.front().contains("SpecialToken");
    v.add_eos = single.back().is_object() && single.back().contains("SpecialToken");
  }
}

void read_special_tokens(const std::string& dir, const Json& added, GgufVocab& v) {
  auto find_added = [&](const std::string& text) -> int64_t {
    for (const Json& t : added)
      if (text_field(t, "content") == text) return t["id"].get<int64_t>();  // ids checked by the caller
    return -1;
  };
  const std::string config_path = (fs::path(dir) / "tokenizer_config.json").string();
  Json config = is_file(config_path) ? read_json_file(config_path) : Json::object();
  if (!config.is_object()) fail("{}: expected a JSON object", config_path);
  const std::pair<const char*, int64_t*> ids[] = {{"bos", &v.bos}, {"eos", &v.eos}, {"pad", &v.pad}, {"unk", &v.unk}};
  for (const auto& [kind, id] : ids)
    if (config.contains(std::string(kind) + "_token"))
      *id = find_added(token_text(config[std::string(kind) + "_token"]));
  if (config.contains("add_bos_token") && config["add_bos_token"].is_boolean()) v.add_bos = config["add_bos_token"];
  if (config.contains("add_eos_token") && config["add_eos_token"].is_boolean()) v.add_eos = config["add_eos_token"];
  if (config.contains("chat_template") && config["chat_template"].is_string())
    v.chat_template = config["chat_template"];
  const std::string jinja = (fs::path(dir) / "chat_template.jinja").string();
  if (v.chat_template.empty() && is_file(jinja)) v.chat_template = read_file(jinja);
  // config.json's ids where tokenizer_config.json named none (convert_hf_to_gguf.py's order).
  const std::string model_config_path = (fs::path(dir) / "config.json").string();
  if (!is_file(model_config_path)) return;
  const Json model_config = read_json_file(model_config_path);
  for (const auto& [kind, id] : ids) {
    const std::string key = std::string(kind) + "_token_id";
    if (*id < 0 && model_config.is_object() && model_config.contains(key) && model_config[key].is_number_integer())
      *id = model_config[key].get<int64_t>();
  }
}

}  // namespace

GgufVocab read_gguf_vocab(const std::string& dir, int64_t vocab_size) {
  const std::string origin = (fs::path(dir) / "tokenizer.json").string();
  if (!is_file(origin)) fail("{}: missing: llama.cpp needs the model's vocabulary", origin);
  const Json doc = read_json_file(origin);
  if (!doc.is_object() || !doc.contains("model") || !doc["model"].is_object())
    fail("{}: model: expected an object", origin);
  const Json& model = doc["model"];
  if (text_field(model, "type") != "BPE" || !doc.contains("pre_tokenizer") || !has_byte_level(doc["pre_tokenizer"]))
    fail("{}: only byte-level BPE tokenizers (GPT-2, Llama 3, Qwen style) are exported to GGUF", origin);
  GgufVocab v;
  v.tokens.resize(static_cast<size_t>(vocab_size));
  v.types.assign(static_cast<size_t>(vocab_size), 5);
  auto place = [&](int64_t id, const std::string& text, int32_t type) {
    if (id < 0 || id >= vocab_size)
      fail("{}: token \"{}\" has id {}, outside the model's vocab_size {}", origin, text, id, vocab_size);
    v.tokens[static_cast<size_t>(id)] = text;
    v.types[static_cast<size_t>(id)] = type;
  };
  if (!model.contains("vocab") || !model["vocab"].is_object()) fail("{}: model.vocab: expected an object", origin);
  for (const auto& [text, id] : model["vocab"].items()) {
    if (!id.is_number_integer()) fail("{}: model.vocab.{}: expected an integer id", origin, text);
    place(id.get<int64_t>(), text, 1);
  }
  const Json added =
      doc.contains("added_tokens") && doc["added_tokens"].is_array() ? doc["added_tokens"] : Json::array();
  for (const Json& t : added) {
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() || !t.contains("content") ||
        !t["content"].is_string())
      fail("{}: added_tokens: expected objects with an integer id and a string content", origin);
    const std::string text = t["content"];
    const bool looks_special = text.starts_with("<|") && text.ends_with("|>");
    const bool special = t.contains("special") && t["special"] == true;
    place(t["id"].get<int64_t>(), text, special || looks_special ? 3 : 4);
  }
  for (size_t id = 0; id < v.tokens.size(); ++id)
    if (v.types[id] == 5) v.tokens[id] = "[PAD" + std::to_string(id) + "]";
  if (model.contains("merges") && !model["merges"].is_array()) fail("{}: model.merges: expected a list", origin);
  for (const Json& m : model.value("merges", Json::array())) v.merges.push_back(merge_text(m, origin));
  v.pre = pre_tokenizer_name(doc["pre_tokenizer"]);
  read_post_processor(doc.value("post_processor", Json()), v);
  read_special_tokens(dir, added, v);
  for (const int64_t id : {v.bos, v.eos, v.pad, v.unk})
    if (id >= vocab_size) fail("{}: special token id {} is outside the model's vocab_size {}", dir, id, vocab_size);
  return v;
}

void set_vocab_metadata(Writer& writer, const GgufVocab& v) {
  writer.set_string("tokenizer.ggml.model", "gpt2");
  writer.set_string("tokenizer.ggml.pre", v.pre);
  writer.set_string_array("tokenizer.ggml.tokens", v.tokens);
  writer.set_int32_array("tokenizer.ggml.token_type", v.types);
  writer.set_string_array("tokenizer.ggml.merges", v.merges);
  const std::pair<const char*, int64_t> ids[] = {{"tokenizer.ggml.bos_token_id", v.bos},
                                                 {"tokenizer.ggml.eos_token_id", v.eos},
                                                 {"tokenizer.ggml.padding_token_id", v.pad},
                                                 {"tokenizer.ggml.unknown_token_id", v.unk}};
  for (const auto& [key, id] : ids)
    if (id >= 0) writer.set_uint32(key, static_cast<uint32_t>(id));
  writer.set_bool("tokenizer.ggml.add_bos_token", v.add_bos);
  writer.set_bool("tokenizer.ggml.add_eos_token", v.add_eos);
  if (!v.chat_template.empty()) writer.set_string("tokenizer.chat_template", v.chat_template);
}

}  // namespace aha::io::gguf
