#include "apps/serve/request.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "aha/base/error.hpp"
#include "aha/tokenizer/chat_template.hpp"

namespace aha::serve {
namespace {

constexpr int kMaxDepth = 64;

const char* type_name(const OrderedJson& v) {
  switch (v.type()) {
    case OrderedJson::value_t::null: return "null";
    case OrderedJson::value_t::boolean: return "boolean";
    case OrderedJson::value_t::string: return "string";
    case OrderedJson::value_t::array: return "array";
    case OrderedJson::value_t::object: return "object";
    case OrderedJson::value_t::number_float: return "number";
    default: return "integer";
  }
}

// The field `key` of `body`, or nullptr when it is absent or null (OpenAI treats null as absent).
const OrderedJson* field(const OrderedJson& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number_field(const OrderedJson& body, const char* key, double low, double high, double fallback) {
  const OrderedJson* v = field(body, key);
  if (!v) return fallback;
  if (!v->is_number()) fail("'{}': expected a number, got {}", key, type_name(*v));
  const double x = v->get<double>();
  if (!(x >= low && x <= high)) fail("'{}' must be from {} to {}, got {}", key, low, high, x);
  return x;
}

std::optional<int64_t> integer_field(const OrderedJson& body, const char* key, int64_t low, int64_t high) {
  const OrderedJson* v = field(body, key);
  if (!v) return std::nullopt;
  // An integer written as 5.0 is accepted, as Python's OpenAI server does; 5.5 is not.
  const bool integral =
      v->is_number_integer() || (v->is_number_float() && std::trunc(v->get<double>()) == v->get<double>());
  if (!integral) fail("'{}': expected an integer, got {}", key, type_name(*v));
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(high))
    fail("'{}' must be from {} to {}, got {}", key, low, high, v->get<uint64_t>());
  const double d = v->get<double>();
  // 2^63 and above do not convert to int64_t (double(high) may round up to 2^63).
  if (d < static_cast<double>(low) || d > static_cast<double>(high) || d >= 0x1p63)
    fail("'{}' must be from {} to {}, got {}", key, low, high, v->dump());
  return v->is_number_float() ? static_cast<int64_t>(d) : v->get<int64_t>();
}

bool bool_field(const OrderedJson& body, const char* key) {
  const OrderedJson* v = field(body, key);
  if (!v) return false;
  if (!v->is_boolean()) fail("'{}': expected true or false, got {}", key, type_name(*v));
  return v->get<bool>();
}

std::vector<std::string> stop_field(const OrderedJson& body) {
  const OrderedJson* v = field(body, "stop");
  if (!v) return {};
  if (v->is_string() && v->get_ref<const std::string&>().size() > kMaxStopBytes)
    fail("'stop': at most {} bytes, got {}", kMaxStopBytes, v->get_ref<const std::string&>().size());
  if (v->is_string())
    return v->get<std::string>().empty() ? std::vector<std::string>{} : std::vector{v->get<std::string>()};
  if (!v->is_array()) fail("'stop': expected a string or an array of strings, got {}", type_name(*v));
  if (v->size() > kMaxStops) fail("'stop': at most {} strings, got {}", kMaxStops, v->size());
  std::vector<std::string> out;
  for (const auto& s : *v) {
    if (!s.is_string()) fail("'stop': expected strings, got {}", type_name(s));
    if (s.get_ref<const std::string&>().size() > kMaxStopBytes)
      fail("'stop': each string at most {} bytes, got one of {}", kMaxStopBytes,
           s.get_ref<const std::string&>().size());
    if (!s.get<std::string>().empty()) out.push_back(s.get<std::string>());
  }
  return out;
}

GenerationParams common_params(const OrderedJson& body) {
  if (!body.is_object()) fail("the request body must be a JSON object, got {}", type_name(body));
  GenerationParams p;
  if (const OrderedJson* m = field(body, "model")) {
    if (!m->is_string()) fail("'model': expected a string, got {}", type_name(*m));
    p.model = m->get<std::string>();
  }
  generate::SamplingParams& s = p.sampling;
  s.temperature = static_cast<float>(number_field(body, "temperature", 0.0, 2.0, 1.0));
  s.top_p = static_cast<float>(number_field(body, "top_p", 0.0, 1.0, 1.0));
  if (s.top_p == 0.0f) s.top_p = std::numeric_limits<float>::min();  // as good as greedy, still valid
  s.top_k = integer_field(body, "top_k", 0, int64_t{1} << 31).value_or(0);
  s.min_p = static_cast<float>(number_field(body, "min_p", 0.0, 0.999999, 0.0));
  s.presence_penalty = static_cast<float>(number_field(body, "presence_penalty", -2.0, 2.0, 0.0));
  s.frequency_penalty = static_cast<float>(number_field(body, "frequency_penalty", -2.0, 2.0, 0.0));
  s.repetition_penalty = static_cast<float>(number_field(body, "repetition_penalty", 1e-3, 1e3, 1.0));
  if (auto seed = integer_field(body, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()))
    p.seed = static_cast<uint64_t>(*seed);
  p.n = integer_field(body, "n", 1, kMaxN).value_or(1);
  // max_completion_tokens is the newer name; either is read, the newer wins.
  p.max_tokens = integer_field(body, "max_tokens", 1, std::numeric_limits<int64_t>::max());
  if (auto m = integer_field(body, "max_completion_tokens", 1, std::numeric_limits<int64_t>::max())) p.max_tokens = m;
  p.stop = stop_field(body);
  p.stream = bool_field(body, "stream");
  p.ignore_eos = bool_field(body, "ignore_eos");
  if (const OrderedJson* o = field(body, "stream_options")) {
    if (!o->is_object()) fail("'stream_options': expected an object, got {}", type_name(*o));
    p.include_usage = bool_field(*o, "include_usage");
  }
  return p;
}

// A message's content as text: a string, or an array of {"type": "text", "text": ...} parts.
std::string content_text(const OrderedJson& content, size_t index) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array())
    fail("'messages[{}].content': expected a string or an array of text parts, got {}", index, type_name(content));
  std::string text;
  for (const auto& part : content) {
    // (`==` on the part's members, never value(): a "type" that is not a string is a 400, not a 500.)
    if (!part.is_object() || !part.contains("type") || part["type"] != "text" || !part.contains("text") ||
        !part["text"].is_string())
      fail("'messages[{}].content': only parts of type \"text\" with a string \"text\" are supported", index);
    text += part["text"].get<std::string>();
  }
  return text;
}

