// Prompts that do not fit (prompt_truncation: left | skip | error), and the prompt template a
// model was trained with (prompt_template.json) as the default.
#include "aha/data/prompt_fit.hpp"

#include <gtest/gtest.h>

#include "aha/base/error.hpp"
#include "aha/data/prompts.hpp"
#include "aha/io/prompt_template_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace aha::data {
namespace {

std::vector<int32_t> iota(int32_t n) {
  std::vector<int32_t> ids;
  for (int32_t i = 0; i < n; ++i) ids.push_back(i);
  return ids;
}

// The message of the Error that fitting `ids` under `limits` throws.
std::string error_of(std::vector<int32_t> ids, const PromptLimits& limits, const std::string& item) {
  try {
    fit_prompt(ids, limits, item);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  return "no error";
}

TEST(PromptTruncation, left_keeps_the_last_tokens_and_a_prompt_that_fits_is_unchanged) {
  std::vector<int32_t> ids = iota(10);
  EXPECT_EQ(fit_prompt(ids, {.max_prompt_length = 4}, "x"), PromptFit::truncated);
  EXPECT_EQ(ids, (std::vector<int32_t>{6, 7, 8, 9}));
  ids = iota(4);
  EXPECT_EQ(fit_prompt(ids, {.max_prompt_length = 4, .context = 5}, "x"), PromptFit::fits);
  EXPECT_EQ(ids, iota(4));
  // The context leaves one position to generate: a context of 4 keeps 3 tokens.
  ids = iota(10);
  EXPECT_EQ(fit_prompt(ids, {.max_prompt_length = 8, .context = 4}, "x"), PromptFit::truncated);
  EXPECT_EQ(ids, (std::vector<int32_t>{7, 8, 9}));
  EXPECT_EQ(prompt_token_limit({.max_prompt_length = 0, .context = 0}), std::numeric_limits<int64_t>::max());
}

TEST(PromptTruncation, skip_leaves_the_ids_alone_and_says_so) {
  std::vector<int32_t> ids = iota(10);
  EXPECT_EQ(fit_prompt(ids, {.max_prompt_length = 4, .truncation = PromptTruncation::skip}, "x"), PromptFit::skipped);
  EXPECT_EQ(ids, iota(10));
}

TEST(PromptTruncation, error_names_the_item_the_limit_and_the_settings_that_let_it_through) {
  const std::string keys = error_of(iota(10), {.max_prompt_length = 4, .truncation = PromptTruncation::error}, "d:7");
  EXPECT_EQ(keys,
            "d:7: the prompt has 10 tokens, more than max_prompt_length (4); raise max_prompt_length, or set "
            "prompt_truncation: left to keep its last 4 tokens (as TRL does) or prompt_truncation: skip to leave it "
            "out");
  const std::string context = error_of(iota(10), {.context = 8, .truncation = PromptTruncation::error}, "d:2");
  EXPECT_NE(context.find("d:2: the prompt has 10 tokens, which leaves no room to generate in the model's context of 8 "
                         "positions (max_position_embeddings)"),
            std::string::npos)
      << context;
  EXPECT_NE(context.find("prompt_truncation: left to keep its last 7 tokens"), std::string::npos) << context;
  const std::string flags =
      error_of(iota(10), {.context = 8, .truncation = PromptTruncation::error, .names = SettingNames::cli_flags},
               "--task t item 3");
  EXPECT_NE(flags.find("--task t item 3: "), std::string::npos) << flags;
  EXPECT_NE(flags.find("raise --ctx-size, or pass --prompt-truncation left to keep its last 7 tokens"),
            std::string::npos)
      << flags;
}

TEST(PromptTruncation, names_parse_and_items_are_named_by_file_line_or_position) {
  EXPECT_EQ(parse_prompt_truncation("left", "k"), PromptTruncation::left);
  EXPECT_EQ(parse_prompt_truncation("skip", "k"), PromptTruncation::skip);
  EXPECT_EQ(parse_prompt_truncation("error", "k"), PromptTruncation::error);
  EXPECT_THROW(parse_prompt_truncation("right", "k"), Error);
  PromptItem item;
  item.line = 18;
  EXPECT_EQ(prompt_item_name("train.jsonl", item, 16), "train.jsonl:18");
  EXPECT_EQ(prompt_item_name("dataset_task arithmetic", PromptItem{}, 4), "dataset_task arithmetic item 5");
  const PromptFitCounts counts{.prompts = 10, .truncated = 3};
  EXPECT_EQ(counts.notice("f.jsonl", {.max_prompt_length = 64}),
            "3 of 10 prompts of f.jsonl were longer than 64 tokens: truncated from the left (prompt_truncation: left)");
  EXPECT_EQ(PromptFitCounts{.prompts = 10}.notice("f.jsonl", {}), "");
}

TEST(PromptTemplate, the_stored_template_is_the_default_and_an_explicit_one_wins) {
  test::TempDir dir;
  const std::string model = dir.path().string();
  EXPECT_EQ(resolve_prompt_template("", model), "r1_zero");  // no chat template, nothing stored
  test::write_text(dir.file(io::kPromptTemplateFile), io::prompt_template_file_text("raw"));
  EXPECT_EQ(io::stored_prompt_template(model), "raw");
  EXPECT_EQ(resolve_prompt_template("", model), "raw");
  EXPECT_EQ(resolve_prompt_template("r1_zero", model), "r1_zero");
  EXPECT_THROW(resolve_prompt_template("r1", model), Error);
  test::write_text(dir.file(io::kPromptTemplateFile), "{\"prompt_template\": \"r2\"}");
  try {
    resolve_prompt_template("", model);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prompt_template.json: unknown prompt_template \"r2\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace aha::data
