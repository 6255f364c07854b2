// `aha serve` end to end over HTTP: the OpenAI endpoints, checked against `aha generate` on the
// same model (same engine, different front end) and against hand-computed facts.
#include <gtest/gtest.h>

#include <cmath>

#include "serve/serve_fixture.hpp"

namespace aha {
namespace {

using test::body_json;
using test::run_aha;
using test::sse_data;

class ServeApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    test::write_chat_model(dir_->path().string());
    server_ = new test::ServeProcess("--model " + model() + " --parallel 4 --max-body-kib 64");
    ASSERT_GT(server_->port(), 0) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static std::string model() { return dir_->path().string(); }
  static httplib::Result post(const std::string& path, const Json& body) {
    return server_->client().Post(path, body.dump(), "application/json");
  }
  static Json chat(Json body) {
    body["messages"] = Json::array({{{"role", "user"}, {"content", "Hello"}}});
    auto r = post("/v1/chat/completions", body);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
    return body_json(r);
  }
  // `aha generate --json` on the same model: the reference for the server's tokens.
  static Json generate(const std::string& args) {
    auto r = run_aha("generate --model " + model() + " --json " + args);
    EXPECT_EQ(r.status, 0) << r.err;
    return Json::parse(r.out.substr(0, r.out.find('\n')));
  }
  // The token count of the rendered chat prompt for "Hello", from aha's own CLI tools.
  static size_t prompt_tokens(const std::string& kwargs) {
    test::TempDir tmp;
    test::write_text(tmp.file("messages"), R"([{"role":"user","content":"Hello"}])"
                                           "\n");
    auto rendered =
        run_aha("chat-template --tokenizer " + model() + " --kwargs '" + kwargs + "' < " + tmp.file("messages"));
    EXPECT_EQ(rendered.status, 0) << rendered.err;
    test::write_text(tmp.file("prompt"), rendered.out);
    auto ids = run_aha("tokenize --tokenizer " + model() + " < " + tmp.file("prompt"));
    EXPECT_EQ(ids.status, 0) << ids.err;
    return Json::parse(ids.out).size();
  }
  static test::TempDir* dir_;
  static test::ServeProcess* server_;
};

test::TempDir* ServeApi::dir_ = nullptr;
test::ServeProcess* ServeApi::server_ = nullptr;

TEST_F(ServeApi, health_and_models_name_the_one_model) {
  auto h = server_->client().Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(body_json(h)["status"], "ok");
  auto m = server_->client().Get("/v1/models");
  ASSERT_TRUE(m);
  Json models = body_json(m);
  EXPECT_EQ(models["object"], "list");
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], dir_->path().filename().string());
  EXPECT_EQ(models["data"][0]["object"], "model");
}

TEST_F(ServeApi, greedy_chat_gives_aha_generates_tokens_text_and_logprobs) {
  Json r = chat({{"model", "any-name-at-all"}, {"temperature", 0}, {"max_tokens", 12}, {"logprobs", true}});
  Json g = generate("--prompt Hello --temperature 0 --max-tokens 12");
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["model"], "any-name-at-all");
  const Json& choice = r["choices"][0];
  EXPECT_EQ(choice["message"]["role"], "assistant");
  EXPECT_EQ(choice["message"]["content"], g["text"]);
  EXPECT_EQ(choice["finish_reason"], g["finish_reason"]);
  EXPECT_EQ(r["usage"]["completion_tokens"], g["ids"].size());
  EXPECT_EQ(r["usage"]["prompt_tokens"], prompt_tokens("{}"));
  EXPECT_EQ(r["usage"]["total_tokens"],
            r["usage"]["prompt_tokens"].get<int>() + r["usage"]["completion_tokens"].get<int>());
  const Json& lp = choice["logprobs"]["content"];
  const size_t shown = g["finish_reason"] == "stop" ? g["ids"].size() - 1 : g["ids"].size();  // EOS is not listed
  ASSERT_EQ(lp.size(), shown);
  for (size_t i = 0; i < shown; ++i) EXPECT_NEAR(lp[i]["logprob"].get<double>(), g["logprobs"][i].get<double>(), 1e-6);
}

