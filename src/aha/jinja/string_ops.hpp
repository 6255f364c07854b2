// Python's str operations on UTF-8 text: strip, split, replace, find, case changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aha::jinja {

enum class Side { both, left, right };

// str.strip / lstrip / rstrip: removes whitespace, or the code points in `chars` when given.
std::string py_strip(std::string_view text, Side side, const std::string* chars);

// str.split(sep, maxsplit), or str.rsplit when `from_right`; without `sep`, splits on runs of
// whitespace. An empty `sep` is an error.
std::vector<std::string> py_split(std::string_view text, const std::string* sep, int64_t maxsplit, bool from_right);

// str.replace(old, new, count); a negative count replaces every occurrence.
std::string py_replace(std::string_view text, std::string_view old, std::string_view replacement, int64_t count);

// str.find / str.rfind with optional start and end, all in code points; -1 when absent.
int64_t py_find(std::string_view text, std::string_view sub, std::optional<int64_t> start, std::optional<int64_t> end,
                bool from_right);

// str.count(sub): non-overlapping occurrences.
int64_t py_count(std::string_view text, std::string_view sub);

// str.lower(), str.upper(), str.title(), str.capitalize(). Full Unicode case mapping is not
// implemented: text with letters outside ASCII that may have case is an error naming `method`.
std::string py_lower(std::string_view text, const char* method = "lower");
// See py_lower.
std::string py_upper(std::string_view text, const char* method = "upper");
// See py_lower.
std::string py_title(std::string_view text);
// See py_lower.
std::string py_capitalize(std::string_view text);

// Python's slice.indices(length): clamps start and stop, fills in defaults; step 0 is an error.
struct SliceRange {
  int64_t start, stop, step;
};
SliceRange slice_indices(std::optional<int64_t> start, std::optional<int64_t> stop, std::optional<int64_t> step,
                         int64_t length);

// The positions a slice visits, in order.
std::vector<int64_t> slice_positions(const SliceRange& range);

}  // namespace aha::jinja
