#include "aha/tokenizer/post_processors.hpp"

#include "aha/base/error.hpp"
#include "aha/tokenizer/token_map.hpp"

namespace aha::tokenizer {
namespace {

// The template for a single sequence: runs of special-token ids around the sequence itself.
class Template : public PostProcessor {
 public:
  Template(std::vector<int32_t> before, std::vector<int32_t> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  void process(std::vector<int32_t>& ids, bool add_special) const override {
    if (!add_special) return;
    ids.insert(ids.begin(), before_.begin(), before_.end());
    ids.insert(ids.end(), after_.begin(), after_.end());
  }

 private:
  std::vector<int32_t> before_, after_;
};

class SequencePostProcessor : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids, bool add_special) const override {
    for (const auto& step : steps_) step->process(ids, add_special);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::unique_ptr<PostProcessor> make_template(const JsonAt& config) {
  const JsonAt single = config["single"];
  std::vector<int32_t> before, after;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const JsonAt item = single[i];
    if (item.has("Sequence")) {
      if (seen_sequence) item.fail("the single-sequence template holds the sequence twice");
      seen_sequence = true;
      continue;
    }
    const std::string& name = item["SpecialToken"]["id"].str();
    const JsonAt specials = config["special_tokens"];
    if (!specials.has(name)) specials.fail(fmt::format("no entry for '{}', which the template uses", name));
    const JsonAt ids = specials[name]["ids"];
    for (size_t k = 0; k < ids.size(); ++k)
      (seen_sequence ? after : before).push_back(static_cast<int32_t>(ids[k].integer(0, kMaxTokenId)));
  }
  if (!seen_sequence) single.fail("the template never places the sequence ($A)");
  return std::make_unique<Template>(std::move(before), std::move(after));
}

// BertProcessing and RobertaProcessing: [cls] sequence [sep], each given as [token, id].
std::unique_ptr<PostProcessor> make_cls_sep(const JsonAt& config) {
  const auto cls = static_cast<int32_t>(config["cls"][1].integer(0, kMaxTokenId));
  const auto sep = static_cast<int32_t>(config["sep"][1].integer(0, kMaxTokenId));
  return std::make_unique<Template>(std::vector<int32_t>{cls}, std::vector<int32_t>{sep});
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const JsonAt& config) {
  if (config.value().is_null()) return nullptr;
  const std::string& type = config["type"].str();
  if (type == "TemplateProcessing") return make_template(config);
  if (type == "ByteLevel") return nullptr;  // it only adjusts offsets, which aha does not report
  if (type == "BertProcessing" || type == "RobertaProcessing") return make_cls_sep(config);
  if (type == "Sequence") {
    const JsonAt list = config["processors"];
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto step = make_post_processor(list[i])) steps.push_back(std::move(step));
    return std::make_unique<SequencePostProcessor>(std::move(steps));
  }
  config["type"].fail(
      fmt::format("post-processor '{}' is not supported (aha supports TemplateProcessing, ByteLevel, "
                  "BertProcessing, RobertaProcessing, Sequence)",
                  type));
}

}  // namespace aha::tokenizer
