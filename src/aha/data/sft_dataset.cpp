#include "aha/data/sft_dataset.hpp"

#include "aha/base/error.hpp"
#include "aha/data/jsonl.hpp"

namespace aha::data {
namespace {

using OJson = nlohmann::ordered_json;

const tokenizer::ChatTemplate& chat_template_of(const SftTokenizing& tok, const std::string& where) {
  if (!tok.chat_template)
    fail(
        "{}: conversational data needs a chat template, and the model has none "
        "(tokenizer_config.json with chat_template)",
        where);
  return *tok.chat_template;
}

Sequence from_parts(const std::vector<int32_t>& prompt, const std::vector<int32_t>& completion, bool completion_only) {
  Sequence s;
  s.tokens = prompt;
  s.tokens.insert(s.tokens.end(), completion.begin(), completion.end());
  s.labels.assign(prompt.size(), completion_only ? 0 : 1);
  s.labels.resize(s.tokens.size(), 1);
  return s;
}

// A prompt-completion record: plain text (EOS appended, as TRL does) or message lists.
Sequence prompt_completion(const JsonlRecord& r, const std::string& where, const SftTokenizing& tok,
                           bool completion_only) {
  const Json& prompt = r.value.at("prompt");
  auto it = r.value.find("completion");
  if (it == r.value.end()) fail("{}: \"prompt\" without \"completion\"", where);
  const Json& completion = *it;
  if (prompt.is_string() && completion.is_string()) {
    std::vector<int32_t> c = tok.tokenizer->encode(completion.get<std::string>(), false);
    c.push_back(tok.eos);
    return from_parts(tok.tokenizer->encode(prompt.get<std::string>(), false), c, completion_only);
  }
  if (!prompt.is_array() || !completion.is_array())
    fail("{}: \"prompt\" and \"completion\" must both be strings or both be message lists", where);
  const tokenizer::ChatTemplate& t = chat_template_of(tok, where);
  OJson p = OJson(prompt), all = p;
  for (const Json& m : completion) all.push_back(OJson(m));
  const std::string prompt_text = t.render(p, true), full_text = t.render(all, false);
  if (full_text.compare(0, prompt_text.size(), prompt_text) != 0)
    fail("{}: the chat template renders the prompt differently on its own than before the completion", where);
  return from_parts(tok.tokenizer->encode(prompt_text, false),
                    tok.tokenizer->encode(full_text.substr(prompt_text.size()), false), completion_only);
}

// Appends the tokens of `text` to `s`, each labelled `label`.
void append(Sequence& s, const tokenizer::Tokenizer& tok, const std::string& text, uint8_t label) {
  const std::vector<int32_t> ids = tok.encode(text, false);
  s.tokens.insert(s.tokens.end(), ids.begin(), ids.end());
  s.labels.resize(s.tokens.size(), label);
}

// assistant_only_loss: the conversation rendered in pieces, each assistant turn being what
// messages[:i+1] adds to messages[:i] rendered with the generation prompt. Only those pieces
// count in the loss (TRL marks the same text with {% generation %} blocks in the template).
Sequence assistant_only(const OJson& messages, const std::string& where, const SftTokenizing& tok) {
  const tokenizer::ChatTemplate& t = chat_template_of(tok, where);
  Sequence s;
  std::string done;  // the text appended so far
  auto extend = [&](const std::string& text, uint8_t label, size_t turn) {
    if (text.compare(0, done.size(), done) != 0)
      fail(
          "{}: assistant_only_loss: the chat template's rendering of messages[:{}] does not start with its "
          "rendering of the earlier messages (the template rewrites past turns), so the assistant turns cannot be "
          "located",
          where, turn);
    append(s, *tok.tokenizer, text.substr(done.size()), label);
    done = text;
  };
  OJson prefix = OJson::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].is_object() && messages[i].value("role", "") == "assistant") {
      extend(t.render(prefix, true), 0, i);
      prefix.push_back(messages[i]);
      extend(t.render(prefix, false), 1, i + 1);
    } else {
      prefix.push_back(messages[i]);
    }
  }
  extend(t.render(messages, false), 0, messages.size());
  return s;
}

