// Post-processors of tokenizer.json ("post_processor"): TemplateProcessing, ByteLevel,
// BertProcessing, RobertaProcessing and Sequence. With add_special_tokens they wrap the ids of one
// sequence in the model's special tokens (e.g. a BOS id first).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "aha/tokenizer/json_at.hpp"

namespace aha::tokenizer {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Rewrites the ids of one encoded sequence; adds special tokens only when `add_special`.
  virtual void process(std::vector<int32_t>& ids, bool add_special) const = 0;
};

// The post-processor a tokenizer.json "post_processor" object describes (nullptr for JSON null).
std::unique_ptr<PostProcessor> make_post_processor(const JsonAt& config);

}  // namespace aha::tokenizer
