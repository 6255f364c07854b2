#include "aha/model/compute_dtype.hpp"

#include "aha/base/error.hpp"

namespace aha::model {

DTypeChoice parse_dtype_choice(std::string_view text, std::string_view where) {
  if (text == "auto") return DTypeChoice::automatic;
  if (text == "float32" || text == "fp32") return DTypeChoice::float32;
  if (text == "bfloat16" || text == "bf16") return DTypeChoice::bfloat16;
  if (text == "q8_0") return DTypeChoice::q8_0;
  fail("{}: dtype '{}' is not one of auto, float32, bfloat16, q8_0", where, text);
}

std::string_view dtype_name(ComputeDType dtype) {
  switch (dtype) {
    case ComputeDType::float32: return "float32";
    case ComputeDType::bfloat16: return "bfloat16";
    case ComputeDType::q8_0: return "q8_0";
  }
  return "float32";
}

}  // namespace aha::model
