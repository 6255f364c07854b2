#include "aha/train/metrics_log.hpp"

#include <fstream>
#include <sstream>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"

namespace aha::train {

MetricsLog::MetricsLog(const std::string& path, int64_t resumed_step) : path_(path) {
  if (!is_file(path)) {
    write_file_atomic(path, "");
    return;
  }
  std::istringstream in(read_file(path));
  std::string kept, line;
  while (std::getline(in, line)) {
    const std::optional<Json> value = try_parse_json(line);
    // A line cut short by a kill, or one from a step the resumed run repeats, goes.
    if (!value || !value->is_object() || value->value("step", int64_t{0}) > resumed_step) continue;
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

void MetricsLog::append(const Json& line) {
  std::ofstream out(path_, std::ios::app | std::ios::binary);
  out << line.dump() << "\n";
  out.flush();
  if (!out) fail_io(path_, "cannot append");
}

}  // namespace aha::train
