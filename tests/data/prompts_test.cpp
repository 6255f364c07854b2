// Prompt datasets from JSONL (prompt/answer, GSM8K, Countdown rows) and the prompt templates.
#include "aha/data/prompts.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "tests/support/temp_dir.hpp"

namespace aha::data {
namespace {

class PromptDataset : public ::testing::Test {
 protected:
  std::vector<PromptItem> read(const std::string& jsonl) {
    test::write_text(dir.file("data.jsonl"), jsonl);
    return read_prompt_dataset(dir.file("data.jsonl"));
  }

  // The message of the Error that reading `jsonl` throws.
  std::string error_of(const std::string& jsonl) {
    try {
      read(jsonl);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      return e.what();
    }
    return "no error";
  }

  test::TempDir dir;
};

TEST_F(PromptDataset, prompt_rows_keep_text_or_messages_and_any_answer) {
  const auto items = read(
      "{\"prompt\": \"2+2?\", \"answer\": 4}\n\n"
      "{\"prompt\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"hi\"}], "
      "\"answer\": \"x\"}\n"
      "{\"prompt\": \"c\", \"answer\": {\"target\": 3, \"numbers\": [1, 2]}}\n");
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].prompt, "2+2?");
  EXPECT_EQ(items[0].answer, 4);
  EXPECT_EQ(items[1].prompt[1]["content"], "hi");
  EXPECT_EQ(items[2].answer["target"], 3);
}

TEST_F(PromptDataset, a_rows_other_fields_are_kept_as_its_columns_for_the_rewards) {
  const auto items = read(
      "{\"prompt\": \"p\", \"answer\": 4, \"level\": 2, \"tests\": [\"a\"]}\n"
      "{\"question\": \"Q?\", \"answer\": \"#### 3\", \"id\": \"q1\"}\n"
      "{\"target\": 3, \"nums\": [1, 2], \"source\": \"cd\"}\n"
      "{\"prompt\": \"p\", \"answer\": 1}\n");
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].columns, (Json{{"level", 2}, {"tests", {"a"}}}));
  EXPECT_EQ(items[1].columns, (Json{{"id", "q1"}}));
  EXPECT_EQ(items[2].columns, (Json{{"source", "cd"}}));
  EXPECT_EQ(items[3].columns, Json::object());
}

TEST_F(PromptDataset, gsm8k_rows_give_the_number_after_hashes_and_the_worked_steps) {
  const auto items =
      read("{\"question\": \"Q?\", \"answer\": \"He has 2*3=<<2*3=6>>6 eggs.\\nSo 6+1=<<6+1=7>>7\\n#### 1,007\"}\n");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].prompt, "Q?");
  EXPECT_EQ(items[0].answer, "1,007");
  EXPECT_EQ(items[0].solution, "1,007");
  EXPECT_EQ(items[0].reasoning, "He has 2*3=6 eggs.\nSo 6+1=7");
}

TEST_F(PromptDataset, the_real_gsm8k_test_file_reads_with_every_answer_extracted) {
  const std::string path = AHA_SOURCE_DIR "/data/gsm8k/test.jsonl";
  const auto items = read_prompt_dataset(path);
  ASSERT_EQ(items.size(), 1319u);
  // Row 1 and row 147 (whose answer has a thousands separator), as the file states them.
  EXPECT_EQ(items[0].answer, "18");
  EXPECT_EQ(items[146].answer, "2,125");
  EXPECT_EQ(items[0].prompt.get<std::string>().substr(0, 22), "Janet\xe2\x80\x99s ducks lay 16");
  // Every answer is the integer on the row's last line, written with optional sign and commas.
  std::ifstream file(path);
  std::string line;
  for (size_t i = 0; std::getline(file, line); ++i) {
    const Json row = Json::parse(line);
    const std::string text = row["answer"];
    EXPECT_EQ(items[i].answer.get<std::string>(), text.substr(text.rfind('\n') + 6)) << i + 1;
    EXPECT_EQ(text.substr(text.rfind('\n') + 1, 5), "#### ") << i + 1;
    EXPECT_EQ(items[i].reasoning.find("<<"), std::string::npos) << i + 1;
  }
}

TEST_F(PromptDataset, countdown_rows_get_tinyzero_prompts) {
  const auto items = read("{\"target\": 24, \"nums\": [2, 3, 4]}\n");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].answer, (Json{{"target", 24}, {"numbers", {2, 3, 4}}}));
  EXPECT_NE(items[0].prompt.get<std::string>().find("Using the numbers [2, 3, 4], create an equation that equals 24."),
            std::string::npos);
}

