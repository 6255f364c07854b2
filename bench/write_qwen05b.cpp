// Writes a model directory with Qwen2.5-0.5B's exact configuration and random weights stored in
// bf16, plus a byte-level tokenizer (bench/qwen05b.hpp), for generate_bench --model and
// memory_bench. Takes about 1 GB of disk and a minute. --full-vocabulary gives every one of the
// 151,936 ids a token (merges of non-ASCII bytes), so that a binary that stops on padded ids (aha
// before issue #14) can run `aha grpo` on it as a baseline.
//   build/bench/write_qwen05b DIR [--seed N] [--full-vocabulary]
#include <fmt/format.h>

#include <cstdlib>
#include <exception>
#include <string>

#include "qwen05b.hpp"

int usage() {
  fmt::print(stderr, "usage: write_qwen05b DIR [--seed N] [--full-vocabulary]\n");
  return 2;
}

int main(int argc, char** argv) {
  std::string dir;
  uint64_t seed = 1;
  bool full_vocabulary = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--full-vocabulary") full_vocabulary = true;
    else if (dir.empty() && !a.starts_with("-")) dir = a;
    else return usage();
  }
  if (dir.empty()) return usage();
  try {
    aha::bench::write_random_model_dir(dir, aha::bench::qwen25_05b_config_json(), seed, full_vocabulary);
  } catch (const std::exception& e) {
    fmt::print(stderr, "write_qwen05b: {}\n", e.what());
    return 2;
  }
  fmt::print("wrote {}\n", dir);
  return 0;
}
