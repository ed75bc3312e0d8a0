#include "run/checkpoint_writes.h"

#include "common/error.h"
#include "common/log.h"

namespace gan::run {

CheckpointWrites::CheckpointWrites(const RunDirectory& run, comm::Communicator& communicator, int64_t keep_last,
                                   const resilience::FaultPlan& faults)
    : storage_(checkpoint::probeCheckpointStorage(run, communicator)) {
  if (communicator.worldSize() > 1) log0f(storage_.describe());
  if (!storage_.writes_here) return;
  writer_ = std::make_unique<checkpoint::BackgroundCheckpointWriter>(
      run, keep_last, [faults](int64_t step) { return faults.checkpointFileHook(step); });
}

void CheckpointWrites::submit(checkpoint::CheckpointSnapshot snapshot) { writer_->submit(std::move(snapshot)); }

void CheckpointWrites::collect(bool run_ended) {
  if (!writer_) return;
  std::string newest_failure;
  for (const auto& written : writer_->takeFinished()) {
    if (!written.prune_warning.empty()) logWarning(written.prune_warning);
    if (written.ok()) {
      last_write_seconds_ = written.write_seconds;
      last_checkpoint_ = written.dir;
      newest_failure.clear();
    } else if (run_ended) {
      newest_failure = written.error;
    } else {
      logWarning(written.error + " (the next checkpoint is tried as usual)");
    }
  }
  GAN_CHECK(newest_failure.empty(), newest_failure);
}

void CheckpointWrites::waitUntilIdle() {
  if (writer_) writer_->waitUntilIdle();
}

}  // namespace gan::run