TEST_F(ServeApi, stream_gives_the_same_text_as_one_response_for_the_same_seed) {
  Json body = {{"temperature", 1.0}, {"seed", 7},        {"n", 2},
               {"max_tokens", 20},   {"logprobs", true}, {"top_logprobs", 2}};
  Json whole = chat(body);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["messages"] = Json::array({{{"role", "user"}, {"content", "Hello"}}});
  auto r = post("/v1/chat/completions", body);
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  std::vector<std::string> events = sse_data(r->body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text[2];
  std::string finish[2];
  size_t tokens[2] = {0, 0};
  for (size_t e = 0; e + 1 < events.size(); ++e) {
    Json chunk = Json::parse(events[e]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    if (chunk["choices"].empty()) {  // the usage chunk, last before [DONE]
      EXPECT_EQ(e + 2, events.size());
      EXPECT_EQ(chunk["usage"], whole["usage"]);
      continue;
    }
    const Json& c = chunk["choices"][0];
    const int i = c["index"];
    text[i] += c["delta"].value("content", "") + c["delta"].value("reasoning_content", "");
    if (!c["logprobs"].is_null()) tokens[i] += c["logprobs"]["content"].size();
    if (!c["finish_reason"].is_null()) finish[i] = c["finish_reason"];
  }
  for (int i = 0; i < 2; ++i) {
    const Json& m = whole["choices"][i];
    EXPECT_EQ(text[i], m["message"]["content"].get<std::string>() + m["message"].value("reasoning_content", "")) << i;
    EXPECT_EQ(finish[i], m["finish_reason"]) << i;
    EXPECT_EQ(tokens[i], m["logprobs"]["content"].size()) << i;
  }
}

TEST_F(ServeApi, sample_i_of_n_uses_seed_plus_i) {
  Json two = chat({{"seed", 40}, {"n", 2}, {"max_tokens", 10}});
  Json one = chat({{"seed", 41}, {"max_tokens", 10}});
  ASSERT_EQ(two["choices"].size(), 2u);
  EXPECT_EQ(two["choices"][1]["message"], one["choices"][0]["message"]);
  Json g = generate("--prompt Hello --temperature 1 --top-p 1 --top-k 0 --min-p 0 --max-tokens 10 --seed 40");
  EXPECT_EQ(two["choices"][0]["message"]["content"], g["text"]);
}

TEST_F(ServeApi, a_stop_string_ends_the_text_before_it) {
  Json full = chat({{"temperature", 0}, {"max_tokens", 30}});
  const std::string text = full["choices"][0]["message"]["content"];
  ASSERT_GE(text.size(), 6u) << text;
  // Two whole characters from the middle on (UTF-8 continuation bytes are 10xxxxxx).
  auto continues = [&](size_t i) { return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  auto next_char = [&](size_t i) {
    do ++i;
    while (continues(i));
    return i;
  };
  size_t at = text.size() / 2;
  while (continues(at)) ++at;
  ASSERT_LT(at, text.size()) << text;
  const std::string stop = text.substr(at, next_char(next_char(at)) - at);
  Json cut = chat({{"temperature", 0}, {"max_tokens", 30}, {"stop", {stop}}});
  EXPECT_EQ(cut["choices"][0]["message"]["content"], text.substr(0, text.find(stop)));
  EXPECT_EQ(cut["choices"][0]["finish_reason"], "stop");
}

TEST_F(ServeApi, top_logprobs_are_sorted_and_greedy_picks_the_first) {
  Json r = chat({{"temperature", 0}, {"max_tokens", 6}, {"logprobs", true}, {"top_logprobs", 3}});
  for (const Json& e : r["choices"][0]["logprobs"]["content"]) {
    ASSERT_EQ(e["top_logprobs"].size(), 3u);
    EXPECT_EQ(e["top_logprobs"][0]["token"], e["token"]);
    EXPECT_EQ(e["top_logprobs"][0]["logprob"], e["logprob"]);
    EXPECT_GE(e["top_logprobs"][0]["logprob"].get<double>(), e["top_logprobs"][1]["logprob"].get<double>());
    EXPECT_GE(e["top_logprobs"][1]["logprob"].get<double>(), e["top_logprobs"][2]["logprob"].get<double>());
    double p = 0;
    for (const Json& t : e["top_logprobs"]) p += std::exp(t["logprob"].get<double>());
    EXPECT_LE(p, 1.0 + 1e-5);
    EXPECT_TRUE(e["bytes"].is_array());
  }
}

TEST_F(ServeApi, chat_template_kwargs_reach_the_template) {
  // Qwen3's template closes an empty <think></think> in the prompt when enable_thinking is false.
  Json on = chat({{"max_tokens", 1}});
  Json off = chat({{"max_tokens", 1}, {"chat_template_kwargs", {{"enable_thinking", false}}}});
  const size_t with = prompt_tokens(R"({"enable_thinking": false})"), without = prompt_tokens("{}");
  EXPECT_GT(with, without);
  EXPECT_EQ(off["usage"]["prompt_tokens"], with);
  EXPECT_EQ(on["usage"]["prompt_tokens"], without);
}

TEST_F(ServeApi, completions_take_text_or_ids_as_aha_generate_raw_does) {
  auto r = post("/v1/completions", {{"prompt", "12 + 7 ="}, {"temperature", 0}, {"max_tokens", 8}, {"logprobs", 2}});
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  Json j = body_json(r);
  Json g = generate("--prompt '12 + 7 =' --raw --temperature 0 --max-tokens 8");
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"], g["text"]);
  EXPECT_EQ(j["choices"][0]["logprobs"]["top_logprobs"][0].size(), 2u);
  auto ids = post("/v1/completions", {{"prompt", {1, 5, 9}}, {"temperature", 0}, {"max_tokens", 5}});
  ASSERT_TRUE(ids && ids->status == 200);
  EXPECT_EQ(body_json(ids)["choices"][0]["text"], generate("--ids 1,5,9 --temperature 0 --max-tokens 5")["text"]);
  EXPECT_EQ(body_json(ids)["usage"]["prompt_tokens"], 3);
}

TEST_F(ServeApi, max_tokens_is_capped_by_the_context) {
  auto r = post("/v1/completions", {{"prompt", Json::array()}, {"max_tokens", 5}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  std::vector<int> prompt(500, 5);
  auto capped = post("/v1/completions", {{"prompt", prompt}, {"temperature", 0}, {"max_tokens", 100000}});
  ASSERT_TRUE(capped && capped->status == 200) << (capped ? capped->body : "");
  Json j = body_json(capped);
  EXPECT_LE(j["usage"]["completion_tokens"].get<int>(), 512 - 500);  // the model's context is 512
  std::vector<int> too_long(512, 5);
  auto refused = post("/v1/completions", {{"prompt", too_long}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_NE(refused->body.find("context size 512"), std::string::npos) << refused->body;
}

// llama.cpp's `ignore_eos` on the model `aha demo --quick` trains (which ends its answers with
// an end-of-sequence token): the same seed gives the same tokens up to where the sample ended,
// then goes on to max_tokens.
TEST(ServeDemoModel, ignore_eos_generates_past_the_end_of_sequence_token) {
  test::TempDir dir;
  const std::string model = test::demo_quick_model(dir);
  ASSERT_FALSE(model.empty());
  test::ServeProcess server("--model " + model);
  ASSERT_GT(server.port(), 0) << server.log();
  auto ask = [&](int seed, bool ignore_eos) {
    const Json body = {{"messages", {{{"role", "user"}, {"content", "What is 12 + 7?"}}}},
                       {"max_tokens", 120},
                       {"seed", seed},
                       {"logprobs", true},
                       {"ignore_eos", ignore_eos}};
    auto r = server.client().Post("/v1/chat/completions", body.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
    return body_json(r);
  };
  // The first seed whose sample ends with the end-of-sequence token.
  Json ended;
  int seed = 0;
  for (seed = 1; seed <= 20; ++seed)
    if ((ended = ask(seed, false))["choices"][0]["finish_reason"] == "stop") break;
  ASSERT_LE(seed, 20) << "no sample of 20 ended before 120 tokens: " << ended.dump();
  const Json longer = ask(seed, true);
  const int64_t ended_tokens = ended["usage"]["completion_tokens"].get<int64_t>();
  EXPECT_LT(ended_tokens, 120);
  EXPECT_EQ(longer["usage"]["completion_tokens"], 120);
  EXPECT_EQ(longer["choices"][0]["finish_reason"], "length");
  // Every token before the end-of-sequence one is the same, with the same log-probability.
  const Json& a = ended["choices"][0]["logprobs"]["content"];
  const Json& b = longer["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(a.size(), static_cast<size_t>(ended_tokens - 1));
  ASSERT_GT(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["token"], b[i]["token"]) << i;
    EXPECT_EQ(a[i]["logprob"], b[i]["logprob"]) << i;
  }
  const std::string text = ended["choices"][0]["message"]["content"].get<std::string>();
  EXPECT_EQ(longer["choices"][0]["message"]["content"].get<std::string>().substr(0, text.size()), text);
}

}  // namespace
}  // namespace aha
