// The Jinja interpreter: expressions, filters, loops, whitespace control and errors, each pinned
// to what Python's Jinja2 gives under transformers' settings (compare_with_jinja2.py checks the
// same behaviours against Jinja2 itself).
#include <gtest/gtest.h>

#include <string>

#include "aha/base/error.hpp"
#include "aha/jinja/json_value.hpp"
#include "aha/jinja/template.hpp"

namespace aha::jinja {
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string render(const std::string& source, const OrderedJson& vars = OrderedJson::object(),
                   const Limits& limits = {}) {
  const Template t(source, "test.jinja");
  std::unordered_map<std::string, Value> variables;
  for (const auto& [key, value] : vars.items()) variables[key] = from_json(value);
  return t.render(variables, limits);
}

// The message of the error rendering `source` throws, or "(no error)".
std::string error_of(const std::string& source, const OrderedJson& vars = OrderedJson::object(),
                     const Limits& limits = {}) {
  try {
    render(source, vars, limits);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  return "(no error)";
}

TEST(JinjaExpressions, arithmetic_follows_python) {
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}"),
            "3 -4 2 3.5 64 4");
  EXPECT_EQ(render("{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 0.00001 }} {{ 2.0 * 3 }}"), "0.30000000000000004 1e+16 1e-05 6.0");
  EXPECT_EQ(render("{{ 'ab' * 2 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none }}"), "abab [1, 2] a1None");
}

TEST(JinjaExpressions, filters_bind_tighter_than_plus) {
  EXPECT_EQ(render("{{ '[' + x | trim + ']' }}", {{"x", "  y  "}}), "[y]");
  EXPECT_EQ(render("{{ xs|length - 1 }}", {{"xs", {1, 2, 3}}}), "2");
}

TEST(JinjaExpressions, comparisons_chain_and_in_tests_membership) {
  EXPECT_EQ(render("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' in 'cat' }} {{ 2 not in [1, 2] }} {{ 'k' in {'k': 0} }}"),
            "True False True False True");
}

TEST(JinjaExpressions, and_or_return_operands_and_if_without_else_is_empty) {
  EXPECT_EQ(render("{{ 0 or 'b' }}|{{ 'a' and 'b' }}|{{ 'x' if false }}|{{ 1 if 0 else 2 }}"), "b|b||2");
}

TEST(JinjaExpressions, slicing_counts_code_points) {
  EXPECT_EQ(render("{{ s[1:3] }} {{ s[::-1] }} {{ s[-1] }} {{ xs[::-2] }}", {{"s", "héllo"}, {"xs", {1, 2, 3, 4, 5}}}),
            "él olléh o [5, 3, 1]");
}

TEST(JinjaExpressions, undefined_values_print_empty_and_test_as_undefined) {
  EXPECT_EQ(
      render(
          "[{{ nope }}] {{ nope is defined }} {{ m.missing is defined }} {{ nope | default('d') }} {{ nope | length }}",
          {{"m", OrderedJson::object()}}),
      "[] False False d 0");
}

TEST(JinjaExpressions, dict_methods_shadow_keys_as_in_python) {
  EXPECT_EQ(render("{{ d['items'] }} {{ d.items is callable }} {{ d.get('z', 0) }} {{ d.keys() | list }}",
                   {{"d", {{"items", 1}}}}),
            "1 True 0 ['items']");
}

TEST(JinjaStrings, methods_templates_use) {
  EXPECT_EQ(render("{{ s.split('</think>')[-1].lstrip('\\n') }}|{{ s.startswith('<think>') }}|{{ ' a  b '.split() }}",
                   {{"s", "<think>r</think>\n\nanswer"}}),
            "answer|True|['a', 'b']");
  EXPECT_EQ(render("{{ 'xxhixx'.strip('x') }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'hello'.upper() }} {{ "
                   "'banana'.replace('a', 'o', 2) }}"),
            "hi ['a,b', 'c'] HELLO bonona");
}

