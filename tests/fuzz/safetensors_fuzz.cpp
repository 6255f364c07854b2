// Fuzz target: any byte string opened as a safetensors file is either rejected with
// aha::Error or yields tensors whose every byte can be read.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "aha/base/error.hpp"
#include "aha/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("aha-fuzz-safetensors", 0);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    aha::io::SafetensorsFile file(path);
    for (const auto& name : file.names()) {
      aha::tensor::Tensor t = file.get(name);
      if (aha::tensor::is_float_dtype(t.dtype()) && t.numel() < (1 << 20)) t.to_f32();
      volatile uint8_t sink = 0;
      for (size_t i = 0; i < t.nbytes(); i += 64) sink = sink + t.data()[i];
    }
  } catch (const aha::Error&) {
  }
  return 0;
}
