#include "aha/data/jsonl.hpp"

#include <string_view>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"

namespace aha::data {
namespace {

// The parsed object of one line, or the reason it is not one.
bool parse_line(std::string_view text, Json& value, std::string& why) {
  std::optional<Json> parsed = try_parse_json(text, &why);
  if (!parsed) return false;
  value = std::move(*parsed);
  if (!value.is_object()) {
    why = fmt::format("expected a JSON object, got {}", json_type_name(value));
    return false;
  }
  return true;
}

}  // namespace

JsonlFile read_jsonl(const std::string& path, BadLines bad) {
  const std::string text = read_file(path);
  JsonlFile file{path, {}, 0};
  size_t begin = 0;
  for (int64_t line = 1; begin < text.size(); ++line) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view row(text.data() + begin, end - begin);
    begin = end + 1;
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    if (row.find_first_not_of(" \t") == std::string_view::npos) continue;
    Json value;
    std::string why;
    if (parse_line(row, value, why)) {
      file.records.push_back({line, std::move(value)});
    } else if (bad == BadLines::skip) {
      ++file.skipped_lines;
    } else {
      fail("{}:{}: {}{}", path, line, why,
           bad == BadLines::fail_suggesting_skip ? " (skip_bad_lines skips such lines)" : "");
    }
  }
  return file;
}

const std::string& string_field(const JsonlRecord& record, const std::string& path, const std::string& key) {
  auto it = record.value.find(key);
  if (it == record.value.end()) fail("{}:{}: missing field \"{}\"", path, record.line, key);
  if (!it->is_string())
    fail("{}:{}: field \"{}\" must be a string, got {}", path, record.line, key, json_type_name(*it));
  return it->get_ref<const std::string&>();
}

}  // namespace aha::data
