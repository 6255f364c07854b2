#include "aha/jinja/globals.hpp"

#include <ctime>

#include "aha/base/error.hpp"
#include "aha/jinja/arguments.hpp"
#include "aha/jinja/operators.hpp"
#include "aha/jinja/python_text.hpp"

namespace aha::jinja {
namespace {

// Jinja's sandbox refuses ranges longer than this.
constexpr int64_t kMaxRange = 100000;

Value range(const Arguments& args, Budget& budget) {
  if (!args.keywords.empty()) fail("range() takes no keyword arguments");
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) fail("range expected 1 to 3 arguments, got {}", p.size());
  int64_t start = 0, stop = 0, step = 1;
  if (p.size() == 1) {
    stop = int_argument(p[0], "range", "stop");
  } else {
    start = int_argument(p[0], "range", "start");
    stop = int_argument(p[1], "range", "stop");
    if (p.size() == 3) step = int_argument(p[2], "range", "step");
  }
  if (step == 0) fail("range() arg 3 must not be zero");
  const long double span = (static_cast<long double>(stop) - start + (step > 0 ? step - 1 : step + 1)) / step;
  if (span > kMaxRange) fail("range too big, maximum size for range is {}", kMaxRange);
  std::vector<Value> items;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.push_back(Value::from_int(i));
  budget.charge(items.size() * sizeof(Value));
  return Value::make_view("range", std::move(items));
}

// dict(mapping_or_pairs, **kwargs), as Python builds it.
Dict build_dict(const Arguments& args, const char* function) {
  if (args.positional.size() > 1) fail("{}() expected at most 1 positional argument", function);
  Dict dict;
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.kind() == Kind::dict) {
      dict = source.as_dict();
    } else {
      for (const Value& pair : iterate(source)) {
        const std::vector<Value> kv = iterate(pair);
        if (kv.size() != 2) fail("{}(): sequence elements must have length 2", function);
        dict.set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [key, value] : args.keywords) dict.set(Value::from_string(key), value);
  return dict;
}

Value strftime_now(const Arguments& args) {
  auto a = bind_arguments("strftime_now", args, {"format"});
  if (!a[0]) fail("strftime_now() takes exactly one argument");
  const std::string& format = string_argument(*a[0], "strftime_now", "format");
  if (format.find("%f") != std::string::npos) fail("strftime_now: %f is not supported");
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::string out(format.size() * 8 + 64, '\0');
  const size_t n = std::strftime(out.data(), out.size(), format.c_str(), &local);
  if (n == 0 && !format.empty()) fail("strftime_now: the format gives too long a text");
  out.resize(n);
  return Value::from_string(out);
}

Value unsupported(const char* name) {
  return Value::make_function(name,
                              [name](Arguments&) -> Value { fail("the global function {}() is not supported", name); });
}

}  // namespace

std::unordered_map<std::string, Value> make_globals(Budget& budget,
                                                    std::function<void(std::shared_ptr<Namespace>)> created) {
  std::unordered_map<std::string, Value> globals;
  globals["range"] = Value::make_function("range", [&budget](Arguments& args) { return range(args, budget); });
  globals["dict"] =
      Value::make_function("dict", [](Arguments& args) { return Value::make_dict(build_dict(args, "dict")); });
  globals["namespace"] = Value::make_function("namespace", [created](Arguments& args) {
    auto ns = std::make_shared<Namespace>();
    const Dict attributes = build_dict(args, "namespace");
    for (const auto& [key, value] : attributes.entries()) {
      if (!key.is_string()) fail("namespace(): attribute names must be strings");
      ns->set(key.as_string(), value);
    }
    created(ns);
    return Value::make_object(ns);
  });
  globals["raise_exception"] = Value::make_function("raise_exception", [](Arguments& args) -> Value {
    auto a = bind_arguments("raise_exception", args, {"message"});
    fail("raise_exception: {}", a[0] ? python_str(*a[0]) : "");
  });
  globals["strftime_now"] = Value::make_function("strftime_now", strftime_now);
  for (const char* name : {"lipsum", "cycler", "joiner"}) globals[name] = unsupported(name);
  return globals;
}

}  // namespace aha::jinja
