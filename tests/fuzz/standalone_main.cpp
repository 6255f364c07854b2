// A libFuzzer-compatible driver for builds without clang's libFuzzer (the default GCC build):
// runs every file of the seed corpus, then a fixed number of seeded random mutations of them.
// Usage: <target> CORPUS_DIR [ITERATIONS]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string mutate(std::string s, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits; ++e) {
    const size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 6) {
      case 0:  // flip a byte
        if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng());
        break;
      case 1:  // insert a random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(rng()));
        break;
      case 2:  // erase a run
        if (!s.empty()) s.erase(pos % s.size(), 1 + rng() % 16);
        break;
      case 3:  // truncate
        s.resize(pos);
        break;
      case 4:  // duplicate a run
        if (!s.empty()) {
          const size_t from = rng() % s.size();
          s.insert(pos, s.substr(from, 1 + rng() % 32));
        }
        break;
      default:  // an interesting byte: digits, quotes, braces, 0xff
        static const char kBytes[] = "0123456789\"{}[]:,-.e\xff\x00 ";
        if (!s.empty()) s[pos % s.size()] = kBytes[rng() % (sizeof kBytes - 1)];
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
    return 2;
  }
  const long iterations = argc > 2 ? std::atol(argv[2]) : 20000;
  std::vector<std::string> corpus;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    corpus.push_back(s.str());
  }
  if (corpus.empty()) corpus.emplace_back();
  std::mt19937_64 rng(12345);
  for (const auto& input : corpus) LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  for (long i = 0; i < iterations; ++i) {
    const std::string input = mutate(corpus[rng() % corpus.size()], rng);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("%zu seeds, %ld mutations: no crash\n", corpus.size(), iterations);
  return 0;
}
