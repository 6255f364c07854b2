// What the `aha serve` tests share: a tiny chat model on disk (a trained byte-level BPE, Qwen3's
// chat template, random weights) and an `aha serve` child process on a free port.
#pragma once

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/tokenizer/trainer.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

namespace aha::test {

// Writes a qwen3-architecture model with a 320-token tokenizer and Qwen3's chat template into
// `dir`; `config` overrides the tiny llama config's fields.
inline void write_chat_model(const std::string& dir, const Json& config_overrides = Json::object(),
                             unsigned seed = 31) {
  tokenizer::BpeTrainer trainer({.vocab_size = 320, .special_tokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}});
  for (int i = 0; i < 50; ++i)
    trainer.add_text("The user asks a question and the assistant answers it. 12 + 7 = 19. <think> ok </think>\n");
  write_file_atomic(dir + "/tokenizer.json", trainer.finish().json);
  Json config = tiny_llama_config();
  config["model_type"] = "qwen3";
  config["vocab_size"] = 320;
  config["eos_token_id"] = 2;
  config["max_position_embeddings"] = 512;
  config.update(config_overrides);
  write_tiny_model(dir, config, seed);
  const std::filesystem::path templates = std::filesystem::path(AHA_SOURCE_DIR) / "tests/tokenizer/templates/qwen3";
  for (const char* f : {"chat_template.jinja", "tokenizer_config.json"})
    std::filesystem::copy_file(templates / f, std::filesystem::path(dir) / f,
                               std::filesystem::copy_options::overwrite_existing);
}

// A chat model without an end-of-sequence token and a 4096-token context: every request runs to
// max_tokens.
inline void write_endless_model(const std::string& dir) {
  write_chat_model(dir, {{"eos_token_id", Json::array()}, {"max_position_embeddings", 4096}});
}

// Runs `aha demo --quick` into `dir`/demo and returns the model it trained (summary.json's
// model_dir); "" after a failure the test is told about.
inline std::string demo_quick_model(const TempDir& dir) {
  const RunResult demo = run_aha("demo --quick --threads 2 --out " + dir.file("demo"));
  if (demo.status != 0) {
    ADD_FAILURE() << "aha demo --quick failed: " << demo.err;
    return "";
  }
  return read_json_file(dir.file("demo/summary.json"))["model_dir"].get<std::string>();
}

// `aha serve` on a free port of 127.0.0.1, stopped with SIGTERM when the object dies.
class ServeProcess {
 public:
  explicit ServeProcess(const std::string& args) {
    int err[2];
    if (pipe(err) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err[1], STDERR_FILENO);
      close(err[0]);
      close(err[1]);
      const std::string command = fmt::format("exec {} serve --port 0 {}", AHA_BINARY, args);
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(err[1]);
    stderr_ = fdopen(err[0], "r");
    // The first line names the port: "aha serve: NAME on http://127.0.0.1:PORT (...)".
    char line[4096];
    while (std::fgets(line, sizeof line, stderr_)) {
      log_ += line;
      const char* at = std::strstr(line, "http://127.0.0.1:");
      if (at) {
        port_ = std::atoi(at + std::strlen("http://127.0.0.1:"));
        break;
      }
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGTERM);
      wait_exit();
    }
    if (stderr_) std::fclose(stderr_);
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // What the server printed on stderr so far (its first line, then the rest once it exited).
  const std::string& log() const { return log_; }
  // Waits for the process to end; returns its exit status (128 + signal when killed).
  int wait_exit() {
    char line[4096];
    while (std::fgets(line, sizeof line, stderr_)) log_ += line;
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // A client for this server.
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    // httplib writes a request's headers and body separately: without this, Nagle's algorithm
    // holds the body back until the server's delayed ACK (tens of milliseconds per request).
    c.set_tcp_nodelay(true);
    return c;
  }
  // Resident memory of the server in KiB (VmRSS).
  long rss_kib() const {
    std::ifstream status(fmt::format("/proc/{}/status", pid_));
    std::string key;
    long value = 0;
    while (status >> key)
      if (key == "VmRSS:" && status >> value) return value;
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
  FILE* stderr_ = nullptr;
  std::string log_;
};

// A raw TCP connection to 127.0.0.1:port (for clients that misbehave); -1 when it fails.
inline int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends all of `data`; false when the connection failed first.
inline bool send_all(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Parses the JSON body of `result`, failing the test when there is none.
inline Json body_json(const httplib::Result& result) {
  if (!result) return Json();
  return Json::parse(result->body, nullptr, false);
}

// The `data:` payloads of a server-sent-events body, in order.
inline std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = body.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = body.substr(start, nl - start);
    if (line.rfind("data: ", 0) == 0) out.push_back(line.substr(6));
  }
  return out;
}

}  // namespace aha::test
