// The YAML reader every run config shares: keys in file order with file:line, then --set
// overrides; typed values and their errors; unknown keys with the nearest one; and the three
// configs (train, grpo, distill) giving the same errors for the same mistakes.
#include "aha/train/config_reader.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "aha/base/error.hpp"
#include "aha/rl/distill.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/train/config.hpp"
#include "support/temp_dir.hpp"

namespace aha::train {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ConfigReader, reads_keys_in_order_with_their_lines_then_the_overrides) {
  test::TempDir dir;
  test::write_text(dir.file("c.yaml"), "# a comment\nalpha: 1\n\nbeta: [x, y]\n");
  std::vector<std::string> seen;
  read_config(
      dir.file("c.yaml"), {"alpha=2", "gamma={a: 1}"},
      [&](const std::string& name, const YAML::Node& value, const std::string& where) {
        seen.push_back(name + "|" + where + "|" + (value.IsScalar() ? value.Scalar() : value.IsMap() ? "map" : "seq"));
      });
  const std::vector<std::string> expected = {
      "alpha|" + dir.file("c.yaml") + ":2|1", "beta|" + dir.file("c.yaml") + ":4|seq",
      "alpha|alpha=2 (command-line override)|2", "gamma|gamma={a: 1} (command-line override)|map"};
  EXPECT_EQ(seen, expected);
}

TEST(ConfigReader, bad_yaml_and_bad_overrides_are_errors_naming_where) {
  test::TempDir dir;
  const auto ignore = [](const std::string&, const YAML::Node&, const std::string&) {};
  test::write_text(dir.file("bad.yaml"), "a: 1\nb: [unclosed\n");
  EXPECT_NE(error_of([&] { read_config(dir.file("bad.yaml"), {}, ignore); }).find("bad.yaml:"), std::string::npos);
  EXPECT_NE(error_of([&] { read_config(dir.file("bad.yaml"), {}, ignore); }).find("not valid YAML"), std::string::npos);
  test::write_text(dir.file("list.yaml"), "- a\n- b\n");
  EXPECT_NE(
      error_of([&] { read_config(dir.file("list.yaml"), {}, ignore); }).find("expected a mapping of keys to values"),
      std::string::npos);
  test::write_text(dir.file("empty.yaml"), "");
  EXPECT_EQ(error_of([&] { read_config(dir.file("empty.yaml"), {"a=1"}, ignore); }), "no error");
  EXPECT_EQ(error_of([&] { read_config(dir.file("empty.yaml"), {"novalue"}, ignore); }),
            "novalue (command-line override): expected key=value");
  EXPECT_EQ(error_of([&] { read_config(dir.file("empty.yaml"), {"=3"}, ignore); }),
            "=3 (command-line override): expected key=value");
}

