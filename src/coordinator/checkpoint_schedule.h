// When rank 0 writes a checkpoint: every N steps, and/or at the interval that balances the cost
// of checkpointing against the work a failure throws away (Daly's rule, from the measured
// checkpoint time and the job's expected time between failures).
#pragma once

#include <cstdint>
#include <string>

namespace gan::coordinator {

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

  // The measured duration of a checkpoint just written; the interval follows their mean.
  void recordCheckpoint(double seconds);

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
};

}  // namespace gan::coordinator
