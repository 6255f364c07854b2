#include "qwen05b.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/parameter_table.hpp"
#include "aha/tokenizer/byte_level.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "aha/train/init_weights.hpp"

namespace aha::bench {
namespace {

namespace fs = std::filesystem;

// `values` rounded to bf16 (little-endian bytes) as a tensor of `shape`.
tensor::Tensor bf16_tensor(const tensor::Shape& shape, const std::vector<float>& values) {
  std::vector<uint8_t> bytes(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint16_t b = tensor::f32_to_bf16(values[i]);
    bytes[2 * i] = static_cast<uint8_t>(b & 0xff);
    bytes[2 * i + 1] = static_cast<uint8_t>(b >> 8);
  }
  return tensor::Tensor::from_bytes(tensor::DType::BF16, shape, std::move(bytes));
}

// Every tensor of `config`'s parameter table, initialised with `seed`, in bf16. Each fp32 tensor
// is freed once rounded, so the peak is about one fp32 copy of the model.
std::map<std::string, tensor::Tensor> random_bf16_tensors(const io::ModelConfig& config, uint64_t seed) {
  model::Weights w = train::init_weights(config, 0.02, seed);
  std::map<std::string, tensor::Tensor> out;
  for (const model::ParameterSpec& p : model::parameter_table(config)) {
    std::vector<float>& values = *p.slot(w).values;
    out[p.name] = bf16_tensor(p.shape, values);
    std::vector<float>().swap(values);
  }
  return out;
}

std::string byte_level_tokenizer_json() {
  tokenizer::BpeTrainer trainer({256, {}});
  trainer.add_text("0123456789+-= abcdefghijklmnopqrstuvwxyz");
  return trainer.finish().json;
}

// The byte-level tokenizer grown to `vocab_size` ids by merges of bytes 128..255 only (pairs of
// them, then a pair and one more), so that ASCII text encodes to the same ids as before and every
// id the model can sample is a token.
std::string full_vocabulary_tokenizer_json(int64_t vocab_size) {
  OrderedJson doc = parse_ordered_json(byte_level_tokenizer_json(), "byte-level tokenizer");
  OrderedJson& vocab = doc["model"]["vocab"];
  OrderedJson& merges = doc["model"]["merges"];
  const auto alphabet = [](std::string_view bytes) {
    std::string text;
    tokenizer::byte_level::encode(bytes, text);
    return text;
  };
  const auto add = [&](const std::string& a, const std::string& b) {
    if (static_cast<int64_t>(vocab.size()) >= vocab_size) return;
    const size_t id = vocab.size();
    vocab[alphabet(a + b)] = id;
    merges.push_back({alphabet(a), alphabet(b)});
  };
  std::vector<std::string> pairs;
  for (int a = 128; a < 256; ++a)
    for (int b = 128; b < 256; ++b) {
      pairs.push_back({static_cast<char>(a), static_cast<char>(b)});
      add(std::string(1, static_cast<char>(a)), std::string(1, static_cast<char>(b)));
    }
  for (const std::string& pair : pairs)
    for (int c = 128; c < 256; ++c) add(pair, std::string(1, static_cast<char>(c)));
  if (static_cast<int64_t>(vocab.size()) != vocab_size)
    fail_internal(
        fmt::format("full-vocabulary tokenizer: cannot make {} ids from 256 bytes and their merges", vocab_size));
  return doc.dump(2) + "\n";
}

}  // namespace

Json qwen25_05b_config_json() {
  return Json{{"architectures", {"Qwen2ForCausalLM"}},
              {"attention_dropout", 0.0},
              {"bos_token_id", 151643},
              {"eos_token_id", 151643},
              {"hidden_act", "silu"},
              {"hidden_size", 896},
              {"initializer_range", 0.02},
              {"intermediate_size", 4864},
              {"max_position_embeddings", 32768},
              {"max_window_layers", 24},
              {"model_type", "qwen2"},
              {"num_attention_heads", 14},
              {"num_hidden_layers", 24},
              {"num_key_value_heads", 2},
              {"rms_norm_eps", 1e-6},
              {"rope_theta", 1000000.0},
              {"sliding_window", 32768},
              {"tie_word_embeddings", true},
              {"torch_dtype", "bfloat16"},
              {"transformers_version", "4.40.1"},
              {"use_cache", true},
              {"use_sliding_window", false},
              {"vocab_size", 151936}};
}

io::ModelConfig qwen25_05b_config() { return io::parse_model_config(qwen25_05b_config_json(), "Qwen2.5-0.5B config"); }

void write_random_model_dir(const std::string& dir, const Json& config, uint64_t seed, bool full_vocabulary) {
  const fs::path target = fs::path(dir).lexically_normal();
  if (fs::exists(target)) fail("{}: already exists; give a new directory", dir);
  const io::ModelConfig parsed = io::parse_model_config(config, dir + "/config.json");
  const fs::path parent = target.has_parent_path() ? target.parent_path() : ".";
  const fs::path temp = parent / fmt::format(".{}.tmp-{}", target.filename().string(), getpid());
  fs::remove_all(temp);
  fs::create_directories(temp);
  write_file_atomic((temp / "config.json").string(), config.dump(2) + "\n");
  write_file_atomic((temp / "tokenizer.json").string(),
                    full_vocabulary ? full_vocabulary_tokenizer_json(parsed.vocab_size) : byte_level_tokenizer_json());
  io::write_safetensors((temp / "model.safetensors").string(), random_bf16_tensors(parsed, seed), {{"format", "pt"}});
  fs::rename(temp, target);
}

}  // namespace aha::bench
