// A per-rank timeline in Chrome's trace-event JSON (array format), for chrome://tracing and
// Perfetto. Events are streamed as they happen; the array format tolerates a missing closing
// bracket, so a crashed run still leaves a loadable file.
#pragma once

#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>

namespace gan::monitoring {

// Microseconds of the wall clock: the same time base on every rank of a machine.
int64_t wallMicros();

class ChromeTrace {
 public:
  // pid = the rank, so traces of several ranks line up when loaded together.
  ChromeTrace(const std::string& path, int rank);
  ~ChromeTrace();
  // A complete ("X") event: `name` took `duration_us` from `start_us` on lane `thread`.
  void complete(const std::string& name, const char* category, int64_t start_us, int64_t duration_us,
                const std::string& thread = "training");
  const std::string& path() const { return path_; }

 private:
  int lane(const std::string& thread);
  std::string path_;
  int rank_;
  std::ofstream out_;
  std::mutex mutex_;
  std::string lanes_[4];
  int64_t events_ = 0;
};

// PATH for world size 1; PATH's stem + ".rank<R>" + extension otherwise (timeline.json ->
// timeline.rank1.json).
std::string timelinePathForRank(const std::string& path, int rank, int world_size);

}  // namespace gan::monitoring
