// When rank 0 writes a checkpoint: every N steps, and/or at the interval that balances the cost
// of checkpointing against the work a failure throws away (Daly's rule, from the measured
// checkpoint time and the job's expected time between failures).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gan::checkpoint {

// Daly's higher-order estimate of the optimum compute time between checkpoints (J. T. Daly,
// "A higher order estimate of the optimum checkpoint interval for restart dumps", FGCS 2006):
// for a checkpoint taking C seconds and a mean time between failures M,
//   tau = sqrt(2CM) * (1 + sqrt(C/2M)/3 + (C/2M)/9) - C   when C < 2M, else M.
// Its first term is Young's rule sqrt(2CM); the rest matters when checkpoints are slow.
double dalyCheckpointInterval(double checkpoint_s, double mtbf_s);

class CheckpointSchedule {
 public:
  // `every_steps`: a checkpoint every N steps (0: none by count). `job_mtbf_s`: the expected
  // seconds between failures of the whole job (0: no time rule).
  CheckpointSchedule(int64_t every_steps, double job_mtbf_s) : every_steps_(every_steps), mtbf_s_(job_mtbf_s) {}

  // After step `done` of a run ending at `last`: is a checkpoint due by step count (every N
  // steps, and the last step when any rule is on)? The same answer on every rank.
  bool dueByStep(int64_t done, int64_t last) const;
  // With `seconds_since_checkpoint` of training since the previous checkpoint ended (or since
  // training started): is one due by the time rule? Read on rank 0's clock only, so the answer
  // must reach the other ranks (the step agreement carries it). The first ask of a launch says
  // yes, which measures what a checkpoint costs.
  bool dueByTime(double seconds_since_checkpoint) const;

  // The time rule's request on rank 0: whether to ask, at this step boundary, for a checkpoint
  // (training since the previous checkpoint, or since restartClock(), has reached the interval).
  // Asked once: not again until a checkpoint is written.
  bool timeRuleAsks();
  // Every rank: whether a request that travelled in the step agreement (made at the boundary
  // before step `done`) asks for a checkpoint after `done`. A checkpoint written at that earlier
  // step already answered it.
  bool agreedByTime(bool requested, int64_t done) const { return requested && last_checkpoint_step_ != done - 1; }
  // Every rank, when a checkpoint of step `done` begins.
  void checkpointingAt(int64_t done);
  // Rank 0: the measured duration of the checkpoint just written; the interval follows their mean,
  // and the time rule counts training from now.
  void recordCheckpoint(double seconds);
  // Training (re)starts now: set-up and resume are not training time.
  void restartClock() { checkpoint_ended_ = std::chrono::steady_clock::now(); }
  // What the newest checkpoint took (0 before the first).
  double lastCheckpointSeconds() const { return last_checkpoint_s_; }

  bool timeRule() const { return mtbf_s_ > 0; }
  // The current interval in seconds (0 before a checkpoint was measured or without the rule).
  double intervalSeconds() const;
  // One line for the log: the interval and what it rests on.
  std::string describe() const;

 private:
  int64_t every_steps_;
  double mtbf_s_;
  double measured_total_s_ = 0;
  int64_t measured_count_ = 0;
  double last_checkpoint_s_ = 0;
  int64_t last_checkpoint_step_ = -1;
  bool time_checkpoint_asked_ = false;  // rank 0: asked, not yet written
  std::chrono::steady_clock::time_point checkpoint_ended_ = std::chrono::steady_clock::now();
};

}  // namespace gan::checkpoint
