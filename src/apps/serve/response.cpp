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

OrderedJson ResponseWriter::chat_logprobs(const std::vector<Listed>& listed) const {
  auto entry = [&](int32_t token, float logprob) {
    OrderedJson bytes = OrderedJson::array();
    try {
      for (unsigned char b : tok_.decode_bytes(std::vector<int32_t>{token})) bytes.push_back(b);
    } catch (const Error&) {
    }
    return OrderedJson{{"token", token_text(token)}, {"logprob", logprob}, {"bytes", bytes}};
  };
  OrderedJson content = OrderedJson::array();
  for (const Listed& l : listed) {
    OrderedJson e = entry(l.token, l.logprob);
    e["top_logprobs"] = OrderedJson::array();
    for (const auto& alt : l.top) e["top_logprobs"].push_back(entry(alt.token, alt.logprob));
    content.push_back(std::move(e));
  }
  return {{"content", std::move(content)}};
}

OrderedJson ResponseWriter::text_logprobs(const std::vector<Listed>& listed) const {
  OrderedJson tokens = OrderedJson::array(), logprobs = OrderedJson::array(), top = OrderedJson::array(),
              offsets = OrderedJson::array();
  for (const Listed& l : listed) {
    OrderedJson alternatives = OrderedJson::object();
    for (const auto& alt : l.top) alternatives[token_text(alt.token)] = alt.logprob;
    tokens.push_back(token_text(l.token));
    logprobs.push_back(l.logprob);
    top.push_back(std::move(alternatives));
    offsets.push_back(l.text_offset);
  }
  return {{"tokens", std::move(tokens)},
          {"token_logprobs", std::move(logprobs)},
          {"top_logprobs", std::move(top)},
          {"text_offset", std::move(offsets)}};
}

OrderedJson ResponseWriter::apply(const Delta& d, bool streamed) {
  if (d.token >= 0) ++completion_tokens_;
  Choice& c = choices_.at(static_cast<size_t>(d.sample));
  const bool chat = info_.endpoint == Endpoint::chat;
  std::vector<Listed> listed;
  if (info_.logprobs && !d.eos && d.token >= 0) listed.push_back({d.token, d.logprob, c.content.size(), d.top});
  OrderedJson lp = nullptr;
  if (streamed && !listed.empty()) lp = chat ? chat_logprobs(listed) : text_logprobs(listed);
  if (!streamed && !listed.empty()) c.listed.push_back(std::move(listed.front()));
  OrderedJson out = {{"index", d.sample}};
  if (chat) {
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
    if (delta.empty() && lp.is_null() && d.finish.empty()) return nullptr;
    out["delta"] = std::move(delta);
  } else {
    c.content += d.text;
    if (d.text.empty() && lp.is_null() && d.finish.empty()) return nullptr;
    out["text"] = d.text;
  }
  out["logprobs"] = std::move(lp);
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
    OrderedJson choice = apply(d, true);
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
  for (const Delta& d : deltas) apply(d, false);
}

OrderedJson ResponseWriter::choice_json(size_t index) const {
  const Choice& c = choices_[index];
  OrderedJson choice = {{"index", index}};
  if (info_.endpoint == Endpoint::chat) {
    OrderedJson message = {{"role", "assistant"}, {"content", c.content}};
    if (!c.reasoning.empty()) message["reasoning_content"] = c.reasoning;
    choice["message"] = std::move(message);
    choice["logprobs"] = info_.logprobs ? chat_logprobs(c.listed) : OrderedJson(nullptr);
  } else {
    choice["text"] = c.content;
    choice["logprobs"] = info_.logprobs ? text_logprobs(c.listed) : OrderedJson(nullptr);
  }
  choice["finish_reason"] = finish_or_null(c.finish);
  return choice;
}

bool ResponseWriter::write_json(const std::function<bool(const std::string&)>& sink) const {
  const bool chat = info_.endpoint == Endpoint::chat;
  const OrderedJson head = {{"id", info_.id},
                            {"object", chat ? "chat.completion" : "text_completion"},
                            {"created", info_.created},
                            {"model", info_.model}};
  std::string text = dump(head);
  text.back() = ',';  // the object goes on: "choices", then "usage"
  text += "\"choices\":[";
  for (size_t i = 0; i < choices_.size(); ++i) {
    if (i > 0) text += ',';
    text += dump(choice_json(i));
    if (!sink(text)) return false;
    text.clear();
  }
  return sink("],\"usage\":" + dump(usage()) + "}");
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
