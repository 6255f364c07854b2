// Reading OpenAI request bodies (chat completions and completions) into checked parameters.
// Every malformed body, wrong type or out-of-range value is a bad-input aha::Error naming the
// field; the server answers it with 400.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aha/generate/sampler.hpp"

namespace aha::serve {

using OrderedJson = nlohmann::ordered_json;

// The generation parameters both endpoints share.
struct GenerationParams {
  std::string model;                       // as the client named it ("" when absent)
  generate::SamplingParams sampling = {};  // OpenAI's defaults: temperature 1, top_p 1
  std::optional<uint64_t> seed;            // absent: a random seed
  int64_t n = 1;                           // 1 to kMaxN
  std::optional<int64_t> max_tokens;       // absent: the rest of the context
  std::vector<std::string> stop;           // up to kMaxStops strings
  bool logprobs = false;                   // report each token's log-probability
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool ignore_eos = false;     // llama.cpp's: generate past end-of-sequence tokens
};

inline constexpr int64_t kMaxN = 128;
inline constexpr size_t kMaxStops = 16;
inline constexpr size_t kMaxStopBytes = 256;
// n × max_tokens × (1 + top_logprobs) at most: what one request may make the server keep.
inline constexpr int64_t kMaxTokenRecords = int64_t{1} << 22;

struct ChatRequest {
  GenerationParams params;
  OrderedJson messages;                                 // checked: roles known, content text
  OrderedJson template_kwargs = OrderedJson::object();  // chat_template_kwargs
};

struct CompletionRequest {
  GenerationParams params;
  std::optional<std::string> prompt_text;  // a string prompt, or
  std::vector<int32_t> prompt_ids;         // a prompt of token ids
};

// Parses `body` as JSON (a syntax error or invalid UTF-8 is bad input).
OrderedJson parse_body(const std::string& body);

// Reads a POST /v1/chat/completions body.
ChatRequest parse_chat_request(const OrderedJson& body);

// Reads a POST /v1/completions body.
CompletionRequest parse_completion_request(const OrderedJson& body);

// Refuses a request whose samples, tokens (max_tokens, at most `ctx_size`) and alternatives
// per token together exceed kMaxTokenRecords.
void check_request_size(const GenerationParams& params, int64_t ctx_size);

}  // namespace aha::serve