TEST_F(PromptDataset, rows_without_an_answer_name_file_and_line) {
  const std::string path = dir.file("data.jsonl");
  EXPECT_EQ(error_of("{\"prompt\": \"a\", \"answer\": 1}\n{\"prompt\": \"b\"}\n"),
            path + ":2: missing field \"answer\" (the reference the rewards check)");
  EXPECT_EQ(error_of("{\"prompt\": \"a\", \"answer\": null}\n"),
            path + ":1: \"answer\" must be a number, a non-empty string or an object, got null");
  EXPECT_EQ(error_of("{\"prompt\": \"a\", \"answer\": \"  \"}\n"),
            path + ":1: \"answer\" must be a number, a non-empty string or an object, got an empty string");
  EXPECT_EQ(error_of("{\"question\": \"a\"}\n"), path + ":1: missing field \"answer\"");
  EXPECT_EQ(error_of("{\"question\": \"a\", \"answer\": \"x\\n####  \"}\n"),
            path + ":1: \"answer\" has nothing after \"####\"");
  EXPECT_EQ(error_of("{\"text\": \"a\"}\n"),
            path +
                ":1: expected \"prompt\" and \"answer\" (or GSM8K's \"question\" and \"answer\", or Countdown's "
                "\"target\" and \"nums\")");
  EXPECT_EQ(error_of("{\"prompt\": 3, \"answer\": 1}\n"),
            path + ":1: \"prompt\" must be a string or a messages array, got number");
  EXPECT_EQ(error_of("{\"prompt\": [{\"content\": \"x\"}], \"answer\": 1}\n"),
            path + ":1: \"prompt\" message 0 must be an object with \"role\" and \"content\"");
  EXPECT_EQ(error_of("{\"target\": 1.5, \"nums\": [1]}\n"), path + ":1: \"target\" must be an integer");
  EXPECT_EQ(error_of("\n"), path + ": no prompts in the file");
  EXPECT_EQ(error_of("{\"prompt\": \"a\", \"answer\": 1}\nnot json\n"), path + ":2: not valid JSON (byte 2)");
}

// R1-Zero's template as the DeepSeek-R1 paper states it (tests/fixtures/r1_zero_template.txt, whose
// README says where it comes from), its line breaks read as single spaces.
std::string paper_r1_zero_template() {
  const std::string quoted = read_file(AHA_SOURCE_DIR "/tests/fixtures/r1_zero_template.txt");
  std::istringstream words(quoted);
  std::string word, text;
  while (words >> word) {
    if (!text.empty()) text.push_back(' ');
    text += word;
  }
  return text;
}

TEST(PromptTemplate, r1_zero_is_the_papers_text_with_the_prompt_in_place) {
  const std::string design = paper_r1_zero_template();
  ASSERT_NE(design.find("{prompt}"), std::string::npos) << design;
  std::string expected = design;
  expected.replace(expected.find("{prompt}"), 8, "What is 2+3?");
  EXPECT_EQ(format_prompt({"What is 2+3?", 5, "", ""}, PromptTemplate::r1_zero, nullptr), expected);
  const Json messages = Json::parse(
      R"([{"role": "user", "content": "first"}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "What is 2+3?"}])");
  EXPECT_EQ(format_prompt({messages, 5, "", ""}, PromptTemplate::r1_zero, nullptr), expected);
  // r1_zero_think opens the think block after "Assistant:", as TinyZero's template does.
  EXPECT_EQ(expected.substr(expected.size() - 10), "Assistant:");
  EXPECT_EQ(format_prompt({"What is 2+3?", 5, "", ""}, PromptTemplate::r1_zero_think, nullptr), expected + " <think>");
}

TEST(PromptTemplate, chat_renders_the_template_with_the_generation_prompt_and_raw_is_the_text) {
  const tokenizer::ChatTemplate chat(
      "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<a>{% endif "
      "%}",
      "test", nlohmann::ordered_json::object());
  EXPECT_EQ(format_prompt({"hi", 1, "", ""}, PromptTemplate::chat, &chat), "<user>hi<a>");
  const Json messages = Json::parse(R"([{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}])");
  EXPECT_EQ(format_prompt({messages, 1, "", ""}, PromptTemplate::chat, &chat), "<system>s<user>hi<a>");
  EXPECT_EQ(format_prompt({messages, 1, "", ""}, PromptTemplate::raw, nullptr), "hi");
  EXPECT_EQ(format_prompt({"hi", 1, "", ""}, PromptTemplate::raw, nullptr), "hi");
  EXPECT_THROW(format_prompt({"hi", 1, "", ""}, PromptTemplate::chat, nullptr), Error);
  EXPECT_THROW(
      format_prompt({Json::parse(R"([{"role": "system", "content": "s"}])"), 1, "", ""}, PromptTemplate::raw, nullptr),
      Error);
}

TEST(PromptTemplate, names_parse_and_unknown_ones_are_bad_input) {
  EXPECT_EQ(parse_prompt_template("r1_zero"), PromptTemplate::r1_zero);
  EXPECT_EQ(parse_prompt_template("chat"), PromptTemplate::chat);
  EXPECT_EQ(parse_prompt_template("raw"), PromptTemplate::raw);
  EXPECT_EQ(parse_prompt_template("r1_zero_think"), PromptTemplate::r1_zero_think);
  EXPECT_TRUE(is_prompt_template("r1_zero_think"));
  EXPECT_FALSE(is_prompt_template("r1"));
  EXPECT_THROW(parse_prompt_template("r1"), Error);
}

}  // namespace
}  // namespace aha::data
