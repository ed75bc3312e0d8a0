// Resuming from a checkpoint, per --output.resume (auto | never | PATH).
#pragma once

#include <string>

#include "comm/communicator.h"
#include "common/config.h"
#include "common/run_directory.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_storage.h"
#include "train/gan_trainer.h"

namespace gan::checkpoint {

struct ResumePoint {
  bool resumed = false;
  TrainingPosition position;  // valid when resumed
  std::string checkpoint;     // the directory it came from, on the storage of source_rank
  int source_rank = 0;        // the rank that loaded it and broadcast it
  bool ema_restored = false;  // the checkpoint held the EMA of G
  // The run this job continues (the checkpoint's) or starts (drawn now): what its checkpoints
  // record, TrainingPosition::run_id. The same on every rank.
  int64_t run_id = 0;
};

// A collective. With --output.resume=never, every rank that keeps checkpoints first sets aside
// what an earlier run left in its output directory (setAsidePreviousRun), so a later `auto`
// cannot pick it up. With `auto`, the ranks agree on the newest run any of them holds a checkpoint
// of (the largest run id: a node that was away may hold an older run's checkpoints of later
// steps, which are set aside, not resumed), then on that run's newest checkpoint
// (each storage's copies, see checkpoint_storage.h): the lowest rank holding it verifies and
// loads it, falling back past damaged copies with a warning (to another node's copy of the same
// step first, then to older steps); with a path, rank 0 loads that. The parameters, optimizer
// state and position then reach every rank by broadcast, so ranks need no shared file system and
// the loss of any one node's copies costs nothing.
ResumePoint resumeIfRequested(const Config& config, train::GanTrainer& trainer, comm::Communicator& communicator,
                              const CheckpointStorage& storage);

// Moves an earlier run's records (checkpoints, metrics.jsonl, samples, tb, report.html) into
// OUT/previous_runs/run_<UTC time>/ and returns that directory; empty when there was nothing.
std::string setAsidePreviousRun(const RunDirectory& run);

}  // namespace gan::checkpoint
