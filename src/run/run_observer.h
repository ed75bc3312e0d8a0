// RunObserver: what the run does with the trainer's step events. The watchdog times
// every phase; the optional timeline records phases, bucket reductions and rank-0 duties.
#pragma once

#include <memory>
#include <string>

#include "resilience/watchdog.h"
#include "monitoring/chrome_trace.h"
#include "train/gan_trainer.h"

namespace gan::run {

class RunObserver final : public train::StepObserver {
 public:
  // timeline_path empty: no timeline. Steps after the first `timeline_steps` ones (counted from
  // `first_step`) are not traced; 0 traces all.
  RunObserver(resilience::Watchdog& watchdog, const std::string& timeline_path, int rank, int world_size, int64_t timeline_steps);
  // Creates the timeline file: once the run has passed its start-up checks (networks built), so
  // a run refused at start writes nothing.
  void openTimeline();

  void setStep(int64_t step);
  void phaseBegins(const char* phase) override;
  void phaseEnds(const char* phase) override;
  void bucketReduced(const parallel::BucketTiming& timing) override;

  // Runs `work` as a named phase of its own (checkpoint, sample grid, ...): timed by the
  // watchdog and drawn on the timeline.
  template <typename Work>
  void phase(const char* name, Work&& work) {
    phaseBegins(name);
    work();
    phaseEnds(name);
  }
  const std::string timelinePath() const { return trace_ ? trace_->path() : std::string(); }

 private:
  resilience::Watchdog& watchdog_;
  std::string timeline_path_;  // this rank's file; empty: no timeline
  int rank_ = 0;
  std::unique_ptr<monitoring::ChromeTrace> trace_;
  int64_t step_ = 0;
  int64_t phase_started_us_ = 0;
  int64_t timeline_steps_ = 0;
  int64_t first_step_ = -1;
  bool tracing_ = false;  // this step is traced
};

}  // namespace gan::run
