#include "comm/collective_flight_recorder.h"

#include <chrono>

namespace gan::comm {

int64_t wallClockMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

CollectiveFlightRecorder::CollectiveFlightRecorder(size_t capacity) : ring_(capacity == 0 ? 1 : capacity) {}

void CollectiveFlightRecorder::setContext(const char* phase, int64_t step) {
  std::lock_guard<std::mutex> lock(mutex_);
  phase_ = phase != nullptr ? phase : "";
  step_ = step;
}

uint64_t CollectiveFlightRecorder::issue(const char* kind, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t seq = next_seq_++;
  CollectiveEntry& entry = ring_[seq % ring_.size()];
  entry = CollectiveEntry{};
  entry.seq = seq;
  entry.kind = kind;
  entry.bytes = bytes;
  entry.phase = phase_;
  entry.step = step_;
  entry.issued_us = wallClockMicros();
  return seq;
}

CollectiveEntry* CollectiveFlightRecorder::findLocked(uint64_t seq) {
  CollectiveEntry& entry = ring_[seq % ring_.size()];
  return entry.seq == seq ? &entry : nullptr;  // overwritten entries are gone
}

void CollectiveFlightRecorder::waitBegins(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto* entry = findLocked(seq); entry != nullptr && entry->waited_us == 0) entry->waited_us = wallClockMicros();
}

void CollectiveFlightRecorder::finish(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto* entry = findLocked(seq); entry != nullptr && entry->finished_us == 0) entry->finished_us = wallClockMicros();
}

std::vector<CollectiveEntry> CollectiveFlightRecorder::recent() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<CollectiveEntry> entries;
  const uint64_t last = next_seq_ - 1;
  const uint64_t first = last >= ring_.size() ? last - ring_.size() + 1 : 1;
  for (uint64_t seq = first; seq <= last; ++seq) {
    const CollectiveEntry& entry = ring_[seq % ring_.size()];
    if (entry.seq == seq) entries.push_back(entry);
  }
  return entries;
}

CollectiveEntry CollectiveFlightRecorder::longestWait() const {
  std::lock_guard<std::mutex> lock(mutex_);
  CollectiveEntry longest;
  for (const auto& entry : ring_) {
    if (entry.seq == 0 || entry.waited_us == 0 || entry.finished_us != 0) continue;
    if (longest.seq == 0 || entry.waited_us < longest.waited_us) longest = entry;
  }
  return longest;
}

uint64_t CollectiveFlightRecorder::lastIssued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_seq_ - 1;
}

}  // namespace gan::comm
