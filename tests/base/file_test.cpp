#include "aha/base/file.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "aha/base/error.hpp"
#include "support/temp_dir.hpp"

namespace aha {
namespace {

TEST(File, atomic_write_replaces_content_and_leaves_no_temp_file) {
  test::TempDir dir;
  const std::string path = dir.file("a.txt");
  write_file_atomic(path, "first");
  write_file_atomic(path, "second, longer");
  EXPECT_EQ(read_file(path), "second, longer");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(File, missing_file_error_names_the_path) {
  try {
    read_file("/nonexistent/aha-file");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/aha-file"), std::string::npos);
  }
}

TEST(File, mapped_file_sees_the_bytes) {
  test::TempDir dir;
  write_file_atomic(dir.file("m"), std::string("abc\0def", 7));
  MappedFile m(dir.file("m"));
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m.data()[4], 'd');
  write_file_atomic(dir.file("empty"), "");
  MappedFile e(dir.file("empty"));
  EXPECT_EQ(e.size(), 0u);
}

}  // namespace
}  // namespace aha