TEST(JinjaStrings, repr_quotes_like_python) {
  EXPECT_EQ(render("{{ ['it\\'s', 'a\"b', 'tab\\t', none, true, 1.5] }} {{ ('t',) }}"),
            "[\"it's\", 'a\"b', 'tab\\t', None, True, 1.5] ('t',)");
}

TEST(JinjaFilters, tojson_is_python_json_dumps_without_sorting) {
  const OrderedJson tool =
      OrderedJson::parse(R"({"name": "f", "args": {"b": 1, "a": [true, null, 2.5]}, "text": "é\"\n"})");
  EXPECT_EQ(render("{{ t | tojson }}", {{"t", tool}}),
            R"({"name": "f", "args": {"b": 1, "a": [true, null, 2.5]}, "text": "é\"\n"})");
  EXPECT_EQ(render("{{ [1, {'x': []}] | tojson(indent=2) }}"), "[\n  1,\n  {\n    \"x\": []\n  }\n]");
  EXPECT_EQ(render("{{ {'k': 'ü'} | tojson(ensure_ascii=true) }}"), R"({"k": "\u00fc"})");
}

TEST(JinjaFilters, sequence_filters) {
  const OrderedJson messages = OrderedJson::parse(R"([{"role": "system"}, {"role": "user"}, {"role": "user"}])");
  EXPECT_EQ(
      render("{{ m | map(attribute='role') | join(',') }} {{ m | selectattr('role', 'eq', 'user') | list | length }}",
             {{"m", messages}}),
      "system,user,user 2");
  EXPECT_EQ(render("{{ [3, 1, 2] | sort }} {{ {'b': 1, 'a': 2} | dictsort }} {{ [1, 2, 1] | unique | list }} {{ 'abc' "
                   "| reverse }}"),
            "[1, 2, 3] [('a', 2), ('b', 1)] [1, 2] cba");
  EXPECT_EQ(render("{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}", {{"d", {{"x", 1}, {"y", 2}}}}),
            "x=1;y=2;");
}

TEST(JinjaLoops, loop_object_reports_position) {
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ "
                   "loop.revindex }};{% endfor %}"),
            "10TrueFalse3;21FalseFalse2;32FalseTrue1;");
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{{ loop.cycle('a', 'b') }}{{ loop.previtem }}{% endfor %}"), "ab1a2");
}

TEST(JinjaLoops, assignments_stay_inside_each_iteration) {
  EXPECT_EQ(render("{% set y = 'out' %}{% for i in [1, 2] %}[{{ y }}]{% set y = i %}{% endfor %}{{ y }}"),
            "[out][out]out");
}

TEST(JinjaLoops, namespace_carries_state_across_iterations) {
  EXPECT_EQ(
      render("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"),
      "6");
}

TEST(JinjaLoops, break_continue_else_and_filter) {
  EXPECT_EQ(render("{% for x in range(9) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif "
                   "%}{{ x }}{% endfor %}"),
            "023");
  EXPECT_EQ(render("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in range(6) if x is even %}{{ x }}/{{ loop.length }} {% endfor %}"), "0/3 2/3 4/3 ");
}

TEST(JinjaWhitespace, trim_blocks_and_lstrip_blocks) {
  EXPECT_EQ(render("<ul>\n  {% for x in 'ab' %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>"),
            "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>");
  EXPECT_EQ(render("  {{ 'x' }}\n"), "  x");  // variables are not lstripped; one trailing newline goes
  EXPECT_EQ(render("a\n  {# note #}\nb"), "a\nb");
}

TEST(JinjaWhitespace, minus_and_plus_modifiers) {
  EXPECT_EQ(render("a  {%- if true -%}  b  {%- endif %}\nc"), "abc");
  EXPECT_EQ(render("a\n  {{- 'b' -}}  \n c"), "abc");
  EXPECT_EQ(render("x\n    {%+ if true +%}\n y{% endif %}"), "x\n    \n y");
}

