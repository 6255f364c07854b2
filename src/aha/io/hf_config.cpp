#include "aha/io/hf_config.hpp"

#include "aha/base/error.hpp"
#include "aha/base/json.hpp"

namespace aha::io {
namespace {

// Reads fields of one JSON object, naming the file and the key in every error.
class Fields {
 public:
  Fields(const Json& json, const std::string& origin) : json_(json), origin_(origin) {}

  bool has(const char* key) const { return json_.contains(key) && !json_[key].is_null(); }

  int64_t integer(const char* key, int64_t min, int64_t max) const {
    if (!has(key)) fail("{}: missing '{}'", origin_, key);
    return integer_or(key, 0, min, max);
  }
  int64_t integer_or(const char* key, int64_t fallback, int64_t min, int64_t max) const {
    if (!has(key)) return fallback;
    const Json& v = json_[key];
    if (!v.is_number_integer()) fail("{}: '{}' must be an integer, got {}", origin_, key, json_type_name(v));
    int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX ? INT64_MAX : v.get<int64_t>();
    if (n < min || n > max) fail("{}: '{}' is {}, expected {} to {}", origin_, key, n, min, max);
    return n;
  }
  double number_or(const char* key, double fallback, double min, double max) const {
    if (!has(key)) return fallback;
    const Json& v = json_[key];
    if (!v.is_number()) fail("{}: '{}' must be a number, got {}", origin_, key, json_type_name(v));
    double x = v.get<double>();
    if (!(x >= min && x <= max)) fail("{}: '{}' is {}, expected {} to {}", origin_, key, x, min, max);
    return x;
  }
  bool boolean_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!json_[key].is_boolean())
      fail("{}: '{}' must be true or false, got {}", origin_, key, json_type_name(json_[key]));
    return json_[key].get<bool>();
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!json_[key].is_string()) fail("{}: '{}' must be a string, got {}", origin_, key, json_type_name(json_[key]));
    return json_[key].get<std::string>();
  }
  // An integer or a list of integers (eos_token_id may be either).
  std::vector<int64_t> integers_or_empty(const char* key) const {
    if (!has(key)) return {};
    const Json& v = json_[key];
    std::vector<int64_t> out;
    auto take = [&](const Json& x) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0)
        fail("{}: '{}' must be a non-negative integer or a list of them", origin_, key);
      out.push_back(x.get<int64_t>());
    };
    if (v.is_array())
      for (const Json& x : v) take(x);
    else take(v);
    return out;
  }

 private:
  const Json& json_;
  const std::string& origin_;
};

constexpr int64_t kMaxDim = 1 << 20;

RopeScaling parse_rope_scaling(const Json& json, const std::string& origin) {
  RopeScaling out;
  if (json.is_null()) return out;
  if (!json.is_object()) fail("{}: 'rope_scaling' must be an object or null", origin);
  std::string where = origin + ": rope_scaling";
  Fields f(json, where);
  out.kind = f.string_or("rope_type", f.string_or("type", "default"));
  if (out.kind == "default") return out;
  if (out.kind != "llama3")
    fail("{}: rope_scaling type '{}' is not supported (supported: default, llama3)", origin, out.kind);
  out.factor = f.number_or("factor", 0, 1e-9, 1e9);
  if (!f.has("factor")) fail("{}: missing 'factor'", where);
  out.low_freq_factor = f.number_or("low_freq_factor", 1.0, 1e-9, 1e9);
  out.high_freq_factor = f.number_or("high_freq_factor", 4.0, 1e-9, 1e9);
  if (out.high_freq_factor <= out.low_freq_factor)
    fail("{}: 'high_freq_factor' must be greater than 'low_freq_factor'", where);
  out.original_max_position_embeddings = f.integer("original_max_position_embeddings", 1, INT64_C(1) << 40);
  return out;
}

}  // namespace

ModelConfig parse_model_config(const Json& json, const std::string& origin) {
  if (!json.is_object()) fail("{}: config must be a JSON object", origin);
  Fields f(json, origin);
  ModelConfig c;
  c.model_type = f.string_or("model_type", "");
  if (c.model_type.empty()) fail("{}: missing 'model_type'", origin);
  // Any model_type gets the Llama-shaped fields; whether an architecture is registered for it is
  // model/'s check (model::find_architecture) when the model is loaded.
  std::string act = f.string_or("hidden_act", "silu");
  if (act != "silu") fail("{}: hidden_act '{}' is not supported (supported: silu)", origin, act);

  c.hidden_size = f.integer("hidden_size", 1, kMaxDim);
  c.num_hidden_layers = f.integer("num_hidden_layers", 1, 4096);
  c.num_attention_heads = f.integer("num_attention_heads", 1, 4096);
  c.num_key_value_heads = f.integer_or("num_key_value_heads", c.num_attention_heads, 1, c.num_attention_heads);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    fail("{}: num_attention_heads ({}) must be a multiple of num_key_value_heads ({})", origin, c.num_attention_heads,
         c.num_key_value_heads);
  if (!f.has("head_dim") && c.hidden_size % c.num_attention_heads != 0)
    fail("{}: hidden_size ({}) is not a multiple of num_attention_heads ({}) and no head_dim is given", origin,
         c.hidden_size, c.num_attention_heads);
  c.head_dim = f.integer_or("head_dim", c.hidden_size / c.num_attention_heads, 2, kMaxDim);
  if (c.head_dim % 2 != 0) fail("{}: head_dim ({}) must be even for RoPE", origin, c.head_dim);
  c.intermediate_size = f.integer("intermediate_size", 1, 16 * kMaxDim);
  c.vocab_size = f.integer("vocab_size", 1, INT32_MAX);
  c.max_position_embeddings = f.integer_or("max_position_embeddings", 2048, 1, INT64_C(1) << 40);
  c.rms_norm_eps = f.number_or("rms_norm_eps", 1e-6, 0.0, 1.0);
  c.rope_theta = f.number_or("rope_theta", 10000.0, 1e-9, 1e300);
  if (json.contains("rope_scaling")) c.rope_scaling = parse_rope_scaling(json["rope_scaling"], origin);
  c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", false);

  bool qwen = c.model_type == "qwen2" || c.model_type == "qwen3";
  if (qwen && f.boolean_or("use_sliding_window", false)) fail("{}: use_sliding_window is not supported", origin);
  if (c.model_type == "mistral") c.sliding_window = f.integer_or("sliding_window", 0, 1, INT64_C(1) << 40);
  // Qwen2 always has q/k/v biases and none on o_proj; llama and qwen3 take all four from
  // attention_bias; mistral has none.
  if (c.model_type == "qwen2") c.attention_bias = true;
  else if (c.model_type != "mistral") c.attention_bias = f.boolean_or("attention_bias", false);
  c.attention_out_bias = c.model_type != "qwen2" && c.attention_bias;
  c.mlp_bias = (c.model_type == "llama") && f.boolean_or("mlp_bias", false);
  c.qk_norm = c.model_type == "qwen3";
  c.eos_token_ids = f.integers_or_empty("eos_token_id");
  std::vector<int64_t> bos = f.integers_or_empty("bos_token_id");
  c.bos_token_id = bos.empty() ? -1 : bos.front();
  return c;
}

ModelConfig read_model_config(const std::string& path) { return parse_model_config(read_json_file(path), path); }

}  // namespace aha::io
