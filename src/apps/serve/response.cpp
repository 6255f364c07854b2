#include "apps/serve/response.hpp"

#include "aha/base/error.hpp"

namespace aha::serve {
namespace {

std::string dump(const OrderedJson& j) { return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace); }

std::string event(const OrderedJson& j) { return "data: " + dump(j) + "\n\n"; }

OrderedJson finish_or_null(const std::string& finish) {
  return finish.empty() ? OrderedJson(nullptr) : OrderedJson(finish);
}

}  // namespace

ResponseWriter::ResponseWriter(ResponseInfo info, const tokenizer::Tokenizer& tokenizer)
    : info_(std::move(info)), tok_(tokenizer) {
  for (int64_t i = 0; i < info_.n; ++i) choices_.emplace_back(info_.opens_reasoning);
}

std::string ResponseWriter::token_text(int32_t id) const {
  try {
    return tok_.decode(std::vector<int32_t>{id});
  } catch (const Error&) {
    return "";  // an id the tokenizer does not know (a gap in its ids; padding is never sampled)
  }
}

OrderedJson ResponseWriter::chat_logprob(const Delta& d) const {
  auto entry = [&](int32_t token, float logprob) {
    OrderedJson bytes = OrderedJson::array();
    try {
      for (unsigned char b : tok_.decode_bytes(std::vector<int32_t>{token})) bytes.push_back(b);
    } catch (const Error&) {
    }
    return OrderedJson{{"token", token_text(token)}, {"logprob", logprob}, {"bytes", bytes}};
  };
  OrderedJson e = entry(d.token, d.logprob);
  e["top_logprobs"] = OrderedJson::array();
  for (const auto& alt : d.top) e["top_logprobs"].push_back(entry(alt.token, alt.logprob));
  return e;
}

OrderedJson ResponseWriter::apply(const Delta& d) {
  if (d.token >= 0) ++completion_tokens_;
  Choice& c = choices_.at(static_cast<size_t>(d.sample));
  const bool listed = info_.logprobs && !d.eos && d.token >= 0;
  OrderedJson out = {{"index", d.sample}};
  if (info_.endpoint == Endpoint::chat) {
    std::vector<generate::TextPiece> pieces = c.splitter.feed(d.text);
    if (!d.finish.empty())
      for (auto& p : c.splitter.flush()) pieces.push_back(std::move(p));
    std::string content, reasoning;
    for (const auto& p : pieces) (p.reasoning ? reasoning : content) += p.text;
    c.content += content;
    c.reasoning += reasoning;
    OrderedJson delta = OrderedJson::object();
    if (!c.started) delta["role"] = "assistant";
    if (!content.empty() || !c.started) delta["content"] = content;
    if (!reasoning.empty()) delta["reasoning_content"] = reasoning;
    c.started = true;
    OrderedJson lp = nullptr;
    if (listed) {
      c.logprobs.push_back(chat_logprob(d));
      lp = {{"content", OrderedJson::array({c.logprobs.back()})}};
    }
    if (delta.empty() && lp.is_null() && d.finish.empty()) return nullptr;
    out["delta"] = std::move(delta);
    out["logprobs"] = std::move(lp);
  } else {
    const size_t offset = c.content.size();  // into the completion's text
    c.content += d.text;
    OrderedJson lp = nullptr;
    if (listed) {
      OrderedJson top = OrderedJson::object();
      for (const auto& alt : d.top) top[token_text(alt.token)] = alt.logprob;
      c.tokens.push_back(token_text(d.token));
      c.token_logprobs.push_back(d.logprob);
      c.top_logprobs.push_back(top);
      c.text_offset.push_back(offset);
      lp = {{"tokens", {c.tokens.back()}},
            {"token_logprobs", {d.logprob}},
            {"top_logprobs", {top}},
            {"text_offset", {offset}}};
    }
    if (d.text.empty() && lp.is_null() && d.finish.empty()) return nullptr;
    out["text"] = d.text;
    out["logprobs"] = std::move(lp);
  }
  if (!d.finish.empty()) c.finish = d.finish;
  out["finish_reason"] = finish_or_null(d.finish);
  return out;
}

OrderedJson ResponseWriter::chunk(OrderedJson choices) const {
  const bool chat = info_.endpoint == Endpoint::chat;
  return {{"id", info_.id},
          {"object", chat ? "chat.completion.chunk" : "text_completion"},
          {"created", info_.created},
          {"model", info_.model},
          {"choices", std::move(choices)}};
}

OrderedJson ResponseWriter::usage() const {
  return {{"prompt_tokens", info_.prompt_tokens},
          {"completion_tokens", completion_tokens_},
          {"total_tokens", info_.prompt_tokens + completion_tokens_}};
}

std::string ResponseWriter::events(const std::vector<Delta>& deltas) {
  std::string out;
  for (const Delta& d : deltas) {
    OrderedJson choice = apply(d);
    if (!choice.is_null()) out += event(chunk(OrderedJson::array({std::move(choice)})));
  }
  return out;
}

std::string ResponseWriter::end_events() const {
  std::string out;
  if (info_.include_usage) {
    OrderedJson last = chunk(OrderedJson::array());
    last["usage"] = usage();
    out += event(last);
  }
  return out + "data: [DONE]\n\n";
}

void ResponseWriter::add(const std::vector<Delta>& deltas) {
  for (const Delta& d : deltas) apply(d);
}

OrderedJson ResponseWriter::json() const {
  const bool chat = info_.endpoint == Endpoint::chat;
  OrderedJson choices = OrderedJson::array();
  for (size_t i = 0; i < choices_.size(); ++i) {
    const Choice& c = choices_[i];
    OrderedJson choice = {{"index", i}};
    if (chat) {
      OrderedJson message = {{"role", "assistant"}, {"content", c.content}};
      if (!c.reasoning.empty()) message["reasoning_content"] = c.reasoning;
      choice["message"] = std::move(message);
      choice["logprobs"] = info_.logprobs ? OrderedJson{{"content", c.logprobs}} : OrderedJson(nullptr);
    } else {
      choice["text"] = c.content;
      choice["logprobs"] = info_.logprobs ? OrderedJson{{"tokens", c.tokens},
                                                        {"token_logprobs", c.token_logprobs},
                                                        {"top_logprobs", c.top_logprobs},
                                                        {"text_offset", c.text_offset}}
                                          : OrderedJson(nullptr);
    }
    choice["finish_reason"] = finish_or_null(c.finish);
    choices.push_back(std::move(choice));
  }
  return {{"id", info_.id},
          {"object", chat ? "chat.completion" : "text_completion"},
          {"created", info_.created},
          {"model", info_.model},
          {"choices", std::move(choices)},
          {"usage", usage()}};
}

std::string error_json(int status, const std::string& message) {
  const char* type = status == 401   ? "authentication_error"
                     : status == 404 ? "not_found_error"
                     : status == 429 ? "rate_limit_error"
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error";
  OrderedJson e = {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}};
  if (status == 401) e["error"]["code"] = "invalid_api_key";
  return dump(e);
}

}  // namespace aha::serve
