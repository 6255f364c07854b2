// Generation speed: decode tokens/s at batch 1 on a ~58M model (fits the L3 cache) and on a
// ~370M model (DRAM-bound: reported as a fraction of the DRAM read bandwidth measured here),
// then the G=8 rollout workload (8 prompts x 8 samples x 128 tokens) with and without
// prefix sharing, against the batch-1 rate.
//   build/bench/generate_bench [--quick]
// With --model DIR, instead: decode tokens/s of the model in DIR (e.g. the Qwen2.5-0.5B-shaped one
// that build/bench/write_qwen05b writes) at batch 1 (greedy) and batch 64 (64 samples of one
// prompt at temperature 1), `--tokens N` (default 32) decode steps each, after the prefill, with
// --dtype float32, bfloat16 and q8_0 side by side.
//   build/bench/generate_bench --model DIR [--tokens N]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "aha/base/threads.hpp"
#include "aha/generate/engine.hpp"
#include "aha/model/parameter_table.hpp"
#include "llama_config.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace aha;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<float> random_values(size_t n, float scale, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

model::Linear random_linear(int64_t in, int64_t out, std::mt19937& rng) {
  return {in, out, random_values(static_cast<size_t>(in * out), 1.0f / std::sqrt(float(in)), rng), {}, {}};
}

model::Model random_model(const io::ModelConfig& c) {
  std::mt19937 rng(1);
  model::Weights w;
  const int64_t h = c.hidden_size, kv = c.num_key_value_heads * c.head_dim, q = c.num_attention_heads * c.head_dim;
  w.embed_tokens = random_values(static_cast<size_t>(c.vocab_size * h), 1.0f, rng);
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    model::LayerWeights l;
    l.input_norm.assign(h, 1.0f);
    l.post_attention_norm.assign(h, 1.0f);
    l.q_proj = random_linear(h, q, rng);
    l.k_proj = random_linear(h, kv, rng);
    l.v_proj = random_linear(h, kv, rng);
    l.o_proj = random_linear(q, h, rng);
    l.gate_proj = random_linear(h, c.intermediate_size, rng);
    l.up_proj = random_linear(h, c.intermediate_size, rng);
    l.down_proj = random_linear(c.intermediate_size, h, rng);
    w.layers.push_back(std::move(l));
  }
  w.final_norm.assign(h, 1.0f);
  w.lm_head = random_linear(h, c.vocab_size, rng);
  return model::Model(c, std::move(w));
}

// Bytes of weights one decode step reads: every tensor (the matrices in the model's dtype, the
// norms and biases in fp32), of an untied embedding only one row.
double weight_bytes(const model::Model& m) {
  const io::ModelConfig& c = m.config();
  const model::ComputeDType dt = m.dtype();
  const double matrix_bytes = dt == model::ComputeDType::bfloat16 ? 2.0
                              : dt == model::ComputeDType::q8_0   ? 34.0 / 32
                                                                  : 4.0;
  double bytes = 0;
  for (const model::ParameterSpec& p : model::parameter_table(c)) {
    const bool untied_embedding = p.name == "model.embed_tokens.weight" && !c.tie_word_embeddings;
    const double n =
        untied_embedding ? static_cast<double>(c.hidden_size) : static_cast<double>(tensor::numel(p.shape));
    bytes += n * (p.shape.size() == 2 && !untied_embedding ? matrix_bytes : 4.0);
  }
  return bytes;
}

// DRAM read bandwidth: every thread sums its share of a 1 GiB buffer (best of 5), bytes/s.
// Four independent 16-lane accumulators keep the adds off the critical path.
double dram_read_bandwidth() {
  const size_t n = (1u << 30) / sizeof(float);
  std::vector<float> buffer(n, 1.0f);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<float> sums(static_cast<size_t>(num_threads()));
    auto t = Clock::now();
    parallel_for(n, [&](size_t begin, size_t end) {
      float acc[64] = {};
      for (size_t i = begin; i + 64 <= end; i += 64)
        for (int l = 0; l < 64; ++l) acc[l] += buffer[i + l];
      float s = 0;
      for (float a : acc) s += a;
      sums[begin * sums.size() / n] = s;
    });
    best = std::max(best, static_cast<double>(n * sizeof(float)) / seconds_since(t));
  }
  return best;
}

// Tokens/s of `batch` samples of one 16-token prompt decoding `tokens` tokens each, together.
double decode_rate(const model::Model& m, int64_t batch, int64_t tokens, float temperature) {
  generate::Engine engine(m, {.max_batch = batch, .ctx_size = 512});
  std::vector<int32_t> prompt(16, 5);
  engine.submit(
      {.prompt = prompt, .sampling = {.temperature = temperature, .seed = 1}, .n = batch, .max_tokens = tokens + 1});
  int64_t seen = 0;
  Clock::time_point start;
  engine.run([&](const generate::TokenEvent&) {
    if (++seen == batch) start = Clock::now();  // each sample's first token comes from the prefill
    return true;
  });
  return static_cast<double>(seen - batch) / seconds_since(start);
}

