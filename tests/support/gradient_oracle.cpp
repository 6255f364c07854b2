#include "support/gradient_oracle.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

namespace aha::test {

Json run_gradient_oracle(const std::string& script, const TempDir& dir, const Json& cases) {
  write_text(dir.file("cases.json"), Json{{"cases", cases}}.dump());
  const std::string command = fmt::format("/usr/bin/python3 {}/tests/oracle/{} --manifest {} --out {}", AHA_SOURCE_DIR,
                                          script, dir.file("cases.json"), dir.file("report.json"));
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return read_json_file(dir.file("report.json"));
}

OracleReport check_gradient_oracle(const std::string& script, const TempDir& dir, const Json& cases,
                                   double tensor_tolerance) {
  OracleReport out;
  out.report = run_gradient_oracle(script, dir, cases);
  EXPECT_EQ(out.report["cases"].size(), cases.size());
  for (const Json& c : out.report["cases"]) {
    const std::string name = c["name"];
    EXPECT_TRUE(c["missing"].empty()) << name << " lacks " << c["missing"].dump();
    EXPECT_TRUE(c["extra"].empty()) << name << " has extra " << c["extra"].dump();
    EXPECT_LT(c["loss_rel_err"].get<double>(), 1e-5) << name;
    double worst = 0.0;
    for (const auto& [tensor, error] : c["tensors"].items()) {
      EXPECT_LT(error.get<double>(), tensor_tolerance) << name << ": " << tensor;
      worst = std::max(worst, error.get<double>());
      ++out.tensors;
    }
    testing::Test::RecordProperty(
        name, fmt::format("loss {:.1e}, worst tensor {:.1e}", c["loss_rel_err"].get<double>(), worst));
  }
  return out;
}

}  // namespace aha::test
