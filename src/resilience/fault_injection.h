// Fault injection for the fault-tolerance tests, driven by environment variables so a test
// can break a real run without a special build (steps counted from 1, as in the logs). main()
// reads the plan and hands it to the run; nothing deeper reads the environment.
//   GAN_DIST_FAULT_NAN_AT=R:S               rank R's real batch of step S becomes NaN
//   GAN_DIST_FAULT_HANG_AT=R:S              rank R stops responding at step S
//   GAN_DIST_FAULT_KILL_IN_CHECKPOINT=S:K   SIGKILL after the K-th file of the step-S checkpoint
//   GAN_DIST_FAULT_SLOW_DATA=R:T            rank R takes T more seconds to open its data set (as a
//                                           node packing a large image folder on first use does)
//   GAN_DIST_FAULT_SLOW_STEP=R:MS           rank R burns MS more milliseconds of CPU in every step (a
//                                           straggler, for the tests of the straggler verdict)
// Unset (the normal case) they cost one check per step.
#pragma once

#include <cstdint>
#include <functional>

namespace gan::resilience {

struct FaultPlan {
  int nan_rank = -1;
  int64_t nan_step = -1;
  int hang_rank = -1;
  int64_t hang_step = -1;
  int64_t kill_checkpoint_step = -1;
  int kill_after_files = -1;
  int slow_data_rank = -1;
  int64_t slow_data_seconds = 0;
  int slow_step_rank = -1;
  int64_t slow_step_ms = 0;

  static FaultPlan fromEnvironment();
  bool nanAt(int rank, int64_t step) const { return rank == nan_rank && step == nan_step; }
  bool hangAt(int rank, int64_t step) const { return rank == hang_rank && step == hang_step; }
  // Seconds rank `rank` is to spend before opening its data set (0 for every rank normally).
  int64_t dataDelaySeconds(int rank) const { return rank == slow_data_rank ? slow_data_seconds : 0; }
  // Burns rank `rank`'s planned extra compute of a step (a busy loop, not a sleep: it is work
  // on this rank's core, as a throttled node's is). Nothing for the other ranks.
  void burnExtraCompute(int rank) const;
  // For writeCheckpoint at `step`: SIGKILL once the planned number of files is written; empty
  // when no kill is planned for that step.
  std::function<void()> checkpointFileHook(int64_t step) const;
};

}  // namespace gan::resilience
