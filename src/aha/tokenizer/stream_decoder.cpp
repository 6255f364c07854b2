#include "aha/tokenizer/stream_decoder.hpp"

#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(&tokenizer), skip_special_(skip_special) {}

std::string StreamDecoder::step(int32_t id) {
  ids_.push_back(id);
  const std::string bytes = tokenizer_->decode_bytes(ids_, skip_special_);
  if (bytes.size() <= prefix_.size()) return "";
  const std::string_view fresh = std::string_view(bytes).substr(prefix_.size());
  if (utf8::complete_prefix(fresh) != fresh.size()) return "";  // wait for the rest of the character
  // Keep only the ids after the previous context as the new context.
  const size_t keep = ids_.size() - context_;
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(context_));
  context_ = keep;
  prefix_ = tokenizer_->decode_bytes(ids_, skip_special_);
  return utf8::sanitize(fresh);
}

std::string StreamDecoder::finish() {
  std::string rest;
  const std::string bytes = tokenizer_->decode_bytes(ids_, skip_special_);
  if (bytes.size() > prefix_.size()) rest = utf8::sanitize(std::string_view(bytes).substr(prefix_.size()));
  ids_.clear();
  context_ = 0;
  prefix_.clear();
  return rest;
}

}  // namespace aha::tokenizer
