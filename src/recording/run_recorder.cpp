#include "recording/run_recorder.h"

#include <cstdio>
#include <filesystem>

#include "common/log.h"

namespace gan::recording {

std::string formatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ldh%02ldm", long(s / 3600), long(s % 3600 / 60));
  } else {
    std::snprintf(text, sizeof text, "%ldm%02lds", long(s / 60), long(s % 60));
  }
  return text;
}

namespace {
// The metrics log's path, once the run directory (with its samples folder) exists.
std::string preparedMetricsPath(const RunDirectory& run) {
  std::filesystem::create_directories(run.samples());
  return run.metrics().string();
}
}  // namespace

RunRecorder::RunRecorder(const RunDirectory& run, int64_t first_step, int64_t last_step, bool tensorboard)
    : run_(run), last_step_(last_step), first_step_(first_step), metrics_(preparedMetricsPath(run), first_step) {
  if (tensorboard) tensorboard_ = std::make_unique<monitoring::TensorBoardWriter>(run_.tensorboard().string());
}

void RunRecorder::recordStep(monitoring::StepMetrics m, const WindowCommunication& communication,
                             int64_t global_batch) {
  const auto now = std::chrono::steady_clock::now();
  const double window_s = std::chrono::duration<double>(now - window_start_).count();
  const double per_step_ms = 1e3 / double(window_steps_);
  m.samples_per_s = double(window_steps_ * global_batch) / window_s;
  m.step_ms = window_s * per_step_ms;
  m.collectives_ms = communication.collective_seconds * per_step_ms;
  m.waiting_for_collectives_ms = communication.waiting_seconds * per_step_ms;
  const double eta_s = window_s / double(window_steps_) * double(last_step_ - m.step);
  window_start_ = now;
  window_steps_ = 0;

  char line[256];
  std::snprintf(line, sizeof line,
                "step %ld/%ld  loss_d %.4f  loss_g %.4f  D(x) %.3f  D(G(z)) %.3f  %.0f samples/s  ETA %s", long(m.step),
                long(last_step_), m.loss_d, m.loss_g, m.d_real, m.d_fake, m.samples_per_s, formatDuration(eta_s).c_str());
  std::string text = line;
  if (m.ada_p) {
    std::snprintf(line, sizeof line, "  ada p %.3f (r_t %.3f)", *m.ada_p, m.ada_rt.value_or(0.0));
    text += line;
  }
  if (m.mode_seeking_ratio) {
    std::snprintf(line, sizeof line, "  mode-seeking ratio %.3f", *m.mode_seeking_ratio);
    text += line;
  }
  log0(text);
  auto record = monitoring::metricsLine(m);
  if (!straggler_summary_.is_null()) record.update(straggler_summary_);
  straggler_summary_ = nullptr;
  metrics_.append(record);
  if (!tensorboard_) return;
  for (const auto& [tag, value] : monitoring::tensorboardScalars(m)) tensorboard_->addScalar(tag, m.step, value);
  tensorboard_->flush();
}

void RunRecorder::recordStragglers(const stragglers::StragglerWindow& window,
                                   const stragglers::StragglerVerdict& verdict, double threshold) {
  if (!stragglers_) stragglers_ = std::make_unique<MetricsLog>(run_.stragglers().string(), first_step_);
  stragglers_->append(stragglers::stragglerLine(window, verdict, threshold));
  straggler_summary_ = stragglers::stragglerSummary(window, verdict);
  if (!tensorboard_) return;
  for (const auto& [tag, value] : stragglers::stragglerScalars(verdict)) tensorboard_->addScalar(tag, window.last_step, value);
  tensorboard_->flush();
}

std::string RunRecorder::recordPicture(int64_t step, const render::Image8& picture) {
  const std::string path = run_.sampleGrid(step).string();
  render::writePng(path, picture);
  if (tensorboard_) {
    tensorboard_->addPng(monitoring::kSamplesTag, step, render::encodePng(picture), picture.height, picture.width,
                         picture.channels);
    tensorboard_->flush();
  }
  return path;
}

void RunRecorder::recordEvaluation(int64_t step, const NamedValues& measurements, const NamedValues& references,
                                   double seconds) {
  nlohmann::json line{{monitoring::metric_keys::kStep, step}, {monitoring::metric_keys::kEvaluationS, seconds}};
  std::string text;
  for (const auto& [name, value] : measurements) {
    line[name] = value;
    text += "  " + name + " " + std::to_string(value);
    if (tensorboard_) tensorboard_->addScalar(monitoring::evaluationTag(name), step, value);
  }
  for (const auto& [name, value] : references) line[name] = value;
  metrics_.append(line);
  if (tensorboard_) tensorboard_->flush();
  char took[32];
  std::snprintf(took, sizeof took, " (%.1f s)", seconds);
  log0f("step ", step, " evaluation", took, ":", text);
}

}  // namespace gan::recording
