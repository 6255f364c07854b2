// Writing OpenAI responses from a job's deltas: one JSON object for a whole completion, or
// server-sent events (one chunk per token, then `data: [DONE]`). Chat responses split
// <think>…</think> text into reasoning_content, as DeepSeek's API does.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "aha/generate/reasoning.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "apps/serve/scheduler.hpp"

namespace aha::serve {

using OrderedJson = nlohmann::ordered_json;

enum class Endpoint { chat, text };

struct ResponseInfo {
  Endpoint endpoint = Endpoint::chat;
  std::string id;       // "chatcmpl-…" or "cmpl-…"
  int64_t created = 0;  // Unix seconds
  std::string model;
  int64_t n = 1;
  int64_t prompt_tokens = 0;
  bool logprobs = false;
  bool include_usage = false;
  bool opens_reasoning = false;  // the chat prompt ends inside <think>
};

class ResponseWriter {
 public:
  // A writer for one request; `tokenizer` outlives it.
  ResponseWriter(ResponseInfo info, const tokenizer::Tokenizer& tokenizer);

  // Streaming: the events for `deltas` ("data: {json}\n\n" each).
  std::string events(const std::vector<Delta>& deltas);
  // Streaming: the usage chunk when asked for, then "data: [DONE]".
  std::string end_events() const;

  // Whole response: adds deltas, then `write_json()` writes the response object in pieces of
  // one choice each (a response of many samples with log-probabilities is never one string).
  // Returns false as soon as `sink` does.
  void add(const std::vector<Delta>& deltas);
  bool write_json(const std::function<bool(const std::string&)>& sink) const;

 private:
  // One listed token, kept compactly until the response is written (JSON only then).
  struct Listed {
    int32_t token;
    float logprob;
    size_t text_offset;  // into the choice's text (completions)
    std::vector<generate::Alternative> top;
  };
  struct Choice {
    explicit Choice(bool opens_reasoning) : splitter(opens_reasoning) {}
    generate::ReasoningSplitter splitter;
    std::string content, reasoning, finish;
    std::vector<Listed> listed;  // whole responses only: a stream sends each at once
    bool started = false;
  };
  // Applies one delta to its choice; returns the chunk's choice object for streaming (null
  // when the delta adds nothing to show).
  OrderedJson apply(const Delta& d, bool streamed);
  OrderedJson choice_json(size_t index) const;
  OrderedJson chat_logprobs(const std::vector<Listed>& listed) const;
  OrderedJson text_logprobs(const std::vector<Listed>& listed) const;
  OrderedJson chunk(OrderedJson choices) const;
  OrderedJson usage() const;
  std::string token_text(int32_t id) const;

  ResponseInfo info_;
  const tokenizer::Tokenizer& tok_;
  std::vector<Choice> choices_;
  int64_t completion_tokens_ = 0;
};

// OpenAI's error object for `status`: {"error": {"message", "type", "param", "code"}}.
std::string error_json(int status, const std::string& message);

}  // namespace aha::serve
