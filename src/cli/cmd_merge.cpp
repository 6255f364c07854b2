// `aha merge`: a LoRA adapter directory merged into its base model, written as a full model with
// a provenance.json that references the adapter and the base.
#include <chrono>
#include <filesystem>
#include <memory>

#include "aha/base/error.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/ledger/dataset.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/model/adapter.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct MergeOptions {
  std::string adapter, out;
};

const bool registered = register_command({
    "merge",
    "Merge a LoRA adapter into its base model: aha merge --adapter DIR --out DIR",
    [](CLI::App& app) {
      auto o = std::make_shared<MergeOptions>();
      app.add_option("--adapter", o->adapter,
                     "Adapter directory in PEFT's layout (adapter_config.json names the base model)")
          ->required();
      app.add_option("--out", o->out,
                     "New model directory: config.json, model.safetensors (F32, W + (alpha/r)·B·A), "
                     "tokenizer and generation files, provenance.json naming the adapter and the base; must not "
                     "exist or be empty")
          ->required();
      return [o] {
        namespace fs = std::filesystem;
        std::error_code ec;  // merge_adapter checks this too; here the error names the flag
        if (fs::exists(o->out) && !(fs::is_directory(o->out) && fs::is_empty(o->out, ec)))
          fail("--out {}: already exists and is not an empty directory", o->out);
        const auto started = std::chrono::steady_clock::now();
        const std::string started_at = ledger::utc_now();
        model::merge_adapter(o->adapter, o->out, [&](const std::string& dir) {
          const std::string base = io::adapter_base_dir(o->adapter, io::read_adapter_config(o->adapter));
          const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
          ledger::write_merge_provenance(dir, o->adapter, base, started_at, seconds);
        });
        return 0;
      };
    },
});

}  // namespace
}  // namespace aha::cli
