// Per-rank step timing, agreed every few steps: the data behind the straggler verdict
// (monitoring/straggler_verdict.h). Every rank adds each step's wall time and the part of it
// spent waiting for collectives; every `every` steps all ranks hand their window's means to rank
// 0 in one gather of two numbers per rank, the only collective this adds (at the same completed
// step on every rank, so it never unbalances the call order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "stragglers/straggler_verdict.h"

namespace gan::stragglers {

class StragglerMonitor {
 public:
  // `every` 0: off (no timing, no collective). `rank_hosts`: every rank's node, for the verdict.
  StragglerMonitor(comm::Communicator& communicator, int64_t every, std::vector<std::string> rank_hosts,
                   std::string launch_id = "");

  bool enabled() const { return every_ > 0; }
  // Completed step `done` (counted from 1): its wall seconds and the seconds the training
  // thread waited for collectives during it.
  void addStep(int64_t done, double step_seconds, double waited_seconds);
  // Whether a window ends at step `done`: every `every` steps, the same answer on every rank
  // (they count the same steps). A window of fewer than every/2 steps (the first after a resume)
  // runs on into the next: a few steps just after start-up are warm-up, not a rank's pace.
  bool dueAt(int64_t done) const { return every_ > 0 && done % every_ == 0 && 2 * window_steps_ >= every_; }
  // A collective, on every rank when dueAt(done): every rank sends its window's figures and rank
  // 0 gets the window back (nullopt elsewhere).
  std::optional<StragglerWindow> exchange(int64_t done);
  // Seconds spent in exchanges so far (the monitoring's own cost, for the benchmark).
  double exchangeSeconds() const { return exchange_seconds_; }
  int64_t exchanges() const { return exchanges_; }

 private:
  comm::Communicator& communicator_;
  const int64_t every_;
  const std::vector<std::string> rank_hosts_;
  const std::string launch_id_;
  int64_t window_first_step_ = 0;  // first step of the window being timed
  int64_t window_steps_ = 0;
  double compute_seconds_ = 0;
  double waited_seconds_ = 0;
  double exchange_seconds_ = 0;
  int64_t exchanges_ = 0;
};

}  // namespace gan::stragglers