TEST(ConfigReader, typed_values_parse_and_reject_the_wrong_type) {
  double d = 0;
  int64_t i = 0;
  bool b = false;
  std::string s = "x";
  std::optional<double> od = 1.0;
  std::optional<bool> ob = true;
  std::vector<std::string> names;
  std::vector<double> numbers;
  set_config_value(&d, YAML::Load("1e-3"), "d", "f:1");
  set_config_value(&i, YAML::Load("-42"), "i", "f:1");
  set_config_value(&b, YAML::Load("True"), "b", "f:1");
  set_config_value(&s, YAML::Load("~"), "s", "f:1");
  set_config_value(&od, YAML::Load("null"), "od", "f:1");
  set_config_value(&ob, YAML::Load("false"), "ob", "f:1");
  set_config_value(&names, YAML::Load("all-linear"), "names", "f:1");
  set_config_value(&numbers, YAML::Load("[1, 0.5]"), "numbers", "f:1");
  EXPECT_EQ(d, 1e-3);
  EXPECT_EQ(i, -42);
  EXPECT_TRUE(b);
  EXPECT_EQ(s, "");
  EXPECT_FALSE(od.has_value());
  EXPECT_EQ(ob, std::optional<bool>(false));
  EXPECT_EQ(names, std::vector<std::string>{"all-linear"});
  EXPECT_EQ(numbers, (std::vector<double>{1.0, 0.5}));
  EXPECT_EQ(error_of([&] { set_config_value(&i, YAML::Load("1.5"), "i", "f:3"); }),
            "f:3: i: expected an integer, got \"1.5\"");
  EXPECT_EQ(error_of([&] { set_config_value(&i, YAML::Load("99999999999999999999"), "i", "f:3"); }),
            "f:3: i: expected an integer, got \"99999999999999999999\"");
  EXPECT_EQ(error_of([&] { set_config_value(&d, YAML::Load("fast"), "d", "f:3"); }),
            "f:3: d: expected a number, got \"fast\"");
  EXPECT_EQ(error_of([&] { set_config_value(&b, YAML::Load("yes"), "b", "f:3"); }),
            "f:3: b: expected true or false, got \"yes\"");
  EXPECT_EQ(error_of([&] { set_config_value(&d, YAML::Load("[1]"), "d", "f:3"); }),
            "f:3: d: expected a single value, got a list");
  EXPECT_EQ(error_of([&] { set_config_value(&s, YAML::Load("{a: 1}"), "s", "f:3"); }),
            "f:3: s: expected a single value, got a mapping");
  EXPECT_EQ(error_of([&] { set_config_value(&numbers, YAML::Load("[1, x]"), "numbers", "f:3"); }),
            "f:3: numbers: expected a list of numbers");
  EXPECT_EQ(error_of([&] { set_config_value(&names, YAML::Load("[[a]]"), "names", "f:3"); }),
            "f:3: names: expected a list of names");
}

TEST(ConfigReader, unknown_keys_suggest_the_nearest_or_name_the_doc) {
  const std::vector<std::string> names = {"learning_rate", "max_steps"};
  EXPECT_EQ(error_of([&] { fail_unknown_key("f:2", "learning_rat", names, "docs/x.md"); }),
            "f:2: unknown key 'learning_rat'; did you mean 'learning_rate'?");
  EXPECT_EQ(error_of([&] { fail_unknown_key("f:2", "zzzzzzzzzzzzzz", names, "docs/x.md"); }),
            "f:2: unknown key 'zzzzzzzzzzzzzz' (docs/x.md lists the keys)");
}

TEST(ConfigReader, the_three_run_configs_report_the_same_mistakes_the_same_way) {
  test::TempDir dir;
  test::write_text(dir.file("c.yaml"), "seed: 1\nsede: 2\n");
  const std::string where = dir.file("c.yaml") + ":2: unknown key 'sede'; did you mean 'seed'?";
  EXPECT_EQ(error_of([&] { load_train_config(dir.file("c.yaml"), TrainMode::sft, {}); }), where);
  EXPECT_EQ(error_of([&] { rl::load_grpo_config(dir.file("c.yaml"), {}); }), where);
  EXPECT_EQ(error_of([&] { rl::load_distill_config(dir.file("c.yaml"), {}); }), where);
  test::write_text(dir.file("d.yaml"), "seed: many\n");
  const std::string typed = dir.file("d.yaml") + ":1: seed: expected an integer, got \"many\"";
  EXPECT_EQ(error_of([&] { load_train_config(dir.file("d.yaml"), TrainMode::sft, {}); }), typed);
  EXPECT_EQ(error_of([&] { rl::load_grpo_config(dir.file("d.yaml"), {}); }), typed);
  EXPECT_EQ(error_of([&] { rl::load_distill_config(dir.file("d.yaml"), {}); }), typed);
}

TEST(ConfigReader, a_distill_dtype_outside_the_four_names_is_an_error_naming_it) {
  test::TempDir dir;
  test::write_text(dir.file("c.yaml"),
                   "model_name_or_path: m\noutput_dir: o\ndataset_task: countdown\n"
                   "reward_funcs: [accuracy]\ndtype: half\n");
  EXPECT_EQ(error_of([&] { rl::load_distill_config(dir.file("c.yaml"), {}); }),
            dir.file("c.yaml") + ": dtype: dtype 'half' is not one of auto, float32, bfloat16, q8_0");
}

}  // namespace
}  // namespace aha::train
