// A run's checkpoint copies on this rank: where copies are kept (probed once at start-up), this
// rank's background writer when it keeps one, and what became of each write.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_storage.h"
#include "checkpoint/checkpoint_writer.h"
#include "comm/communicator.h"
#include "common/run_directory.h"
#include "resilience/fault_injection.h"

namespace gan::run {

class CheckpointWrites {
 public:
  // Probes which ranks keep a copy (a collective) and starts this rank's writer when it does.
  CheckpointWrites(const RunDirectory& run, comm::Communicator& communicator, int64_t keep_last,
                   const resilience::FaultPlan& faults);

  const checkpoint::CheckpointStorage& storage() const { return storage_; }
  bool writesHere() const { return writer_ != nullptr; }
  // Hands a snapshot to the writer; waits first while the previous write is still running.
  void submit(checkpoint::CheckpointSnapshot snapshot);
  // What the writer finished: the newest durable checkpoint is kept (lastCheckpoint); a failure is
  // a warning while training goes on (the next checkpoint is tried as usual) and an error when it
  // is the run's last (`run_ended`: ending without it loses work).
  void collect(bool run_ended);
  // Blocks until everything submitted is durable or failed.
  void waitUntilIdle();

  const std::string& lastCheckpoint() const { return last_checkpoint_; }  // empty before one landed
  double lastWriteSeconds() const { return last_write_seconds_; }

 private:
  checkpoint::CheckpointStorage storage_;
  std::string last_checkpoint_;
  double last_write_seconds_ = 0;
  // Last member: destroyed first, it waits for a write in flight while the rest still exists.
  std::unique_ptr<checkpoint::BackgroundCheckpointWriter> writer_;
};

}  // namespace gan::run
