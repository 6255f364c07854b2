// A run's claim on its output_dir, as the Hugging Face Trainer's overwrite_output_dir guards it:
// training refuses a directory that holds files but no checkpoint to resume, holds a lock on the
// directory for as long as it runs (a second run there stops at once), and tidies, under that
// lock, what interrupted runs left.
#pragma once

#include <functional>
#include <string>

#include "aha/base/file.hpp"
#include "aha/train/checkpoint.hpp"

namespace aha::train {

// The lock file (flock) a run holds in its output_dir; it also marks the directory as a run's.
inline constexpr const char* kRunLockName = ".aha-run.lock";

// Takes output_dir (created when missing) for a run and returns its lock, held until the run ends.
// A bad-input Error, with output_dir unchanged, when another process holds the lock, when
// output_dir holds files but no checkpoint and not `overwrite` (with or without --resume), or when
// it holds checkpoints, `mode` is ResumeMode::none and not `overwrite`. The files a run writes
// before its first checkpoint (config.yaml, metrics.jsonl, completions.jsonl) count as that run's,
// not as files in the way, where the lock file shows that a run made the directory. Under the
// lock: recover_checkpoints, temporary files deleted, and with `overwrite` and ResumeMode::none
// the earlier run's checkpoints deleted. `notice` hears what was deleted or restarted.
FileLock claim_output_dir(const std::string& output_dir, ResumeMode mode, bool overwrite,
                          const std::function<void(const std::string&)>& notice);

}  // namespace aha::train
