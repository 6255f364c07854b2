// `aha tokenize`, `aha detokenize` and `aha tokenizer-train` as a user runs them.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "aha/base/file.hpp"
#include "tests/tokenizer/fixtures.hpp"

namespace aha::tokenizer {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status;
  std::string out, err;
};

class TokenizerCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("aha_tokenizer_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    write("tokenizer.json", testing::byte_level_json({{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}}).dump());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path(name), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Runs `aha ARGS < stdin`.
  CliRun aha(const std::string& args, const std::string& stdin_text) const {
    write("stdin", stdin_text);
    const std::string cmd =
        std::string(AHA_BINARY) + " " + args + " < " + path("stdin") + " > " + path("stdout") + " 2> " + path("stderr");
    const int rc = std::system(cmd.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read("stdout"), read("stderr")};
  }

  fs::path dir_;
};

TEST_F(TokenizerCli, TokenizeAndDetokenizeOneLineEach) {
  const CliRun ids = aha("tokenize --tokenizer " + dir_.string(), "\"hello\"\n\"x<|end|>\"\n\"\"\n");
  ASSERT_EQ(ids.status, 0) << ids.err;
  EXPECT_EQ(ids.out, "[259]\n[120,260]\n[]\n");
  const CliRun special = aha("tokenize --add-special --tokenizer " + path("tokenizer.json"), "\"hello\"\n");
  EXPECT_EQ(special.out, "[260,259]\n");
  const CliRun text = aha("detokenize --tokenizer " + path("tokenizer.json"), "[259]\n[120,260]\n[]\n");
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(text.out, "\"hello\"\n\"x<|end|>\"\n\"\"\n");
  EXPECT_EQ(aha("detokenize --skip-special --tokenizer " + path("tokenizer.json"), "[120,260]\n").out, "\"x\"\n");
}

TEST_F(TokenizerCli, InvalidUtf8InputIsEncodedAsReplacementCharacters) {
  const CliRun run = aha("tokenize --tokenizer " + dir_.string(), "\"a\xFF\"\n\"a\xEF\xBF\xBD\"\n");
  ASSERT_EQ(run.status, 0) << run.err;
  const size_t newline = run.out.find('\n');
  EXPECT_EQ(run.out.substr(0, newline + 1), run.out.substr(newline + 1));
}

TEST_F(TokenizerCli, BadInputGivesOneLineAndExitTwo) {
  write("broken.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
  const CliRun unsupported = aha("tokenize --tokenizer " + path("broken.json"), "\"x\"\n");
  EXPECT_EQ(unsupported.status, 2);
  EXPECT_NE(unsupported.err.find("broken.json: model.type: model 'WordPiece' is not supported"), std::string::npos)
      << unsupported.err;
  EXPECT_EQ(std::count(unsupported.err.begin(), unsupported.err.end(), '\n'), 1);
  write("cut.json", "{\"model\": {");
  EXPECT_EQ(aha("tokenize --tokenizer " + path("cut.json"), "").status, 2);
  const CliRun not_a_string = aha("tokenize --tokenizer " + dir_.string(), "\"ok\"\n42\n");
  EXPECT_EQ(not_a_string.status, 2);
  EXPECT_NE(not_a_string.err.find("stdin line 2: expected a JSON string, found number"), std::string::npos);
  const CliRun bad_id = aha("detokenize --tokenizer " + dir_.string(), "[1, 99999]\n");
  EXPECT_EQ(bad_id.status, 2);
  EXPECT_NE(bad_id.err.find("stdin line 1: token id 99999 is not in the vocabulary"), std::string::npos) << bad_id.err;
  EXPECT_EQ(aha("tokenize --tokenizer " + path("missing"), "").status, 2);
}

TEST_F(TokenizerCli, TrainWritesATokenizerTheOtherCommandsLoad) {
  std::string data;
  for (int i = 0; i < 50; ++i) data += "{\"text\": \"the quick brown fox jumps over the lazy dog\"}\n";
  write("data.jsonl", data);
  const CliRun train =
      aha("tokenizer-train --data " + path("data.jsonl") + " --vocab-size 280 --out " + path("t.json"), "");
  ASSERT_EQ(train.status, 0) << train.err;
  EXPECT_NE(train.out.find("vocabulary of 280"), std::string::npos) << train.out;
  const CliRun ids = aha("tokenize --tokenizer " + path("t.json"), "\"the quick brown fox\"\n");
  ASSERT_EQ(ids.status, 0) << ids.err;
  const CliRun text = aha("detokenize --tokenizer " + path("t.json"), ids.out);
  EXPECT_EQ(text.out, "\"the quick brown fox\"\n");
  EXPECT_EQ(
      aha("tokenizer-train --data " + path("data.jsonl") + " --vocab-size 100 --out " + path("x.json"), "").status, 2);
  // An existing --out is replaced only with --overwrite.
  write("mine.json", "{\"my\": \"tokenizer\"}");
  const std::string train_mine =
      "tokenizer-train --data " + path("data.jsonl") + " --vocab-size 280 --out " + path("mine.json");
  const CliRun refused = aha(train_mine, "");
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find("--out " + path("mine.json") + ": already exists; pass --overwrite"), std::string::npos)
      << refused.err;
  EXPECT_EQ(read_file(path("mine.json")), "{\"my\": \"tokenizer\"}");
  ASSERT_EQ(aha(train_mine + " --overwrite", "").status, 0);
  EXPECT_EQ(read_file(path("mine.json")), read_file(path("t.json")));
}

}  // namespace
}  // namespace aha::tokenizer
