#include "aha/train/output_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "aha/base/error.hpp"

namespace aha::train {
namespace fs = std::filesystem;
namespace {

// What output_dir holds, by the entries' names.
struct Contents {
  std::vector<std::string> checkpoints;  // checkpoint-<step> (or set aside for a replacement)
  std::vector<std::string> run_files;    // what a run writes before its first checkpoint
  std::vector<std::string> others;       // anything else: a model, a user's files
};

bool is_bookkeeping(const std::string& name) {
  return name == kRunLockName || name == ".aha-ranks-share-this-directory" || is_temporary_file_name(name) ||
         is_partial_checkpoint_entry(name);
}

Contents contents_of(const std::string& output_dir) {
  Contents c;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (is_bookkeeping(name)) continue;
    if (is_checkpoint_entry(name) && entry.is_directory(ec)) c.checkpoints.push_back(name);
    else if (name == "config.yaml" || name == "metrics.jsonl" || name == "completions.jsonl")
      c.run_files.push_back(name);
    else c.others.push_back(name);
  }
  if (ec) fail_io(output_dir, "cannot list the directory");
  for (auto* names : {&c.checkpoints, &c.run_files, &c.others}) std::sort(names->begin(), names->end());
  return c;
}

// Up to three names, for an error line.
std::string some_of(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 3; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 3) out += fmt::format(" and {} more", names.size() - 3);
  return out;
}

[[noreturn]] void fail_locked(const std::string& output_dir, const FileLock& refused) {
  fail("output_dir {}: another aha run{} is using it (it holds {}); wait for it to end or choose another output_dir",
       output_dir, refused.holder().empty() ? "" : " (" + refused.holder() + ")", kRunLockName);
}

void remove_temporary_files(const std::string& output_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec))
    if (is_temporary_file_name(entry.path().filename().string()) && entry.is_regular_file(ec))
      fs::remove(entry.path(), ec);
}

}  // namespace

FileLock claim_output_dir(const std::string& output_dir, ResumeMode mode, bool overwrite,
                          const std::function<void(const std::string&)>& notice) {
  const std::string lock_path = (fs::path(output_dir) / kRunLockName).string();
  // A directory another run holds is refused before its contents are judged.
  const bool was_run = is_file(lock_path);
  FileLock lock = FileLock::try_lock(lock_path, false);
  if (was_run && !lock.locked()) fail_locked(output_dir, lock);
  Contents c;
  if (is_directory(output_dir)) c = contents_of(output_dir);
  else if (fs::exists(output_dir)) fail("output_dir {}: exists and is not a directory", output_dir);
  if (!was_run) c.others.insert(c.others.begin(), c.run_files.begin(), c.run_files.end());
  if (c.checkpoints.empty() && !c.others.empty() && !overwrite)
    fail(
        "output_dir {} holds files ({}) but no checkpoint to resume: training would replace them; pass --overwrite "
        "(or set overwrite_output_dir: true) to train there anyway, or choose another output_dir",
        output_dir, some_of(c.others));
  if (!c.checkpoints.empty() && mode == ResumeMode::none && !overwrite)
    fail(
        "output_dir {} already holds {}: pass --resume to continue that run, --overwrite (or set overwrite_output_dir: "
        "true) to start afresh and delete its checkpoints, or choose another output_dir",
        output_dir, c.checkpoints.back());

  fs::create_directories(output_dir);
  if (!lock.locked()) {
    lock = FileLock::try_lock(lock_path, true);
    if (!lock.locked()) fail_locked(output_dir, lock);
  }
  lock.record_holder(lock_path);
  recover_checkpoints(output_dir);
  remove_temporary_files(output_dir);
  if (overwrite && mode == ResumeMode::none && !c.checkpoints.empty()) {
    remove_checkpoints(output_dir);
    if (notice) notice(fmt::format("overwrite: deleted the checkpoints of the earlier run in {}", output_dir));
  } else if (c.checkpoints.empty() && !c.others.empty() && notice) {
    notice(fmt::format("overwrite: training into {}, whose files ({}) the run may replace", output_dir,
                       some_of(c.others)));
  } else if (c.checkpoints.empty() && !c.run_files.empty() && mode == ResumeMode::none && notice) {
    notice(fmt::format("{} holds a run stopped before its first checkpoint: starting it again", output_dir));
  }
  return lock;
}

}  // namespace aha::train
