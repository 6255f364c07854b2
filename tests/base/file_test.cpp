#include "aha/base/file.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

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

TEST(File, temporary_files_are_created_exclusively_and_never_clobber_an_existing_file) {
  test::TempDir dir;
  const std::string target = dir.file("model.safetensors");
  TemporaryFile first = create_temporary_file(target);
  ASSERT_GE(first.fd, 0);
  ::close(first.fd);
  const std::string name = std::filesystem::path(first.path).filename().string();
  EXPECT_EQ(name.rfind(fmt::format(".model.safetensors.tmp-{}-", getpid()), 0), 0u) << name;
  EXPECT_TRUE(is_temporary_file_name(name));
  EXPECT_FALSE(is_temporary_file_name("model.safetensors"));
  EXPECT_FALSE(is_temporary_file_name(".model.safetensors.tmp-12-x"));
  // The next names this process would use are taken by files someone else wrote: the atomic write
  // skips them and leaves their bytes alone.
  const uint64_t n = std::stoull(name.substr(name.rfind('-') + 1));
  std::vector<std::string> planted;
  for (uint64_t k = n + 1; k <= n + 3; ++k) {
    planted.push_back(dir.file(fmt::format(".model.safetensors.tmp-{}-{}", getpid(), k)));
    test::write_text(planted.back(), "someone else's");
  }
  write_file_atomic(target, "weights");
  EXPECT_EQ(read_file(target), "weights");
  for (const std::string& path : planted) EXPECT_EQ(read_file(path), "someone else's") << path;
  std::filesystem::remove(first.path);
}

TEST(File, files_written_atomically_honour_the_umask) {
  test::TempDir dir;
  const mode_t before = ::umask(027);
  write_file_atomic(dir.file("a"), "x");
  ::umask(before);
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(File, a_second_lock_on_a_held_lock_file_is_refused_and_says_who_holds_it) {
  test::TempDir dir;
  const std::string path = dir.file(".lock");
  EXPECT_FALSE(FileLock::try_lock(path, false).locked());  // no file, nothing created
  EXPECT_FALSE(std::filesystem::exists(path));
  FileLock held = FileLock::try_lock(path, true);
  ASSERT_TRUE(held.locked());
  held.record_holder(path);
  // flock locks belong to the open file description: a second open is refused, even in-process.
  const FileLock second = FileLock::try_lock(path, true);
  EXPECT_FALSE(second.locked());
  EXPECT_EQ(second.holder(), fmt::format("pid {}", getpid()));
  held = FileLock();
  EXPECT_TRUE(FileLock::try_lock(path, false).locked());
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
