// Real clients against `aha serve`: the official `openai` npm package (tests/serve/js, installed
// by scripts/install-deps) and curl.
#include <gtest/gtest.h>

#include <sstream>

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

// The `curl` command lines of docs/serve.md's Examples section (continuation lines joined).
std::vector<std::string> documented_curl_commands() {
  const std::string doc = read_file(std::string(AHA_SOURCE_DIR) + "/docs/serve.md");
  const size_t section = doc.find("## Examples");
  const size_t start = doc.find("```sh\n", section);
  const size_t end = doc.find("```", start + 6);
  if (section == std::string::npos || start == std::string::npos || end == std::string::npos) return {};
  std::string block = doc.substr(start + 6, end - start - 6);
  for (size_t at; (at = block.find("\\\n")) != std::string::npos;) block.replace(at, 2, " ");
  std::vector<std::string> commands;
  std::istringstream lines(block);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("curl ", 0) == 0) commands.push_back(line);
  return commands;
}

TEST_F(ServeClients, the_curl_examples_of_the_docs_work_as_written) {
  const std::vector<std::string> commands = documented_curl_commands();
  ASSERT_EQ(commands.size(), 3u) << "docs/serve.md's Examples section changed: update this test";
  for (std::string command : commands) {
    const std::string documented = "localhost:8080";
    ASSERT_NE(command.find(documented), std::string::npos) << command;
    command.replace(command.find(documented), documented.size(), fmt::format("localhost:{}", server_->port()));
    auto [status, out] = run_shell(command);
    ASSERT_EQ(status, 0) << command << "\n" << out;
    if (command.find("\"stream\": true") != std::string::npos) {
      const std::vector<std::string> events = test::sse_data(out);
      ASSERT_GE(events.size(), 2u) << out;
      EXPECT_EQ(events.back(), "[DONE]");
    } else {
      const Json answer = Json::parse(out, nullptr, false);
      ASSERT_TRUE(answer.contains("choices")) << command << "\n" << out;
      if (command.find("logprobs") != std::string::npos) {
        EXPECT_EQ(answer["choices"][0]["logprobs"]["top_logprobs"][0].size(), 1u) << out;
      }
    }
  }
}

TEST(ServeNoTemplate, a_model_without_a_chat_template_is_warned_about_at_start) {
  test::TempDir dir;
  test::write_chat_model(dir.path().string());
  std::filesystem::remove(dir.file("chat_template.jinja"));
  std::filesystem::remove(dir.file("tokenizer_config.json"));
  test::ServeProcess server("--model " + dir.path().string());
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_NE(server.log().find("warning:"), std::string::npos) << server.log();
  EXPECT_NE(server.log().find("--chat-template"), std::string::npos) << server.log();
  auto chat = server.client().Post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "Hi"}]})",
                                   "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 400);
  auto text = server.client().Post("/v1/completions", R"({"prompt": "12", "max_tokens": 2})", "application/json");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200);
}

}  // namespace
}  // namespace aha
