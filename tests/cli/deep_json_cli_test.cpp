// JSON nested 100,000 deep in any file aha reads is exit 2 with one line naming the file, never a
// stack overflow (issue #17: copying or printing a parsed document recurses once per level); and
// no reader parses JSON except through base/json's depth-limited functions.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aha/base/json.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "tests/train/fixtures.hpp"

namespace aha {
namespace {

namespace fs = std::filesystem;

const std::string kDeep = "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";

// A safetensors file whose header is `header`.
std::string safetensors_with_header(const std::string& header) {
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return file + header;
}

struct DeepFile {
  const char* file;  // written with kDeep (a JSONL file: as its only line) into a tiny model dir {0} (with a tokenizer)
  const char* command;  // the aha command line, {0} standing for the directory
  const char* origin;   // what the error names before ": JSON nested deeper than 256 levels"
};

const DeepFile kDeepFiles[] = {
    {"config.json", "logits --model {0} --ids 1 --out {0}/o.safetensors", "{0}/config.json"},
    {"model.safetensors", "logits --model {0} --ids 1 --out {0}/o.safetensors",
     "{0}/model.safetensors (safetensors header)"},
    {"generation_config.json", "generate --model {0} --ids 1 --max-tokens 1", "{0}/generation_config.json"},
    {"tokenizer.json", "tokenize --tokenizer {0}/tokenizer.json </dev/null", "{0}/tokenizer.json"},
    {"tokenizer_config.json", "chat-template --tokenizer {0} </dev/null", "{0}/tokenizer_config.json"},
    {"tokenizer_config.json", "generate --model {0} --prompt hi --chat-template {0}/t.jinja",
     "{0}/tokenizer_config.json"},
    {"adapter_config.json", "logits --model {0} --ids 1 --out {0}/o.safetensors", "{0}/adapter_config.json"},
    {"provenance.json", "verify --model {0}", "{0}/provenance.json"},
    {"data.jsonl", "eval --model {0} --data {0}/data.jsonl", "{0}/data.jsonl:1"},
    {"data.jsonl", "reward --fn accuracy <{0}/data.jsonl", "stdin line 1"},
    {"metrics.jsonl", "report --run {0} --out {0}/r.html", "{0}/metrics.jsonl:1"},
};

TEST(DeepJson, every_reader_refuses_deep_json_with_exit_2_naming_the_file) {
  for (const DeepFile& c : kDeepFiles) {
    test::TempDir dir;
    const std::string d = dir.path().string();
    test::write_tiny_model(d, test::tiny_llama_config(), 3);
    train::testing::write_byte_tokenizer(d);
    test::write_text(dir.file("t.jinja"), "{{ messages[0].content }}");
    const std::string name = c.file;
    test::write_text(dir.file(name), name == "model.safetensors" ? safetensors_with_header(kDeep)
                                     : name.ends_with(".jsonl")  ? kDeep + "\n"
                                                                 : kDeep);
    auto with_dir = [&](const char* text) { return fmt::format(fmt::runtime(text), d); };
    const test::RunResult r = test::run_aha(with_dir(c.command));
    SCOPED_TRACE(with_dir(c.command));
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(with_dir(c.origin) + ": JSON nested deeper than 256 levels"), std::string::npos) << r.err;
  }
}

// A reward program's answer line is its output, not a file of the user's: a deep one scores
// on_error like any other answer that is not a number.
TEST(DeepJson, a_deep_answer_from_an_external_reward_program_scores_on_error) {
  test::TempDir dir;
  // As root, reward programs run as nobody: the script and its directory must be readable to all.
  fs::permissions(dir.path(), fs::perms::all);
  test::write_text(dir.file("deep.txt"), kDeep + "\n");
  test::write_text(dir.file("score.sh"), "#!/bin/sh\nread line\ncat " + dir.file("deep.txt") + "\n");
  test::write_text(dir.file("in.jsonl"), "{\"completion\": \"a\"}\n");
  const test::RunResult r = test::run_aha("reward --fn external --options '{\"command\": [\"sh\", \"" +
                                          dir.file("score.sh") + "\"], \"on_error\": -0.5}' <" + dir.file("in.jsonl"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "-0.5\n");
  EXPECT_NE(r.err.find("line 1 is not a number"), std::string::npos) << r.err.substr(0, 300);
}

// Every JSON document aha reads goes through base/json's parse functions, which limit its depth.
TEST(DeepJson, no_source_file_parses_json_but_base_json) {
  std::vector<std::string> offenders;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(AHA_SOURCE_DIR) / "src")) {
    const std::string ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
    if (entry.path().lexically_relative(AHA_SOURCE_DIR) == "src/aha/base/json.cpp") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("::parse(") != std::string::npos) offenders.push_back(entry.path().string());
  }
  EXPECT_TRUE(offenders.empty()) << "parse JSON with aha::parse_json and friends in: "
                                 << ::testing::PrintToString(offenders);
}

}  // namespace
}  // namespace aha