// Decode at batch 1 and 64 of the model in `dir` in fp32, bf16 and q8_0, against the DRAM bandwidth.
void model_dir_bench(const std::string& dir, int64_t tokens, double bandwidth) {
  const model::DTypeChoice dtypes[3] = {model::DTypeChoice::float32, model::DTypeChoice::bfloat16,
                                        model::DTypeChoice::q8_0};
  double rates[3][2] = {};
  for (int d = 0; d < 3; ++d) {
    const model::Model m(dir, dtypes[d]);
    const double bytes = weight_bytes(m);
    fmt::print("\n{}: {}, --dtype {} ({:.0f} MB of weights read per decode step)\n", dir, m.config().model_type,
               model::dtype_name(m.dtype()), bytes / 1e6);
    const double single = rates[d][0] = decode_rate(m, 1, tokens, 0.0f);
    fmt::print(
        "  decode batch 1:  {:8.2f} tokens/s; weights read at {:.1f} GB/s = {:.0f}% of measured DRAM bandwidth\n",
        single, single * bytes / 1e9, 100.0 * single * bytes / bandwidth);
    const double batched = rates[d][1] = decode_rate(m, 64, tokens, 1.0f);
    fmt::print("  decode batch 64: {:8.2f} tokens/s = {:.2f}x batch 1\n", batched, batched / single);
  }
  fmt::print("\nbfloat16 / float32: batch 1 {:.2f}x, batch 64 {:.2f}x\n", rates[1][0] / rates[0][0],
             rates[1][1] / rates[0][1]);
  fmt::print("q8_0 / bfloat16:    batch 1 {:.2f}x, batch 64 {:.2f}x\n", rates[2][0] / rates[1][0],
             rates[2][1] / rates[1][1]);
}

// Completion tokens/s of 8 prompts x 8 samples x `tokens`: shared = one request with n = 8 per
// prompt; otherwise 64 independent requests, each prefilling its own copy of the prompt.
double rollout_rate(const model::Model& m, int64_t tokens, bool shared) {
  generate::Engine engine(m, {.max_batch = 64, .ctx_size = 512});
  for (int p = 0; p < 8; ++p) {
    std::vector<int32_t> prompt(64, 7 + p);
    for (int i = 0; i < (shared ? 1 : 8); ++i)
      engine.submit({.prompt = prompt,
                     .sampling = {.temperature = 1.0f, .seed = uint64_t(p * 8 + i)},
                     .n = shared ? 8 : 1,
                     .max_tokens = tokens});
  }
  int64_t produced = 0;
  auto start = Clock::now();
  engine.run([&](const generate::TokenEvent&) { return ++produced, true; });
  return static_cast<double>(produced) / seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string model_dir;
  int64_t tokens = 32;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--model" && i + 1 < argc) model_dir = argv[++i];
    else if (a == "--tokens" && i + 1 < argc) tokens = std::max<int64_t>(1, std::atoll(argv[++i]));
    else {
      fmt::print(stderr, "usage: generate_bench [--quick] | --model DIR [--tokens N]\n");
      return 2;
    }
  }
  fmt::print("threads: {}\n", num_threads());
  const double bandwidth = dram_read_bandwidth();
  fmt::print("measured DRAM read bandwidth: {:.1f} GB/s\n", bandwidth / 1e9);
  if (!model_dir.empty()) {
    model_dir_bench(model_dir, tokens, bandwidth);
    return 0;
  }

  model::Model small = random_model(bench::llama_config(512, 8, 8, 8, 1376, 32000));
  fmt::print("\n58M model ({:.0f} MB of fp32 weights read per token: fits the 260 MiB L3 cache)\n",
             weight_bytes(small) / 1e6);
  const double single = decode_rate(small, 1, quick ? 16 : 64, 0.0f);
  fmt::print("  decode batch 1: {:.1f} tokens/s ({:.1f} GB/s of weights)\n", single,
             single * weight_bytes(small) / 1e9);
  const int64_t rollout_tokens = quick ? 16 : 128;
  const double shared = rollout_rate(small, rollout_tokens, true);
  const double unshared = rollout_rate(small, rollout_tokens, false);
  fmt::print("  8 prompts x 8 samples x {} tokens, prefix shared:     {:.1f} tokens/s = {:.2f}x batch 1\n",
             rollout_tokens, shared, shared / single);
  fmt::print(
      "  8 prompts x 8 samples x {} tokens, prefix not shared: {:.1f} tokens/s = {:.2f}x batch 1 (shared/unshared "
      "{:.2f}x)\n",
      rollout_tokens, unshared, unshared / single, shared / unshared);
  if (quick) return 0;

  model::Model large = random_model(bench::llama_config(1024, 24, 16, 16, 2816, 32000));
  const double bytes = weight_bytes(large);
  fmt::print("\n~{:.0f}M-parameter model ({:.0f} MB of fp32 weights read per token: larger than L3, DRAM-bound)\n",
             static_cast<double>(large.weights().embed_tokens.size()) / 1e6 + bytes / 4e6, bytes / 1e6);
  const double rate = decode_rate(large, 1, 16, 0.0f);
  fmt::print("  decode batch 1: {:.2f} tokens/s; weights read at {:.1f} GB/s = {:.0f}% of measured DRAM bandwidth\n",
             rate, rate * bytes / 1e9, 100.0 * rate * bytes / bandwidth);
  return 0;
}
