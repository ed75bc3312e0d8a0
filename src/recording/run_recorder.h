// RunRecorder: rank 0's record of a run as it trains: the console line, metrics.jsonl,
// TensorBoard scalars and images, the progress pictures and the evaluation results. The
// training loop hands it finished values; where each goes and how it is spelled is decided here
// (metric names in monitoring/step_metrics.h, paths in common/run_directory.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/run_directory.h"
#include "recording/metrics_log.h"
#include "monitoring/step_metrics.h"
#include "stragglers/straggler_rendering.h"
#include "monitoring/tensorboard_writer.h"
#include "render/png_writer.h"

namespace gan::recording {

class RunRecorder {
 public:
  using NamedValues = std::vector<std::pair<std::string, double>>;

  // Continues the run's records from `first_step` (metric lines past it are dropped, so a
  // resumed run never repeats a step); `last_step` is the run's goal, for the ETA.
  RunRecorder(const RunDirectory& run, int64_t first_step, int64_t last_step, bool tensorboard);

  // Counts a completed training step into the throughput window (every step, logged or not).
  void countStep() { ++window_steps_; }
  // What the collectives took during the window, summed over its steps.
  struct WindowCommunication {
    double collective_seconds = 0;  // the collectives' own durations
    double waiting_seconds = 0;     // what the training thread waited for them
  };
  // The console line, the metrics.jsonl line and the TensorBoard scalars of one logged step.
  // `metrics` comes without its throughput fields (samples/s, ms per step, collectives' ms), which
  // are filled here from the steps counted since the previous logged step; the window restarts.
  void recordStep(monitoring::StepMetrics metrics, const WindowCommunication& communication, int64_t global_batch);
  // Writes the progress picture of `step` (PNG and TensorBoard); returns the PNG's path.
  std::string recordPicture(int64_t step, const render::Image8& picture);
  // One evaluation: its measurements (console, metrics.jsonl, TensorBoard) and the references
  // that do not change over the run (metrics.jsonl, so the report can show them).
  // `seconds`: what the evaluation took (the training it interrupted waited that long).
  void recordEvaluation(int64_t step, const NamedValues& measurements, const NamedValues& references, double seconds);

  // One window of per-rank step timings and its verdict: stragglers.jsonl (every rank's
  // figures), TensorBoard scalars, and its summary (median, max, slowest rank) on the next
  // metrics.jsonl line, so that every line there stays a logged step or an evaluation.
  void recordStragglers(const stragglers::StragglerWindow& window, const stragglers::StragglerVerdict& verdict,
                        double threshold);

  // The TensorBoard event file, or empty without TensorBoard.
  std::string tensorboardPath() const { return tensorboard_ ? tensorboard_->path() : std::string(); }

 private:
  RunDirectory run_;
  int64_t last_step_;
  int64_t first_step_;
  MetricsLog metrics_;
  std::unique_ptr<MetricsLog> stragglers_;  // opened at the first window
  nlohmann::json straggler_summary_;         // the newest window's, until a line carries it
  std::unique_ptr<monitoring::TensorBoardWriter> tensorboard_;
  std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
  int64_t window_steps_ = 0;
};

// "1h05m" or "4m07s".
std::string formatDuration(double seconds);

}  // namespace gan::recording
