// `aha serve` on a LoRA adapter directory (PEFT's layout, applied on top of its base model at
// load): a greedy request gets the same tokens and log-probabilities as from the model `aha merge`
// makes of the adapter, and other tokens than from the base model alone.
#include <gtest/gtest.h>

#include "aha/model/adapter.hpp"
#include "aha/model/decoder.hpp"
#include "serve/serve_fixture.hpp"
#include "support/tiny_lora.hpp"

namespace aha {
namespace {

// The token strings and log-probabilities of a greedy chat completion from `server`.
Json greedy_tokens(const test::ServeProcess& server) {
  const Json body = {{"messages", {{{"role", "user"}, {"content", "12 + 7 = ?"}}}},
                     {"max_tokens", 16},
                     {"temperature", 0},
                     {"logprobs", true},
                     {"ignore_eos", true}};
  auto r = server.client().Post("/v1/chat/completions", body.dump(), "application/json");
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
  const Json response = test::body_json(r);
  EXPECT_EQ(response["usage"]["completion_tokens"], 16) << response.dump();
  return response["choices"][0]["logprobs"]["content"];
}

TEST(ServeAdapter, an_adapter_directory_answers_as_the_merged_model_does) {
  test::TempDir dir;
  const std::string base = dir.file("base"), adapter = dir.file("adapter"), merged = dir.file("merged");
  std::filesystem::create_directories(base);
  test::write_chat_model(base);
  model::write_adapter(adapter, test::random_lora(model::Model(base).config(), {"all-linear"}, 7), base);
  const test::RunResult merge = test::run_aha("merge --adapter " + adapter + " --out " + merged);
  ASSERT_EQ(merge.status, 0) << merge.err;

  std::vector<Json> answers;
  for (const std::string& m : {adapter, merged, base}) {
    test::ServeProcess server("--threads 1 --model " + m);
    ASSERT_GT(server.port(), 0) << server.log();
    answers.push_back(greedy_tokens(server));
    ASSERT_EQ(answers.back().size(), 16u) << m << ": " << answers.back().dump();
  }
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(answers[0][i]["token"], answers[1][i]["token"]) << i;
    EXPECT_NEAR(answers[0][i]["logprob"].get<double>(), answers[1][i]["logprob"].get<double>(), 1e-5) << i;
  }
  EXPECT_NE(answers[0], answers[2]) << "the adapter changed nothing: " << answers[0].dump();
}

}  // namespace
}  // namespace aha