OrderedJson checked_messages(const OrderedJson& body) {
  const OrderedJson* m = field(body, "messages");
  if (!m) fail("'messages' is required");
  if (!m->is_array()) fail("'messages': expected an array, got {}", type_name(*m));
  if (m->empty()) fail("'messages' must not be empty");
  OrderedJson out = OrderedJson::array();
  for (size_t i = 0; i < m->size(); ++i) {
    const OrderedJson& msg = (*m)[i];
    if (!msg.is_object()) fail("'messages[{}]': expected an object, got {}", i, type_name(msg));
    const OrderedJson* role = field(msg, "role");
    if (!role || !role->is_string()) fail("'messages[{}].role': expected a string", i);
    const std::string r = role->get<std::string>();
    if (r != "system" && r != "developer" && r != "user" && r != "assistant" && r != "tool")
      fail("'messages[{}].role': unknown role '{}' (expected system, developer, user, assistant or tool)", i, r);
    OrderedJson copy = msg;
    const OrderedJson* content = field(msg, "content");
    if (content) copy["content"] = content_text(*content, i);
    else if (r == "assistant" && field(msg, "tool_calls")) copy["content"] = nullptr;
    else fail("'messages[{}].content' is required", i);
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace

OrderedJson parse_body(const std::string& body) {
  // A tighter depth than files get: a request is anyone's input, and rendering it recurses per level.
  return parse_ordered_json(body, "the request body", kMaxDepth);
}

ChatRequest parse_chat_request(const OrderedJson& body) {
  ChatRequest r{common_params(body), checked_messages(body)};
  r.params.logprobs = bool_field(body, "logprobs");
  if (auto top = integer_field(body, "top_logprobs", 0, 20)) {
    if (!r.params.logprobs && *top > 0) fail("'top_logprobs' needs 'logprobs': true");
    r.params.sampling.top_logprobs = *top;
  }
  if (const OrderedJson* k = field(body, "chat_template_kwargs")) {
    if (!k->is_object()) fail("'chat_template_kwargs': expected an object, got {}", type_name(*k));
    // The special tokens come from the tokenizer: a client may not redefine what ends a turn.
    for (const std::string& token : tokenizer::special_token_names())
      if (k->contains(token))
        fail("'chat_template_kwargs.{}': the special tokens come from the model's tokenizer", token);
    r.template_kwargs = *k;
  }
  return r;
}

CompletionRequest parse_completion_request(const OrderedJson& body) {
  CompletionRequest r;
  r.params = common_params(body);
  // logprobs is an integer here: how many alternatives to list per token (0 to 5).
  if (auto top = integer_field(body, "logprobs", 0, 5)) {
    r.params.logprobs = true;
    r.params.sampling.top_logprobs = *top;
  }
  if (bool_field(body, "echo")) fail("'echo' is not supported");
  const OrderedJson* p = field(body, "prompt");
  if (!p) fail("'prompt' is required");
  const OrderedJson* one = p;
  // A batch of one prompt is accepted; a batch of several is not.
  if (p->is_array() && p->size() == 1 && ((*p)[0].is_string() || (*p)[0].is_array())) one = &(*p)[0];
  if (one->is_string()) {
    r.prompt_text = one->get<std::string>();
    if (r.prompt_text->empty()) fail("'prompt' must not be empty");
  } else if (one->is_array() && !one->empty()) {
    for (const auto& id : *one) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max())
        fail("'prompt': expected a string or an array of token ids (integers >= 0)");
      r.prompt_ids.push_back(id.get<int32_t>());
    }
  } else {
    fail("'prompt': expected a non-empty string or array of token ids (one prompt per request)");
  }
  return r;
}

void check_request_size(const GenerationParams& params, int64_t ctx_size) {
  const int64_t tokens = std::min(params.max_tokens.value_or(ctx_size), ctx_size);
  const int64_t records = params.n * tokens * (1 + params.sampling.top_logprobs);  // < 2^7 · 2^31 · 21
  if (records > kMaxTokenRecords)
    fail(
        "'n' × 'max_tokens' × (1 + top log-probabilities) is {} × {} × {} = {}; at most {}: ask for fewer samples, "
        "tokens or alternatives",
        params.n, tokens, 1 + params.sampling.top_logprobs, records, kMaxTokenRecords);
}

}  // namespace aha::serve
