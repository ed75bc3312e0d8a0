// Resuming from a checkpoint, per --output.resume (auto | never | PATH).
#pragma once

#include <string>

#include "comm/communicator.h"
#include "common/config.h"
#include "coordinator/checkpoint.h"
#include "train/gan_trainer.h"

namespace gan::coordinator {

struct ResumePoint {
  bool resumed = false;
  TrainingPosition position;  // valid when resumed
  std::string checkpoint;     // the directory it came from
  bool ema_restored = false;  // rank 0 only: the checkpoint held the EMA of G
};

// A collective. Rank 0 picks the checkpoint (auto: the newest good one in output.dir, falling
// back past damaged ones with a warning), verifies and loads it; the parameters, optimizer
// state and position then reach every rank by broadcast, so ranks need no shared file system.
ResumePoint resumeIfRequested(const Config& config, train::GanTrainer& trainer, comm::Communicator& communicator);

}  // namespace gan::coordinator
