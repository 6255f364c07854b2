#include "aha/io/gguf/modelfile.hpp"

#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/generation_config.hpp"
#include "aha/io/hf_config.hpp"

namespace aha::io::gguf {
namespace {

namespace fs = std::filesystem;

// A Modelfile string argument, quoted with JSON's escapes (which Ollama's parser accepts).
std::string quoted(const std::string& s) { return Json(s).dump(); }

}  // namespace

std::string ollama_modelfile(const std::string& dir, const std::string& gguf_name) {
  std::string out = "FROM ./" + gguf_name + "\n";
  const ModelConfig config = read_model_config((fs::path(dir) / "config.json").string());
  const std::string tokenizer_path = (fs::path(dir) / "tokenizer.json").string();
  const Json tokenizer = is_file(tokenizer_path) ? read_json_file(tokenizer_path) : Json::object();
  // A stop string for each end-of-sequence id that is an added token (a plain vocabulary piece
  // such as a byte would stop generation in the middle of words).
  for (const int64_t id : eos_token_ids(dir, config))
    for (const Json& t : tokenizer.value("added_tokens", Json::array()))
      if (t.is_object() && t.value("id", int64_t{-1}) == id && t.contains("content") && t["content"].is_string())
        out += "PARAMETER stop " + quoted(t["content"].get<std::string>()) + "\n";
  const std::string generation_path = (fs::path(dir) / "generation_config.json").string();
  if (!is_file(generation_path)) return out;
  const Json g = read_json_file(generation_path);
  if (!g.is_object()) fail("{}: expected a JSON object", generation_path);
  for (const char* key : {"temperature", "top_p", "top_k"})
    if (g.contains(key) && g[key].is_number()) out += fmt::format("PARAMETER {} {}\n", key, g[key].dump());
  return out;
}

}  // namespace aha::io::gguf
