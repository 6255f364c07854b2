#include "aha/dist/job_checks.hpp"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "aha/base/sha256.hpp"
#include "aha/dist/world.hpp"

namespace aha::dist {
namespace {

std::vector<std::byte> bytes_of(const std::string& s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

std::string string_of(const std::vector<std::byte>& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Every rank's `mine`, in rank order.
std::vector<std::string> gather_strings(Communicator& comm, const std::string& mine) {
  std::vector<std::string> out;
  for (const auto& b : comm.all_gather(bytes_of(mine))) out.push_back(string_of(b));
  return out;
}

// The first rank whose entry differs from rank 0's, or -1.
int first_different(const std::vector<std::string>& all) {
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0]) return static_cast<int>(r);
  return -1;
}

// Rank 0 writes a token no other run could have written into `dir`; every rank reads it back.
void check_shared_dir(Communicator& comm, const std::string& dir) {
  const std::string marker = dir + "/.aha-ranks-share-this-directory";
  std::string token;
  if (comm.rank() == 0) {
    std::filesystem::create_directories(dir);
    token = sha256_hex(std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ":" +
                       std::to_string(getpid()) + ":" + node_name());
    write_file_atomic(marker, token);
  }
  token = gather_strings(comm, token)[0];
  std::error_code ec;
  const bool sees = is_file(marker) && read_file(marker) == token;
  const std::vector<std::string> seen = gather_strings(comm, sees ? "yes" : "no");
  if (comm.rank() == 0) std::filesystem::remove(marker, ec);
  for (size_t r = 0; r < seen.size(); ++r)
    if (seen[r] != "yes")
      fail(
          "output_dir {}: rank {} does not see the files rank 0 writes there; every rank needs the same output "
          "directory (a shared file system when ranks run on several machines)",
          dir, r);
}

}  // namespace

void check_ranks_agree(Communicator& comm, const std::string& config_text, const std::string& output_dir) {
  if (comm.size() == 1) return;
  const std::vector<std::string> programs = gather_strings(comm, sha256_hex(read_file("/proc/self/exe")));
  if (const int r = first_different(programs); r >= 0)
    fail("rank {} runs another aha executable than rank 0: every rank needs the same build", r);
  if (const int r = first_different(gather_strings(comm, sha256_hex(config_text))); r >= 0)
    fail("rank {} was given another config than rank 0 (its file or --set differ): every rank needs the same one", r);
  check_shared_dir(comm, output_dir);
}

std::vector<std::string> node_names(Communicator& comm) { return gather_strings(comm, node_name()); }

}  // namespace aha::dist