Sequence conversation(const JsonlRecord& r, const std::string& where, const SftTokenizing& tok,
                      bool assistant_only_loss) {
  const Json& messages = r.value.at("messages");
  if (!messages.is_array()) fail("{}: \"messages\" must be a list of messages", where);
  if (assistant_only_loss) return assistant_only(OJson(messages), where, tok);
  const std::string text = chat_template_of(tok, where).render(OJson(messages), false);
  Sequence s;
  s.tokens = tok.tokenizer->encode(text, false);
  s.labels.assign(s.tokens.size(), 1);
  return s;
}

// `s` cut at max_length, or an Error when truncation is off.
void fit_max_length(Sequence& s, const std::string& where, const SftOptions& o) {
  const size_t max = static_cast<size_t>(o.max_length);
  if (s.tokens.size() > max) {
    if (!o.truncation)
      fail("{}: the sequence has {} tokens, more than max_length {} (truncation is off)", where, s.tokens.size(),
           o.max_length);
    s.tokens.resize(max);
    s.labels.resize(max);
  }
}

Sequence tokenize_record(const JsonlRecord& r, const std::string& where, const SftTokenizing& tok,
                         const SftOptions& o) {
  Sequence s;
  if (r.value.contains("prompt")) s = prompt_completion(r, where, tok, o.completion_only_loss);
  else if (r.value.contains("messages")) s = conversation(r, where, tok, o.assistant_only_loss);
  else fail("{}: expected {{\"prompt\", \"completion\"}} or {{\"messages\"}}", where);
  fit_max_length(s, where, o);
  return s;
}

}  // namespace

SequenceSet read_sft_dataset(const std::string& path, const SftTokenizing& tok, const SftOptions& options) {
  JsonlFile file = read_jsonl(path, bad_lines_policy(options.skip_bad_lines));
  SequenceSet set;
  set.skipped_lines = file.skipped_lines;
  for (const JsonlRecord& r : file.records) {
    const std::string where = fmt::format("{}:{}", path, r.line);
    try {
      set.sequences.push_back(tokenize_record(r, where, tok, options));
    } catch (const Error& e) {
      if (!options.skip_bad_lines || e.kind() != ErrorKind::bad_input) throw;
      ++set.skipped_lines;
    }
  }
  if (set.sequences.empty()) fail("{}: the dataset is empty: no training examples", path);
  return set;
}

std::string worked_solution(const PromptItem& item, PromptTemplate format) {
  // r1_zero_think's prompt has opened the think block already.
  return fmt::format("{}\n{}\n</think>\n<answer>{}</answer>", format == PromptTemplate::r1_zero_think ? "" : " <think>",
                     item.reasoning, item.solution);
}

bool is_gsm8k_file(const std::string& path) {
  const JsonlFile file = read_jsonl(path, bad_lines_policy(true));
  return !file.records.empty() && file.records.front().value.contains("question");
}

SequenceSet worked_solution_sequences(const std::vector<PromptItem>& items, PromptTemplate format,
                                      const SftTokenizing& tok, const SftOptions& options, const std::string& origin) {
  SequenceSet set;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = fmt::format("{} item {}", origin, i + 1);
    if (items[i].reasoning.empty() || items[i].solution.empty())
      fail("{}: no worked solution to train on (it needs reasoning and a final answer)", where);
    std::vector<int32_t> completion = tok.tokenizer->encode(worked_solution(items[i], format), false);
    completion.push_back(tok.eos);
    Sequence s = from_parts(tok.tokenizer->encode(format_prompt(items[i], format, tok.chat_template), false),
                            completion, options.completion_only_loss);
    fit_max_length(s, where, options);
    set.sequences.push_back(std::move(s));
  }
  if (set.sequences.empty()) fail("{}: the dataset is empty: no training examples", origin);
  return set;
}

}  // namespace aha::data
