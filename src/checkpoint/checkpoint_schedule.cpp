#include "checkpoint/checkpoint_schedule.h"

#include <cmath>
#include <cstdio>

#include "common/elapsed.h"

namespace gan::checkpoint {

double dalyCheckpointInterval(double checkpoint_s, double mtbf_s) {
  if (checkpoint_s >= 2 * mtbf_s) return mtbf_s;
  const double ratio = checkpoint_s / (2 * mtbf_s);
  return std::sqrt(2 * checkpoint_s * mtbf_s) * (1 + std::sqrt(ratio) / 3 + ratio / 9) - checkpoint_s;
}

bool CheckpointSchedule::dueByStep(int64_t done, int64_t last) const {
  if (done == last && (every_steps_ > 0 || timeRule())) return true;
  return every_steps_ > 0 && done % every_steps_ == 0;
}

bool CheckpointSchedule::dueByTime(double seconds_since_checkpoint) const {
  if (!timeRule()) return false;
  return measured_count_ == 0 || seconds_since_checkpoint >= intervalSeconds();
}

bool CheckpointSchedule::timeRuleAsks() {
  if (!timeRule() || time_checkpoint_asked_) return false;
  const double since = secondsSince(checkpoint_ended_);
  if (!dueByTime(since)) return false;
  time_checkpoint_asked_ = true;
  return true;
}

void CheckpointSchedule::checkpointingAt(int64_t done) {
  last_checkpoint_step_ = done;
  time_checkpoint_asked_ = false;
}

void CheckpointSchedule::recordCheckpoint(double seconds) {
  measured_total_s_ += seconds;
  ++measured_count_;
  last_checkpoint_s_ = seconds;
  restartClock();
}

double CheckpointSchedule::intervalSeconds() const {
  if (!timeRule() || measured_count_ == 0) return 0;
  return dalyCheckpointInterval(measured_total_s_ / double(measured_count_), mtbf_s_);
}

std::string CheckpointSchedule::describe() const {
  char line[256];
  std::snprintf(line, sizeof line,
                "checkpoint interval %.1f s of training (Daly's optimum for a %.3f s checkpoint and a job MTBF of "
                "%g h; a failure loses about half of it plus the restart)",
                intervalSeconds(), measured_count_ ? measured_total_s_ / double(measured_count_) : 0.0,
                mtbf_s_ / 3600);
  return line;
}

}  // namespace gan::checkpoint
