#include "aha/tokenizer/normalizers.hpp"

#include <vector>

#include "aha/base/error.hpp"
#include "aha/tokenizer/regex.hpp"
#include "aha/tokenizer/unicode.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {
namespace {

class UnicodeForm : public Normalizer {
 public:
  explicit UnicodeForm(unicode::Form form) : form_(form) {}
  void normalize(std::string& text) const override { text = unicode::normalize(text, form_); }

 private:
  unicode::Form form_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) unicode::append_lower(out, utf8::next(text, pos));
    text = std::move(out);
  }
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0, end = text.size();
    if (left_) {
      size_t pos = 0;
      while (pos < end) {
        const size_t at = pos;
        if (!unicode::is_white_space(utf8::next(text, pos))) {
          pos = at;
          break;
        }
      }
      begin = pos;
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        size_t pos = start;
        if (!unicode::is_white_space(utf8::next(text, pos))) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class StripAccents : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t at = pos;
      if (!unicode::is_mark(utf8::next(text, pos))) out.append(text, at, pos - at);
    }
    text = std::move(out);
  }
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Regex pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = pattern_.replace_all(text, content_); }

 private:
  Regex pattern_;
  std::string content_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const JsonAt& config) {
  if (config.value().is_null()) return nullptr;
  const std::string& type = config["type"].str();
  if (type == "NFC") return std::make_unique<UnicodeForm>(unicode::Form::nfc);
  if (type == "NFD") return std::make_unique<UnicodeForm>(unicode::Form::nfd);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(unicode::Form::nfkc);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(unicode::Form::nfkd);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip")
    return std::make_unique<StripNormalizer>(config.bool_or("strip_left", true), config.bool_or("strip_right", true));
  if (type == "Prepend") return std::make_unique<Prepend>(config["prepend"].str());
  if (type == "Replace")
    return std::make_unique<ReplaceNormalizer>(make_pattern(config["pattern"]), config["content"].str());
  if (type == "Sequence") {
    const JsonAt list = config["normalizers"];
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto step = make_normalizer(list[i])) steps.push_back(std::move(step));
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  config["type"].fail(
      fmt::format("normalizer '{}' is not supported (aha supports NFC, NFD, NFKC, NFKD, Lowercase, "
                  "Strip, StripAccents, Replace, Prepend, Sequence)",
                  type));
}

}  // namespace aha::tokenizer
