#include "aha/model/adapter.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/gguf/import_tokenizer.hpp"
#include "aha/io/model_dir.hpp"
#include "aha/io/safetensors.hpp"

namespace aha::model {

LoraSettings lora_settings(const io::AdapterConfig& c, const std::string& origin) {
  LoraSettings s;
  s.r = c.r;
  s.alpha = c.lora_alpha;
  s.dropout = c.lora_dropout;
  s.use_rslora = c.use_rslora;
  s.target_modules = resolve_lora_targets(c.target_modules, origin + ": target_modules");
  return s;
}

Lora load_adapter(const io::ModelDir& dir) {
  if (!dir.adapter()) fail_internal("load_adapter needs an adapter directory");
  const std::string origin = (std::filesystem::path(dir.path()) / "adapter_config.json").string();
  Lora lora = zero_lora(dir.config(), lora_settings(*dir.adapter(), origin));
  const io::SafetensorsFile file((std::filesystem::path(dir.path()) / "adapter_model.safetensors").string());
  read_lora_tensors(
      lora, [&](const std::string& name) { return file.get(name); }, file.path());
  // A tensor aha would not apply (a target module adapter_config.json does not list, a trainable
  // embedding, ...) would silently change what the adapter means.
  const std::vector<Parameter> expected = lora_parameters(lora);
  for (const std::string& name : file.names())
    if (std::none_of(expected.begin(), expected.end(), [&](const Parameter& p) { return p.name == name; }))
      fail("{}: tensor '{}' is not a LoRA weight of the target modules in adapter_config.json", file.path(), name);
  return lora;
}

void write_adapter(const std::string& dir, const Lora& lora, const std::string& base_model) {
  std::filesystem::create_directories(dir);
  io::AdapterConfig c;
  c.base_model_name_or_path = base_model;
  c.r = lora.settings.r;
  c.lora_alpha = lora.settings.alpha;
  c.lora_dropout = lora.settings.dropout;
  c.use_rslora = lora.settings.use_rslora;
  c.target_modules = lora.settings.target_modules;
  write_file_atomic(dir + "/adapter_config.json", io::adapter_config_json(c));
  io::write_safetensors(dir + "/adapter_model.safetensors", lora_tensors(lora), {{"format", "pt"}});
}

void merge_adapter(const std::string& adapter_dir, const std::string& out,
                   const std::function<void(const std::string& dir)>& finish) {
  namespace fs = std::filesystem;
  const io::ModelDir dir(adapter_dir);
  if (!dir.adapter()) fail("{}: not an adapter directory (no adapter_config.json)", adapter_dir);
  std::error_code ec;
  if (fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out, ec)))
    fail("merge output {}: already exists and is not an empty directory", out);
  const Weights merged = load_weights(dir);
  const fs::path target = fs::absolute(out).lexically_normal();
  // A name of this process's own, created here (never another merge's directory, never emptied).
  const std::string temp =
      (target.parent_path() / fmt::format(".{}.tmp-merge-{}", target.filename().string(), ::getpid())).string();
  fs::create_directories(target.parent_path());
  if (!fs::create_directory(temp, ec)) fail_io(temp, ec ? "cannot create directory" : "already exists");
  try {
    write_file_atomic(temp + "/config.json", io::model_config_text(adapter_dir).first);
    io::write_safetensors(temp + "/model.safetensors", to_tensors(merged), {{"format", "pt"}});
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                             "chat_template.jinja", "generation_config.json", "prompt_template.json"}) {
      const std::string from = (fs::path(io::model_file_dir(adapter_dir, name)) / name).string();
      if (is_file(from)) write_file_atomic((fs::path(temp) / name).string(), read_file(from));
    }
    // A GGUF base holds its tokenizer; the adapter's own tokenizer files, copied above, win.
    if (dir.gguf() && !is_file(temp + "/tokenizer.json"))
      for (const auto& [name, text] : io::gguf::tokenizer_files(*dir.gguf()))
        write_file_atomic(temp + "/" + name, text);
    if (finish) finish(temp);
  } catch (...) {
    fs::remove_all(temp, ec);  // this process's own directory, incomplete
    throw;
  }
  fs::remove(target, ec);  // an empty directory
  fs::rename(temp, target, ec);
  if (ec) fail_io(target.string(), "cannot rename the merged model into place");
}

}  // namespace aha::model
