#include "aha/tokenizer/decoders.hpp"

#include <cctype>
#include <optional>

#include "aha/base/error.hpp"
#include "aha/tokenizer/byte_level.hpp"
#include "aha/tokenizer/regex.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {
namespace {

class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens)
      if (!byte_level::decode(token, bytes)) bytes += token;  // e.g. an added token: taken as it is
    tokens.assign(1, std::move(bytes));
  }
};

class ByteFallback : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string run;  // bytes of consecutive <0xXX> tokens
    for (std::string& token : tokens) {
      int byte = -1;
      if (token.size() == 6 && token.starts_with("<0x") && token.back() == '>' &&
          std::isxdigit(static_cast<unsigned char>(token[3])) && std::isxdigit(static_cast<unsigned char>(token[4])))
        byte = std::stoi(token.substr(3, 2), nullptr, 16);
      if (byte >= 0) {
        run.push_back(static_cast<char>(byte));
        continue;
      }
      if (!run.empty()) out.push_back(std::move(run));
      run.clear();
      out.push_back(std::move(token));
    }
    if (!run.empty()) out.push_back(std::move(run));
    tokens = std::move(out);
  }
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& token = tokens[i];
      for (size_t pos = 0; pos < token.size();) {
        if (token.compare(pos, replacement_.size(), replacement_) == 0) {
          // The first token loses its metaspaces: the one the pre-tokenizer prepended.
          if (!(i == 0 && strip_first_)) out.push_back(' ');
          pos += replacement_.size();
        } else {
          out.push_back(token[pos++]);
        }
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class Fuse : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& token : tokens) all += token;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    const size_t n = content_.size();
    for (std::string& token : tokens) {
      size_t begin = 0, end = token.size();
      for (size_t i = 0; i < start_ && end - begin >= n && token.compare(begin, n, content_) == 0; ++i) begin += n;
      for (size_t i = 0; i < stop_ && end - begin >= n && token.compare(end - n, n, content_) == 0; ++i) end -= n;
      token = token.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(std::optional<std::string> literal, Regex pattern, std::string content)
      : literal_(std::move(literal)), pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      if (literal_) {
        // A literal pattern is replaced byte-wise, so it works on tokens that hold partial characters.
        if (literal_->empty()) continue;
        std::string out;
        size_t prev = 0;
        for (size_t at = token.find(*literal_); at != std::string::npos; at = token.find(*literal_, prev)) {
          out.append(token, prev, at - prev);
          out += content_;
          prev = at + literal_->size();
        }
        out.append(token, prev);
        token = std::move(out);
      } else if (utf8::is_valid(token)) {
        token = pattern_.replace_all(token, content_);
      }
    }
  }

 private:
  std::optional<std::string> literal_;
  Regex pattern_;
  std::string content_;
};

class BpeSuffix : public Decoder {
 public:
  explicit BpeSuffix(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      const std::string with = i + 1 == tokens.size() ? "" : " ";
      for (size_t at = token.find(suffix_); !suffix_.empty() && at != std::string::npos; at = token.find(suffix_, at)) {
        token.replace(at, suffix_.size(), with);
        at += with.size();
      }
    }
  }

 private:
  std::string suffix_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

bool metaspace_strips_first(const JsonAt& config) {
  if (config.has("prepend_scheme")) return config["prepend_scheme"].str() != "never";
  return config.bool_or("add_prefix_space", true);
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const JsonAt& config) {
  if (config.value().is_null()) return nullptr;
  const std::string& type = config["type"].str();
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Metaspace") {
    const std::string& replacement = config["replacement"].str();
    if (utf8::count(replacement) != 1) config["replacement"].fail("expected a single character");
    return std::make_unique<MetaspaceDecoder>(replacement, metaspace_strips_first(config));
  }
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(config["content"].str(),
                                          static_cast<size_t>(config["start"].integer(0, 1 << 20)),
                                          static_cast<size_t>(config["stop"].integer(0, 1 << 20)));
  if (type == "Replace") {
    const JsonAt pattern = config["pattern"];
    std::optional<std::string> literal;
    if (pattern.has("String")) literal = pattern["String"].str();
    return std::make_unique<ReplaceDecoder>(std::move(literal), make_pattern(pattern), config["content"].str());
  }
  if (type == "BPEDecoder") return std::make_unique<BpeSuffix>(config.str_or("suffix", "</w>"));
  if (type == "Sequence") {
    const JsonAt list = config["decoders"];
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto step = make_decoder(list[i])) steps.push_back(std::move(step));
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  config["type"].fail(
      fmt::format("decoder '{}' is not supported (aha supports ByteLevel, ByteFallback, Metaspace, "
                  "Fuse, Strip, Replace, BPEDecoder, Sequence)",
                  type));
}

}  // namespace aha::tokenizer
