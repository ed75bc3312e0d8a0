// RunRecorder: rank 0's record of a run as it trains: the console line, metrics.jsonl,
// TensorBoard scalars and images, the progress pictures and the evaluation results. The
// training loop hands it finished values; where each goes and how it is spelled is decided here
// (metric names in monitoring/step_metrics.h, paths in common/run_directory.h).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/run_directory.h"
#include "coordinator/metrics_log.h"
#include "monitoring/step_metrics.h"
#include "monitoring/tensorboard_writer.h"
#include "outputs/png_writer.h"

namespace gan::coordinator {

class RunRecorder {
 public:
  using NamedValues = std::vector<std::pair<std::string, double>>;

  // Continues the run's records from `first_step` (metric lines past it are dropped, so a
  // resumed run never repeats a step); `last_step` is the run's goal, for the ETA.
  RunRecorder(const RunDirectory& run, int64_t first_step, int64_t last_step, bool tensorboard);

  // The console line, the metrics.jsonl line and the TensorBoard scalars of one logged step.
  void recordStep(const monitoring::StepMetrics& metrics, double eta_s);
  // Writes the progress picture of `step` (PNG and TensorBoard); returns the PNG's path.
  std::string recordPicture(int64_t step, const outputs::Image8& picture);
  // One evaluation: its measurements (console, metrics.jsonl, TensorBoard) and the references
  // that do not change over the run (metrics.jsonl, so the report can show them).
  // `seconds`: what the evaluation took (the training it interrupted waited that long).
  void recordEvaluation(int64_t step, const NamedValues& measurements, const NamedValues& references, double seconds);

  // The TensorBoard event file, or empty without TensorBoard.
  std::string tensorboardPath() const { return tensorboard_ ? tensorboard_->path() : std::string(); }

 private:
  RunDirectory run_;
  int64_t last_step_;
  MetricsLog metrics_;
  std::unique_ptr<monitoring::TensorBoardWriter> tensorboard_;
};

// "1h05m" or "4m07s".
std::string formatDuration(double seconds);

}  // namespace gan::coordinator
