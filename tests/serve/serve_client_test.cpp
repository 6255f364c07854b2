// Real clients against `aha serve`: the official `openai` npm package (tests/serve/js, installed
// by scripts/install-deps) and curl.
#include <gtest/gtest.h>

#include "serve/serve_fixture.hpp"
#include "support/temp_dir.hpp"

namespace aha {
namespace {

using test::run_shell;

class ServeClients : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_chat_model(dir_.path().string());
    server_ = std::make_unique<test::ServeProcess>("--model " + dir_.path().string());
    ASSERT_GT(server_->port(), 0) << server_->log();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }
  test::TempDir dir_;
  std::unique_ptr<test::ServeProcess> server_;
};

TEST_F(ServeClients, the_official_openai_npm_client_works) {
  const std::string js = std::string(AHA_SOURCE_DIR) + "/tests/serve/js";
  ASSERT_TRUE(std::filesystem::exists(js + "/node_modules/openai"))
      << "the openai npm package is missing: run scripts/install-deps";
  auto [status, out] = run_shell(fmt::format("cd {} && AHA_SERVE_URL={} AHA_MODEL_NAME={} node --test client.test.mjs",
                                             js, url(), dir_.path().filename().string()));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
  EXPECT_NE(out.find("# pass 7"), std::string::npos) << out;
}

TEST_F(ServeClients, curl_streams_server_sent_events_ending_in_done) {
  auto [status, out] =
      run_shell(fmt::format("curl -sS -N {}/v1/chat/completions -H 'Content-Type: application/json' "
                            "-d '{{\"model\": \"x\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hi\"}}], "
                            "\"stream\": true, \"max_tokens\": 5}}'",
                            url()));
  ASSERT_EQ(status, 0) << out;
  std::vector<std::string> events = test::sse_data(out);
  ASSERT_GE(events.size(), 2u) << out;
  EXPECT_EQ(events.back(), "[DONE]");
  Json first = Json::parse(events.front());
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  auto [code_status, code] = run_shell(fmt::format(
      "curl -sS -o /dev/null -w '%{{http_code}}' {}/v1/chat/completions -H 'Content-Type: application/json' -d '{{'",
      url()));
  EXPECT_EQ(code_status, 0);
  EXPECT_EQ(code, "400");
  // curl's default for -d is a form: the server takes JSON only (a web page can send a form
  // to a local server without asking first; it cannot send JSON so).
  auto [form_status, form] =
      run_shell(fmt::format("curl -sS -o /dev/null -w '%{{http_code}}' {}/v1/chat/completions -d '{{}}'", url()));
  EXPECT_EQ(form_status, 0);
  EXPECT_EQ(form, "415");
}

}  // namespace
}  // namespace aha
