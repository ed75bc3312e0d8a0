#include "monitoring/step_metrics.h"

namespace gan::monitoring {

nlohmann::json metricsLine(const StepMetrics& m) {
  using namespace metric_keys;
  nlohmann::json line{{kStep, m.step},
          {kEpoch, m.epoch},
          {kLossD, m.loss_d},
          {kLossG, m.loss_g},
          {kDReal, m.d_real},
          {kDFake, m.d_fake},
          {kSamplesPerS, m.samples_per_s},
          {kSkippedUpdates, m.skipped_updates},
          {kCheckpointS, m.checkpoint_s},
          {kCheckpointWriteS, m.checkpoint_write_s},
          {kWallTimeS, m.wall_time_s}};
  if (m.ada_p) line[kAdaP] = *m.ada_p;
  if (m.ada_rt) line[kAdaRt] = *m.ada_rt;
  if (m.mode_seeking_ratio) line[kModeSeekingRatio] = *m.mode_seeking_ratio;
  return line;
}

std::vector<std::pair<std::string, double>> tensorboardScalars(const StepMetrics& m) {
  std::vector<std::pair<std::string, double>> scalars{{"loss/d", m.loss_d},
          {"loss/g", m.loss_g},
          {"d_output/real", m.d_real},
          {"d_output/fake", m.d_fake},
          {"throughput/samples_per_s", m.samples_per_s},
          {"time/step_ms", m.step_ms},
          {"time/collectives_ms", m.collectives_ms},
          {"time/waiting_for_collectives_ms", m.waiting_for_collectives_ms},
          {"health/skipped_updates", double(m.skipped_updates)}};
  if (m.ada_p) scalars.emplace_back("ada/p", *m.ada_p);
  if (m.ada_rt) scalars.emplace_back("ada/rt", *m.ada_rt);
  if (m.mode_seeking_ratio) scalars.emplace_back("diversity/mode_seeking_ratio", *m.mode_seeking_ratio);
  return scalars;
}

std::string evaluationTag(const std::string& key) {
  const std::string prefix = metric_keys::kEvaluationPrefix;
  return key.rfind(prefix, 0) == 0 ? "eval/" + key.substr(prefix.size()) : "eval/" + key;
}

}  // namespace gan::monitoring
