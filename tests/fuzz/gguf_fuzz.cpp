// Fuzz target: any byte string opened as a GGUF file is either rejected with aha::Error or yields
// metadata, a model config, a tokenizer description and tensors whose every block dequantizes
// without reading outside the file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/error.hpp"
#include "aha/io/gguf/dequantize.hpp"
#include "aha/io/gguf/import_model.hpp"
#include "aha/io/gguf/import_tokenizer.hpp"
#include "aha/io/hf_config.hpp"

namespace {

// Each step on its own: a file whose config is rejected may still have a tokenizer to build.
template <typename F>
void try_step(F&& step) {
  try {
    step();
  } catch (const aha::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("aha-fuzz-gguf", 0);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const aha::io::gguf::GgufFile file(path);
    std::vector<float> values;
    for (const aha::io::gguf::TensorInfo& t : file.tensors()) {
      if (t.elements > (1 << 20)) continue;
      values.resize(static_cast<size_t>(t.elements));
      aha::io::gguf::dequantize_row(t.type, t.data, t.elements, values.data());
    }
    try_step([&] { aha::io::parse_model_config(aha::io::gguf::hf_config_json(file), path); });
    try_step([&] { aha::io::gguf::tokenizer_json(file); });
    try_step([&] { aha::io::gguf::special_tokens(file); });
    try_step([&] {
      for (const auto& name : {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                               "model.layers.0.self_attn.k_proj.bias"})
        if (const auto gguf_name = aha::io::gguf::gguf_tensor_name(name); gguf_name && file.find_tensor(*gguf_name))
          if (file.find_tensor(*gguf_name)->elements <= (1 << 20)) aha::io::gguf::hf_tensor(file, name);
    });
  } catch (const aha::Error&) {
  }
  return 0;
}
