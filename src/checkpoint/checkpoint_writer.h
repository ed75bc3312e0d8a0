// The background checkpoint writer. Training pauses only to copy its state into host memory
// (takeSnapshot); a thread of this writer serialises, writes, fsyncs and renames the checkpoint
// and prunes old ones while the next steps train. The guarantees of a synchronous write stay:
//  - a crash at any moment leaves the previous `latest` loadable (writeCheckpoint's temporary
//    directory and renames);
//  - a failed write is reported (takeFinished) and the next checkpoint is tried as usual;
//  - a checkpoint due while the previous one is still being written waits for it: at most one
//    snapshot is in memory besides the one being written, and checkpoints land in step order;
//  - waitUntilIdle() (and the destructor) return once the last checkpoint is durable, so no
//    run exits before it is.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "checkpoint/checkpoint.h"
#include "common/run_directory.h"

namespace gan::checkpoint {

// What became of one checkpoint.
struct WrittenCheckpoint {
  int64_t step = 0;
  std::string dir;         // where it was written (when it succeeded)
  double write_seconds = 0;  // serialise, write, fsync, rename, prune
  std::string error;       // empty when it succeeded
  // Removing older checkpoints failed (a reader holding one on NFS, a permission): this one is
  // still durable and `latest`, so it is a warning, not a failed write.
  std::string prune_warning;
  bool ok() const { return error.empty(); }
};

class BackgroundCheckpointWriter {
 public:
  // `hook_for_step(step)` may return a function called after each file of that step's checkpoint
  // (fault injection). `keep_last`: pruning after each write (0 keeps everything).
  BackgroundCheckpointWriter(RunDirectory run, int64_t keep_last,
                             std::function<std::function<void()>(int64_t)> hook_for_step = {});
  // Waits for the checkpoint being written, then stops the thread.
  ~BackgroundCheckpointWriter();
  BackgroundCheckpointWriter(const BackgroundCheckpointWriter&) = delete;
  BackgroundCheckpointWriter& operator=(const BackgroundCheckpointWriter&) = delete;

  // Hands a snapshot to the thread. When the previous checkpoint is still being written, waits
  // for it first (the wait is part of the caller's pause).
  void submit(CheckpointSnapshot snapshot);
  // Blocks until everything submitted is durable (or failed).
  void waitUntilIdle();
  // The checkpoints finished since the last call, oldest first.
  std::deque<WrittenCheckpoint> takeFinished();
  bool busy();

 private:
  void writerLoop();

  const RunDirectory run_;
  const int64_t keep_last_;
  const std::function<std::function<void()>(int64_t)> hook_for_step_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<CheckpointSnapshot> pending_;  // handed over, not yet taken by the thread
  bool writing_ = false;
  bool stopping_ = false;
  std::deque<WrittenCheckpoint> finished_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace gan::checkpoint
