// Watchdog: a step phase (D step, G step, checkpoint) that does not finish within the timeout
// means a peer is gone or hung; the watchdog reports rank, step and phase and ends the job
// instead of letting every rank wait in a collective forever.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gan::coordinator {

class Watchdog {
 public:
  // on_timeout gets the one-line report; it is expected not to return (it aborts the job).
  Watchdog(double timeout_s, int rank, std::function<void(const std::string&)> on_timeout);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Starts timing `phase` (a string literal) of `step`; the previous phase ends.
  void enter(const char* phase, int64_t step);
  // Nothing is being timed (between steps, after training).
  void idle();

 private:
  void watch();

  const double timeout_s_;
  const int rank_;
  std::function<void(const std::string&)> on_timeout_;
  std::atomic<const char*> phase_{nullptr};
  std::atomic<int64_t> step_{0};
  std::atomic<int64_t> phase_started_ns_{0};
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gan::coordinator
