// `aha export`: a model directory as a GGUF file for llama.cpp (and an Ollama Modelfile beside
// it), or a LoRA adapter directory as a GGUF LoRA adapter or, with --merge, as a merged model.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/io/gguf/export_lora.hpp"
#include "aha/io/gguf/export_model.hpp"
#include "aha/io/gguf/modelfile.hpp"
#include "aha/ledger/dataset.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/model/adapter.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

namespace fs = std::filesystem;

struct ExportOptions {
  std::string model, format = "gguf", outtype = "f16", out, name;
  bool merge = false, overwrite = false;
};

// The Modelfile beside `out`: F.gguf -> F.Modelfile.
std::string modelfile_path(const std::string& out) { return fs::path(out).replace_extension(".Modelfile").string(); }

// Adapter `adapter` merged into its base, as `aha merge` writes it, in a directory beside `out`
// that the caller removes.
std::string merge_beside(const std::string& adapter, const std::string& out) {
  const fs::path dir =
      fs::absolute(out).parent_path() / fmt::format(".{}.merge-{}", fs::path(out).filename().string(), getpid());
  const auto started = std::chrono::steady_clock::now();
  const std::string started_at = ledger::utc_now();
  model::merge_adapter(adapter, dir.string(), [&](const std::string& tmp) {
    const std::string base = io::adapter_base_dir(adapter, io::read_adapter_config(adapter));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ledger::write_merge_provenance(tmp, adapter, base, started_at, seconds);
  });
  return dir.string();
}

int run_export(const ExportOptions& o) {
  if (o.format != "gguf") fail("--format: expected gguf, got \"{}\"", o.format);
  io::gguf::ExportOptions options{io::gguf::parse_out_type(o.outtype), o.name};
  const bool adapter = io::is_adapter_dir(o.model);
  if (o.merge && !adapter) fail("--merge: {} is not an adapter directory (no adapter_config.json)", o.model);
  const bool writes_modelfile = !adapter || o.merge;
  for (const std::string& path : {o.out, writes_modelfile ? modelfile_path(o.out) : std::string()})
    if (!path.empty() && fs::exists(path) && !o.overwrite)
      fail("--out: {} already exists (pass --overwrite to replace it)", path);
  if (fs::is_directory(o.out)) fail("--out: {} is a directory", o.out);
  if (options.name.empty()) options.name = fs::path(o.model).lexically_normal().filename().string();

  io::gguf::ExportSummary summary;
  std::string source = o.model;
  if (adapter && !o.merge) {
    summary = io::gguf::export_lora(o.model, o.out, options);
  } else {
    if (adapter) source = merge_beside(o.model, o.out);
    try {
      summary = io::gguf::export_model(source, o.out, options);
      write_file_atomic(modelfile_path(o.out), io::gguf::ollama_modelfile(source, fs::path(o.out).filename().string()));
    } catch (...) {
      if (source != o.model) fs::remove_all(source);
      throw;
    }
    if (source != o.model) fs::remove_all(source);
  }
  std::string types;
  for (const auto& [type, count] : summary.types)
    types += fmt::format("{}{} {}", types.empty() ? "" : ", ", count, type);
  fmt::print("wrote {} ({} tensors: {}; {} metadata keys){}\n", o.out, summary.tensors, types, summary.metadata,
             writes_modelfile ? " and " + modelfile_path(o.out) : "");
  return 0;
}

const bool registered = register_command({
    "export",
    "Export a model (or LoRA adapter) as GGUF for llama.cpp and Ollama: aha export --model DIR --out F.gguf",
    [](CLI::App& app) {
      auto o = std::make_shared<ExportOptions>();
      app.add_option("--model", o->model,
                     "Model directory (llama, mistral, qwen2, qwen3 with a byte-level BPE tokenizer.json), or a PEFT "
                     "adapter directory: a GGUF LoRA adapter, or with --merge the merged model")
          ->required();
      app.add_option("--format", o->format, "Output format: gguf (the only one)");
      app.add_option("--outtype", o->outtype,
                     "Tensor types: f32, f16 (default), bf16, q8_0 (as convert_hf_to_gguf.py), q4_0 or q4_k_m (as "
                     "llama-quantize); norms and biases stay f32. Adapters: f32, f16 or bf16");
      app.add_option("--out", o->out,
                     "The .gguf file to write (atomically); a model also gets F.Modelfile for `ollama create`")
          ->required();
      app.add_option("--name", o->name, "general.name (default: the model directory's name)");
      app.add_flag("--merge", o->merge, "Merge the adapter into its base model and export the merged model");
      app.add_flag("--overwrite", o->overwrite, "Replace --out (and its Modelfile) if they exist");
      return [o] { return run_export(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
