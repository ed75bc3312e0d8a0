// What the run records at each logged step, and the one place that names it: metrics.jsonl
// keys, TensorBoard tags and the fields the report reads back all come from here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gan::monitoring {

// One logged step. Losses and D outputs are global means over the step's batch; rates and
// times cover the steps since the previous logged one.
struct StepMetrics {
  int64_t step = 0;  // completed steps
  int64_t epoch = 0;
  double loss_d = 0, loss_g = 0;
  double d_real = 0, d_fake = 0;  // mean D(x), mean D(G(z))
  double samples_per_s = 0;       // all ranks together
  double step_ms = 0;
  double collectives_ms = 0;               // per step: the gradient reductions' own durations
  double waiting_for_collectives_ms = 0;  // per step: what the training thread waited for them
  int64_t skipped_updates = 0;             // so far in the run (non-finite gradients)
  double checkpoint_s = 0;        // the last checkpoint's training pause (host copy, and any wait)
  double checkpoint_write_s = 0;  // the last finished checkpoint's write, in the background
  double wall_time_s = 0;                  // since the process started training
  // Adaptive augmentation (runs with it only): the probability p this step augmented with, and
  // r_t = E[sign(D(x_real))] at p's last adjustment.
  std::optional<double> ada_p, ada_rt;
  // --train.mode_seeking runs only: the global batch's mean ratio of image to noise distance over
  // its pairs (mode_seeking.h); falling toward 0 means G is ignoring z.
  std::optional<double> mode_seeking_ratio;
};

// The keys of metrics.jsonl. Evaluation lines carry "step" and keys that start with
// kEvaluationPrefix (the evaluator's measurement and reference names).
namespace metric_keys {
inline constexpr const char* kStep = "step";
inline constexpr const char* kEpoch = "epoch";
inline constexpr const char* kLossD = "loss_d";
inline constexpr const char* kLossG = "loss_g";
inline constexpr const char* kDReal = "d_real";
inline constexpr const char* kDFake = "d_fake";
inline constexpr const char* kSamplesPerS = "samples_per_s";
inline constexpr const char* kSkippedUpdates = "skipped_updates";
inline constexpr const char* kCheckpointS = "checkpoint_s";
inline constexpr const char* kCheckpointWriteS = "checkpoint_write_s";
inline constexpr const char* kWallTimeS = "wall_time_s";
inline constexpr const char* kAdaP = "ada_p";
inline constexpr const char* kAdaRt = "ada_rt";
inline constexpr const char* kModeSeekingRatio = "mode_seeking_ratio";
inline constexpr const char* kEvaluationS = "evaluation_s";  // on evaluation lines: the seconds it took
inline constexpr const char* kEvaluationPrefix = "eval_";
// On the first training line after a straggler window ends (stragglers/straggler_verdict.h): the
// window's steps ("401-500"), the median and the largest per-rank compute in ms/step, the slowest
// rank and its node, the ranks named, and the share of each step the job waited for the slowest.
inline constexpr const char* kStragglerSteps = "straggler_steps";
inline constexpr const char* kStragglerComputeMedianMs = "straggler_compute_median_ms";
inline constexpr const char* kStragglerComputeMaxMs = "straggler_compute_max_ms";
inline constexpr const char* kStragglerSlowestRank = "straggler_slowest_rank";
inline constexpr const char* kStragglerSlowestNode = "straggler_slowest_node";
inline constexpr const char* kStragglerRanks = "straggler_ranks";
inline constexpr const char* kStragglerJobWaitFraction = "straggler_job_wait_fraction";
}  // namespace metric_keys

// The line of metrics.jsonl for `metrics`.
nlohmann::json metricsLine(const StepMetrics& metrics);
// The TensorBoard scalars for `metrics`: (tag, value).
std::vector<std::pair<std::string, double>> tensorboardScalars(const StepMetrics& metrics);
// The TensorBoard tag of an evaluation key: "eval_fd" -> "eval/fd".
std::string evaluationTag(const std::string& key);
// The tag of the progress pictures.
inline constexpr const char* kSamplesTag = "samples";

}  // namespace gan::monitoring
