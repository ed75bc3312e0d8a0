// A flight recorder of this rank's recent collectives: sequence number, what, how many bytes, in
// which phase of which step, and when it was issued, waited for and finished. Every rank issues
// the same collectives in the same order, so sequence number N is the same collective everywhere:
// when a job hangs, the ranks' records side by side show who never arrived at which collective.
// Thread-safe; a few mutex operations per collective.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace gan::comm {

struct CollectiveEntry {
  uint64_t seq = 0;             // 1, 2, ... in issue order; 0: no entry
  const char* kind = "";        // "allreduce", "broadcast", "barrier" (string literals)
  uint64_t bytes = 0;
  const char* phase = "";       // the run's phase when it was issued (a literal; "" outside phases)
  int64_t step = 0;             // the run's step then
  int64_t issued_us = 0;        // wall clock, microseconds since the epoch
  int64_t waited_us = 0;        // when the caller began to wait for it (0: not yet)
  int64_t finished_us = 0;      // when the wait returned (0: not finished)
};

int64_t wallClockMicros();

class CollectiveFlightRecorder {
 public:
  explicit CollectiveFlightRecorder(size_t capacity = 64);

  // The phase and step later collectives belong to (the watchdog sets it on every phase).
  void setContext(const char* phase, int64_t step);
  uint64_t issue(const char* kind, uint64_t bytes);
  void waitBegins(uint64_t seq);
  void finish(uint64_t seq);

  // The kept entries, oldest first.
  std::vector<CollectiveEntry> recent() const;
  // The unfinished collective the caller has waited on longest (seq 0 when it waits on none).
  CollectiveEntry longestWait() const;
  uint64_t lastIssued() const;

 private:
  CollectiveEntry* findLocked(uint64_t seq);

  mutable std::mutex mutex_;
  std::vector<CollectiveEntry> ring_;
  uint64_t next_seq_ = 1;
  const char* phase_ = "";
  int64_t step_ = 0;
};

}  // namespace gan::comm
