#include "run/run_observer.h"

namespace gan::run {

RunObserver::RunObserver(resilience::Watchdog& watchdog, const std::string& timeline_path, int rank, int world_size,
                         int64_t timeline_steps)
    : watchdog_(watchdog),
      timeline_path_(timeline_path.empty() ? "" : monitoring::timelinePathForRank(timeline_path, rank, world_size)),
      rank_(rank),
      timeline_steps_(timeline_steps) {}

void RunObserver::openTimeline() {
  if (timeline_path_.empty() || trace_) return;
  trace_ = std::make_unique<monitoring::ChromeTrace>(timeline_path_, rank_);
  tracing_ = true;
}

void RunObserver::setStep(int64_t step) {
  step_ = step;
  if (first_step_ < 0) first_step_ = step;
  tracing_ = trace_ && (timeline_steps_ == 0 || step - first_step_ < timeline_steps_);
}

void RunObserver::phaseBegins(const char* phase) {
  watchdog_.enter(phase, step_);
  phase_started_us_ = monitoring::wallMicros();
}

void RunObserver::phaseEnds(const char* phase) {
  watchdog_.idle();
  if (tracing_) {
    trace_->complete(std::string(phase) + " " + std::to_string(step_), "step", phase_started_us_,
                     monitoring::wallMicros() - phase_started_us_);
  }
}

void RunObserver::bucketReduced(const parallel::BucketTiming& timing) {
  if (!tracing_ || timing.started_at_us == 0) return;
  trace_->complete("allreduce " + timing.network + " bucket " + std::to_string(timing.bucket) + " (" +
                       std::to_string(timing.bytes >> 10) + " KiB)",
                   "communication", timing.started_at_us, static_cast<int64_t>(timing.seconds * 1e6),
                   "collectives");  // the communication thread's, or the training thread's on one core
}

}  // namespace gan::run
