// A temporary directory for a test, removed with everything in it when the object dies.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

namespace aha::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // The directory.
  const std::filesystem::path& path() const { return path_; }
  // `name` inside the directory, as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path` (plain, for building test fixtures).
void write_text(const std::string& path, const std::string& text);

// Result of running the aha binary: exit status and what it printed.
struct RunResult {
  int status = -1;
  std::string out, err;
};

// Runs build/aha with `args` (a shell-quoted string) and captures stdout and stderr.
RunResult run_aha(const std::string& args);

// Runs a shell command line; returns its exit status (-1 when it did not exit) and its stdout and
// stderr together.
std::pair<int, std::string> run_shell(const std::string& command);

}  // namespace aha::test
