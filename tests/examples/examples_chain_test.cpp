// The example chain of docs/examples.md, run from the doc's own commands so that the doc cannot
// drift from the code: the fenced block opened by "```sh chain" is read line by line, each
// `build/aha ...` command runs in a directory that holds the repository's examples/ and data/
// (as the repository root does), with the small step counts the doc names appended, and each
// command's "# -> PATH" output must exist afterwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace aha {
namespace {

namespace fs = std::filesystem;

struct ChainStep {
  std::string command;  // as the doc gives it
  std::string output;   // what it must leave behind ("" when the doc names nothing)
};

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<ChainStep> documented_chain(const std::string& path) {
  std::ifstream in(path);
  std::vector<ChainStep> steps;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = trim(line) == "```sh chain";
      continue;
    }
    if (trim(line) == "```") break;
    const size_t hash = line.find('#');
    ChainStep step{trim(line.substr(0, hash)), ""};
    if (hash != std::string::npos) {
      const std::string comment = trim(line.substr(hash + 1));
      if (comment.rfind("->", 0) == 0) step.output = trim(comment.substr(2));
    }
    if (!step.command.empty()) steps.push_back(step);
  }
  return steps;
}

// What the doc says the test appends to each command to keep the chain small.
const std::map<std::string, std::string>& small_counts() {
  static const std::map<std::string, std::string> appended = {
      {"pretrain", "--set max_steps=2"},           {"sft", "--set max_steps=2"}, {"grpo", "--set max_steps=2"},
      {"distill", "--set dataset_num_examples=4"}, {"eval", "--count 4"},
  };
  return appended;
}

TEST(ExamplesChain, the_commands_of_docs_examples_run_in_order_and_the_model_verifies) {
  const std::string source = AHA_SOURCE_DIR;
  const std::vector<ChainStep> steps = documented_chain(source + "/docs/examples.md");
  ASSERT_FALSE(steps.empty()) << "docs/examples.md has no ```sh chain block";
  test::TempDir dir;
  fs::create_directory_symlink(source + "/examples", dir.path() / "examples");
  fs::create_directory_symlink(source + "/data", dir.path() / "data");
  std::set<std::string> commands;
  for (const ChainStep& step : steps) {
    const std::string prefix = "build/aha ";
    ASSERT_EQ(step.command.rfind(prefix, 0), 0u) << "not an aha command: " << step.command;
    const std::string args = step.command.substr(prefix.size());
    const std::string name = args.substr(0, args.find(' '));
    commands.insert(name);
    const auto small = small_counts().find(name);
    const std::string line = "cd '" + dir.path().string() + "' && " + AHA_BINARY + " " + args +
                             (small == small_counts().end() ? "" : " " + small->second);
    const auto [status, output] = test::run_shell(line);
    ASSERT_EQ(status, 0) << step.command << "\n" << output;
    if (!step.output.empty()) {
      EXPECT_TRUE(fs::exists(dir.path() / step.output)) << step.command << ": no " << step.output;
    }
  }
  for (const char* name : {"pretrain", "sft", "grpo", "distill", "eval", "card", "verify", "report"})
    EXPECT_TRUE(commands.count(name)) << "the documented chain has no `aha " << name << "`";
}

}  // namespace
}  // namespace aha
