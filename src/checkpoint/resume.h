// Resuming from a checkpoint, per --output.resume (auto | never | PATH).
#pragma once

#include <string>

#include "comm/communicator.h"
#include "common/config.h"
#include "common/run_directory.h"
#include "checkpoint/checkpoint.h"
#include "train/gan_trainer.h"

namespace gan::checkpoint {

struct ResumePoint {
  bool resumed = false;
  TrainingPosition position;  // valid when resumed
  std::string checkpoint;     // the directory it came from
  bool ema_restored = false;  // rank 0 only: the checkpoint held the EMA of G
};

// A collective. With --output.resume=never, rank 0 first sets aside what an earlier run left in
// the output directory (setAsidePreviousRun), so a later `auto` cannot pick it up. Rank 0 picks the checkpoint (auto: the newest good one in output.dir, falling
// back past damaged ones with a warning), verifies and loads it; the parameters, optimizer
// state and position then reach every rank by broadcast, so ranks need no shared file system.
ResumePoint resumeIfRequested(const Config& config, train::GanTrainer& trainer, comm::Communicator& communicator);

// Moves an earlier run's records (checkpoints, metrics.jsonl, samples, tb, report.html) into
// OUT/previous_runs/run_<UTC time>/ and returns that directory; empty when there was nothing.
std::string setAsidePreviousRun(const RunDirectory& run);

}  // namespace gan::checkpoint
