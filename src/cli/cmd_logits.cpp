// `aha logits`: the logits at every position of a token sequence, written as safetensors.
#include <map>
#include <memory>

#include "aha/io/safetensors.hpp"
#include "aha/model/decoder.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct LogitsOptions {
  std::string model, ids, out;
  model::DTypeChoice dtype = model::DTypeChoice::automatic;
};

int run_logits(const LogitsOptions& o) {
  std::vector<int32_t> ids = parse_ids(o.ids, "--ids");
  model::Model m(o.model, o.dtype);
  std::vector<float> logits = m.logits(ids);
  tensor::Shape shape = {static_cast<int64_t>(ids.size()), m.config().vocab_size};
  io::write_safetensors(o.out, {{"logits", tensor::Tensor::from_f32(shape, logits)}});
  return 0;
}

const bool registered = register_command({
    "logits",
    "Write the logits at every position of a token sequence to a safetensors file",
    [](CLI::App& app) {
      auto o = std::make_shared<LogitsOptions>();
      app.add_option("--model", o->model, "Model directory (Hugging Face layout) or .gguf file")->required();
      app.add_option("--ids", o->ids, "Token ids, comma-separated: 1,2,3")->required();
      app.add_option("--out", o->out, "Output file: tensor 'logits', F32, shape [T, vocab]")->required();
      add_dtype_option(app, o->dtype);
      return [o] { return run_logits(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
