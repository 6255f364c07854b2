#include "aha/model/compute_dtype.hpp"

#include "aha/base/error.hpp"

namespace aha::model {

DTypeChoice parse_dtype_choice(std::string_view text, std::string_view where) {
  if (text == "auto") return DTypeChoice::automatic;
  if (text == "float32" || text == "fp32") return DTypeChoice::float32;
  if (text == "bfloat16" || text == "bf16") return DTypeChoice::bfloat16;
  fail("{}: dtype '{}' is not one of auto, float32, bfloat16", where, text);
}

std::string_view dtype_name(ComputeDType dtype) { return dtype == ComputeDType::bfloat16 ? "bfloat16" : "float32"; }

}  // namespace aha::model