TEST(JinjaWhitespace, raw_blocks_are_not_evaluated) { EXPECT_EQ(render("{% raw %}{{ x }}{% endraw %}"), "{{ x }}"); }

TEST(JinjaStatements, macros_with_defaults_and_keywords) {
  EXPECT_EQ(render("{% macro g(n, h='Hi') %}{{ h }} {{ n }}{% endmacro %}{{ g('A') }}|{{ g(h='Yo', n='B') }}"),
            "Hi A|Yo B");
}

TEST(JinjaStatements, set_blocks_with_and_filter_blocks) {
  EXPECT_EQ(render("{% set a, b = 1, 2 %}{% set t | upper %}x{{ a + b }}{% endset %}{{ t }}"), "X3");
  EXPECT_EQ(render("{% with v = 5 %}{{ v }}{% endwith %}[{{ v }}]{% filter trim %}  z  {% endfilter %}"), "5[]z");
  EXPECT_EQ(render("{% generation %}kept{% endgeneration %}"), "kept");
}

TEST(JinjaErrors, unsupported_features_are_named) {
  EXPECT_NE(error_of("{% include 'x' %}").find("'include' tag is not supported"), std::string::npos);
  EXPECT_NE(error_of("{{ '%s' % 1 }}").find("'%' is not supported"), std::string::npos);
  EXPECT_NE(error_of("{{ 'a'.format(1) }}").find("str.format is not supported"), std::string::npos);
  EXPECT_NE(error_of("{{ 'x' | wordwrap }}").find("filter 'wordwrap' is not supported"), std::string::npos);
  EXPECT_NE(error_of("{{ xs.append(1) }}", {{"xs", OrderedJson::array()}}).find("sandbox forbids"), std::string::npos);
  EXPECT_NE(error_of("{{ [1] | map('string') }}").find("printing a generator is not supported"), std::string::npos);
}

TEST(JinjaErrors, unknown_filters_fail_even_in_dead_branches) {
  EXPECT_NE(error_of("{% if false %}{{ x | frobnicate }}{% endif %}").find("no filter named 'frobnicate'"),
            std::string::npos);
}

TEST(JinjaErrors, messages_name_the_template_and_line) {
  EXPECT_EQ(error_of("ok\n{{ raise_exception('Roles must alternate') }}"),
            "test.jinja: line 2: raise_exception: Roles must alternate");
  EXPECT_EQ(error_of("{{ m.content.strip() }}", {{"m", OrderedJson::object()}}),
            "test.jinja: line 1: 'dict object' has no attribute 'content'");
  EXPECT_NE(error_of("{% if x %}\nnever closed").find("test.jinja: line 2: unexpected end of template"),
            std::string::npos);
  EXPECT_NE(error_of("{{ 1 + }}").find("test.jinja: line 1:"), std::string::npos);
}

TEST(JinjaLimits, endless_loops_and_huge_outputs_stop_with_an_error) {
  Limits limits;
  limits.max_steps = 100000;
  limits.max_output_bytes = 1 << 20;
  EXPECT_NE(error_of("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", {}, limits)
                .find("ran for more than"),
            std::string::npos);
  EXPECT_NE(error_of("{{ 'x' * 100000000 }}", {}, limits).find("built more than"), std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                     {}, limits)
                .find("built more than"),
            std::string::npos);
  EXPECT_NE(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("macros call each other"),
            std::string::npos);
}

TEST(JinjaLimits, deep_nesting_is_refused_not_a_stack_overflow) {
  EXPECT_NE(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}").find("levels deep"),
            std::string::npos);
  std::string sum = "{{ 1";
  for (int i = 0; i < 5000; ++i) sum += " + 1";
  EXPECT_NE(error_of(sum + " }}").find("levels deep"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 2000; ++i) ifs += "{% if true %}";
  EXPECT_NE(error_of(ifs).find("levels deep"), std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}")
                .find("deep"),
            std::string::npos);
}

}  // namespace
}  // namespace aha::jinja
