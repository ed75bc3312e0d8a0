#include "resilience/watchdog.h"

#include <chrono>
#include <cstdio>

namespace gan::resilience {
namespace {
int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Watchdog::Watchdog(double timeout_s, int rank, std::function<void(const std::string&)> on_timeout,
                   comm::CollectiveFlightRecorder* collectives)
    : timeout_s_(timeout_s), rank_(rank), on_timeout_(std::move(on_timeout)), collectives_(collectives) {
  thread_ = std::thread([this] { watch(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

void Watchdog::enter(const char* phase, int64_t step) {
  if (collectives_ != nullptr) collectives_->setContext(phase, step);
  step_.store(step);
  phase_started_ns_.store(nowNs());
  phase_.store(phase);
}

void Watchdog::idle() { phase_.store(nullptr); }

std::string Watchdog::overdue() const {
  char line[320];
  // The collective first: it is the more precise account of the same stall.
  if (collectives_ != nullptr) {
    const comm::CollectiveEntry waiting = collectives_->longestWait();
    const double waited_s = double(comm::wallClockMicros() - waiting.waited_us) * 1e-6;
    if (waiting.seq != 0 && waited_s > timeout_s_) {
      std::snprintf(line, sizeof line,
                    "watchdog: rank %d: %s #%llu (%llu bytes, %s%sstep %ld) not finished after %.0f s "
                    "(--comm.timeout_s); a peer rank is likely dead or hung",
                    rank_, waiting.kind, static_cast<unsigned long long>(waiting.seq),
                    static_cast<unsigned long long>(waiting.bytes), waiting.phase, *waiting.phase ? " of " : "",
                    long(waiting.step), waited_s);
      return line;
    }
  }
  const char* phase = phase_.load();
  if (phase == nullptr) return "";
  const double elapsed = double(nowNs() - phase_started_ns_.load()) * 1e-9;
  if (elapsed <= timeout_s_) return "";
  std::snprintf(line, sizeof line,
                "watchdog: rank %d, step %ld: %s did not finish within %.0f s (--comm.timeout_s); a peer "
                "rank is likely dead or hung",
                rank_, long(step_.load()), phase, timeout_s_);
  return line;
}

void Watchdog::watch() {
  // Checks a few times per timeout; a report arrives at most a quarter of it late.
  const auto interval = std::chrono::duration<double>(std::min(1.0, timeout_s_ / 4));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_.wait_for(lock, interval, [this] { return stopping_; })) {
    const std::string report = overdue();
    if (!report.empty()) {
      on_timeout_(report);
      return;
    }
  }
}

}  // namespace gan::resilience
