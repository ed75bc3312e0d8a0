// Watchdog: a step phase (D step, G step, checkpoint) that does not finish within the timeout,
// or a collective waited for longer than that anywhere (inside a forward pass with synchronised
// batch norm, in evaluation, at start-up), means a peer is gone or hung; the watchdog reports
// rank, step, phase and collective and ends the job instead of letting every rank wait forever.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "comm/collective_flight_recorder.h"

namespace gan::resilience {

class Watchdog {
 public:
  // on_timeout gets the one-line report; it is expected not to return (it aborts the job).
  // collectives (may be null): the process's collective record, watched too and told the phase.
  Watchdog(double timeout_s, int rank, std::function<void(const std::string&)> on_timeout,
           comm::CollectiveFlightRecorder* collectives = nullptr);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Starts timing `phase` (a string literal) of `step`; the previous phase ends.
  void enter(const char* phase, int64_t step);
  // Nothing is being timed (between steps, after training).
  void idle();

 private:
  void watch();
  // The report when something has run past the timeout, or "".
  std::string overdue() const;

  const double timeout_s_;
  const int rank_;
  std::function<void(const std::string&)> on_timeout_;
  comm::CollectiveFlightRecorder* const collectives_;
  std::atomic<const char*> phase_{nullptr};
  std::atomic<int64_t> step_{0};
  std::atomic<int64_t> phase_started_ns_{0};
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gan::resilience
