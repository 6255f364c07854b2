#include "aha/data/prompts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/json.hpp"
#include "aha/base/text.hpp"
#include "aha/data/jsonl.hpp"
#include "aha/io/adapter_config.hpp"
#include "aha/io/gguf/reader.hpp"
#include "aha/io/prompt_template_file.hpp"
#include "aha/tasks/countdown.hpp"

namespace aha::data {
namespace {

constexpr std::string_view kR1Zero =
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The "
    "assistant first thinks about the reasoning process in the mind and then provides the user with the answer. The "
    "reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, "
    "i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: {prompt}. Assistant:";

// GSM8K's solution text without its "<<expression=value>>" calculator notes.
std::string without_calculator_notes(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find("<<", i);
    const size_t close = open == std::string_view::npos ? open : text.find(">>", open);
    if (close == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    i = close + 2;
  }
  return out;
}

// A GSM8K row: the question, and the number after the last "####" of the answer as the answer.
PromptItem gsm8k_item(const JsonlRecord& r, const std::string& path) {
  PromptItem item;
  item.prompt = string_field(r, path, "question");
  const std::string& text = string_field(r, path, "answer");
  const size_t hashes = text.rfind("####");
  if (hashes == std::string::npos) {
    if (trim(text).empty()) fail("{}:{}: \"answer\" is empty", path, r.line);
    item.answer = std::string(trim(text));
    return item;
  }
  const std::string_view tail = trim(std::string_view(text).substr(hashes + 4));
  const std::string_view number = trim(tail.substr(0, tail.find('\n')));
  if (number.empty()) fail("{}:{}: \"answer\" has nothing after \"####\"", path, r.line);
  item.answer = std::string(number);
  item.solution = std::string(number);
  item.reasoning = std::string(trim(without_calculator_notes(std::string_view(text).substr(0, hashes))));
  return item;
}

void check_messages(const nlohmann::json& messages, const std::string& path, int64_t line) {
  if (messages.empty()) fail("{}:{}: \"prompt\" is an empty messages array", path, line);
  for (size_t i = 0; i < messages.size(); ++i) {
    const nlohmann::json& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content"))
      fail("{}:{}: \"prompt\" message {} must be an object with \"role\" and \"content\"", path, line, i);
  }
}

// A Countdown row as the Countdown-Tasks datasets hold it: "target" and "nums" (or "numbers").
PromptItem countdown_row(const JsonlRecord& r, const std::string& path) {
  const nlohmann::json& target = r.value.at("target");
  const nlohmann::json& nums = r.value.contains("nums") ? r.value.at("nums") : r.value.at("numbers");
  if (!target.is_number_integer()) fail("{}:{}: \"target\" must be an integer", path, r.line);
  if (!nums.is_array() || nums.empty()) fail("{}:{}: \"nums\" must be a non-empty array of integers", path, r.line);
  std::vector<int64_t> numbers;
  for (const nlohmann::json& n : nums) {
    if (!n.is_number_integer()) fail("{}:{}: \"nums\" must hold integers, found {}", path, r.line, n.dump());
    numbers.push_back(n.get<int64_t>());
  }
  PromptItem item;
  item.prompt = tasks::countdown_prompt(numbers, target.get<int64_t>());
  item.answer = {{"target", target}, {"numbers", numbers}};
  return item;
}

PromptItem prompt_row(const JsonlRecord& r, const std::string& path) {
  PromptItem item;
  item.prompt = r.value.at("prompt");
  if (item.prompt.is_array()) {
    check_messages(item.prompt, path, r.line);
  } else if (!item.prompt.is_string()) {
    fail("{}:{}: \"prompt\" must be a string or a messages array, got {}", path, r.line, json_type_name(item.prompt));
  }
  auto answer = r.value.find("answer");
  if (answer == r.value.end()) fail("{}:{}: missing field \"answer\" (the reference the rewards check)", path, r.line);
  if (answer->is_null() || answer->is_boolean() || (answer->is_string() && trim(answer->get<std::string>()).empty()))
    fail("{}:{}: \"answer\" must be a number, a non-empty string or an object, got {}", path, r.line,
         answer->is_string() ? "an empty string" : json_type_name(*answer));
  item.answer = *answer;
  return item;
}

const std::string& prompt_text(const PromptItem& item) {
  if (item.prompt.is_string()) return item.prompt.get_ref<const std::string&>();
  if (item.prompt.is_array()) {
    for (auto it = item.prompt.rbegin(); it != item.prompt.rend(); ++it) {
      if (it->is_object() && it->value("role", "") == "user" && it->contains("content") && (*it)["content"].is_string())
        return (*it)["content"].get_ref<const std::string&>();
    }
    fail("prompt: the messages have no user message with text content");
  }
  fail("prompt: expected a string or a messages array, got {}", json_type_name(item.prompt));
}

// The fields of `row` other than `read` (those the item's prompt and answer came from).
Json other_fields(const Json& row, std::initializer_list<const char*> read) {
  Json columns = row;
  for (const char* key : read) columns.erase(key);
  return columns;
}

}  // namespace

bool has_chat_template(const std::string& model_dir) {
  if (const std::string dir = io::model_file_dir(model_dir, "tokenizer_config.json"); io::gguf::is_gguf_path(dir))
    return io::gguf::GgufFile(dir).find("tokenizer.chat_template") != nullptr;
  if (is_file(io::model_file_dir(model_dir, "chat_template.jinja") + "/chat_template.jinja")) return true;
  const std::string path = io::model_file_dir(model_dir, "tokenizer_config.json") + "/tokenizer_config.json";
  return is_file(path) && read_json_file(path).contains("chat_template");
}

std::vector<PromptItem> read_prompt_dataset(const std::string& path) {
  const JsonlFile file = read_jsonl(path, BadLines::fail);
  std::vector<PromptItem> items;
  items.reserve(file.records.size());
  for (const JsonlRecord& r : file.records) {
    if (r.value.contains("prompt")) {
      items.push_back(prompt_row(r, path));
      items.back().columns = other_fields(r.value, {"prompt", "answer"});
    } else if (r.value.contains("question")) {
      items.push_back(gsm8k_item(r, path));
      items.back().columns = other_fields(r.value, {"question", "answer"});
    } else if (r.value.contains("target") && (r.value.contains("nums") || r.value.contains("numbers"))) {
      items.push_back(countdown_row(r, path));
      items.back().columns = other_fields(r.value, {"target", "nums", "numbers"});
    } else {
      fail(
          "{}:{}: expected \"prompt\" and \"answer\" (or GSM8K's \"question\" and \"answer\", or Countdown's "
          "\"target\" and \"nums\")",
          path, r.line);
    }
    items.back().line = r.line;
  }
  if (items.empty()) fail("{}: no prompts in the file", path);
  return items;
}

namespace {
constexpr std::array<std::pair<std::string_view, PromptTemplate>, 4> kPromptTemplates = {{
    {"r1_zero", PromptTemplate::r1_zero},
    {"r1_zero_think", PromptTemplate::r1_zero_think},
    {"chat", PromptTemplate::chat},
    {"raw", PromptTemplate::raw},
}};
}  // namespace

std::string prompt_template_names() {
  std::string names;
  for (size_t i = 0; i < kPromptTemplates.size(); ++i)
    names += fmt::format("{}{}",
                         i == 0                             ? ""
                         : i + 1 == kPromptTemplates.size() ? " or "
                                                            : ", ",
                         kPromptTemplates[i].first);
  return names;
}

bool is_prompt_template(const std::string& name) {
  return std::any_of(kPromptTemplates.begin(), kPromptTemplates.end(), [&](const auto& t) { return t.first == name; });
}

PromptTemplate parse_prompt_template(const std::string& name) {
  for (const auto& [known, format] : kPromptTemplates)
    if (known == name) return format;
  fail("unknown prompt_template \"{}\" (expected {})", name, prompt_template_names());
}

std::string resolve_prompt_template(const std::string& requested, const std::string& model_dir) {
  if (!requested.empty()) {
    parse_prompt_template(requested);
    return requested;
  }
  if (const std::optional<std::string> stored = io::stored_prompt_template(model_dir)) {
    try {
      parse_prompt_template(*stored);
    } catch (const Error& e) {
      fail("{}/{}: {}", model_dir, io::kPromptTemplateFile, e.what());
    }
    return *stored;
  }
  return has_chat_template(model_dir) ? "chat" : "r1_zero";
}

std::string format_prompt(const PromptItem& item, PromptTemplate format, const tokenizer::ChatTemplate* chat_template) {
  switch (format) {
    case PromptTemplate::r1_zero:
    case PromptTemplate::r1_zero_think: {
      std::string text(kR1Zero);
      text.replace(text.find("{prompt}"), 8, prompt_text(item));
      return format == PromptTemplate::r1_zero_think ? text + " <think>" : text;
    }
    case PromptTemplate::chat: {
      if (chat_template == nullptr)
        fail(
            "prompt_template chat needs the model's chat template (tokenizer_config.json has none); use r1_zero or "
            "raw");
      nlohmann::ordered_json messages = nlohmann::ordered_json::array();
      if (item.prompt.is_array()) {
        messages = OrderedJson(item.prompt);
      } else {
        messages.push_back({{"role", "user"}, {"content", prompt_text(item)}});
      }
      return chat_template->render(messages, true);
    }
    case PromptTemplate::raw: return prompt_text(item);
  }
  fail_internal("format_prompt: unknown template");
}

}  // namespace aha::data
