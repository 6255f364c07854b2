// Shared fixtures of the training tests: a byte-level tokenizer, a tiny from-scratch model
// config and a pretraining config on the built-in arithmetic task.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "aha/base/json.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "support/temp_dir.hpp"

namespace aha::train::testing {

// Writes `dir`/tokenizer.json: 256 byte tokens and <|endoftext|> = 256, no merges.
inline std::string write_byte_tokenizer(const std::string& dir) {
  tokenizer::BpeTrainer trainer({257, {"<|endoftext|>"}});
  trainer.add_text("0123456789+-=");
  const std::string path = dir + "/tokenizer.json";
  test::write_text(path, trainer.finish().json);
  return path;
}

// Writes `dir`/model.json: a tiny Llama with the byte tokenizer's vocabulary, EOS 256.
inline std::string write_model_config(const std::string& dir, int hidden = 64, int layers = 2) {
  const Json config = {{"model_type", "llama"},
                       {"hidden_size", hidden},
                       {"intermediate_size", 2 * hidden},
                       {"num_hidden_layers", layers},
                       {"num_attention_heads", 4},
                       {"num_key_value_heads", 2},
                       {"vocab_size", 257},
                       {"rms_norm_eps", 1e-5},
                       {"rope_theta", 10000.0},
                       {"tie_word_embeddings", false},
                       {"max_position_embeddings", 128},
                       {"eos_token_id", 256}};
  const std::string path = dir + "/model.json";
  test::write_text(path, config.dump(2));
  return path;
}

// A pretraining config on the arithmetic task in `dir`, with `extra` YAML lines appended.
inline std::string write_arithmetic_config(const std::string& dir, const std::string& extra, int hidden = 64) {
  const std::string yaml = fmt::format(
      "model_config: {}\ntokenizer: {}\ndataset_task: equations\noutput_dir: {}/out\n"
      "max_length: 64\nper_device_train_batch_size: 8\nlearning_rate: 5e-3\nseed: 3\n{}",
      write_model_config(dir, hidden), write_byte_tokenizer(dir), dir, extra);
  const std::string path = dir + "/config.yaml";
  test::write_text(path, yaml);
  return path;
}

// The whole file at `path` ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every entry under `dir` (its relative path) with its bytes and modification time: equal
// snapshots before and after a command mean it changed nothing there.
inline std::map<std::string, std::pair<std::string, std::filesystem::file_time_type>> snapshot(const std::string& dir) {
  std::map<std::string, std::pair<std::string, std::filesystem::file_time_type>> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    out[std::filesystem::relative(e.path(), dir).string()] = {e.is_regular_file() ? slurp(e.path().string()) : "",
                                                              std::filesystem::last_write_time(e.path())};
  return out;
}

// The JSON lines of `path`.
inline std::vector<Json> read_json_lines(const std::string& path) {
  std::vector<Json> lines;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(Json::parse(line));
  return lines;
}

}  // namespace aha::train::testing
