#include "parallel/powersgd_reduction.h"

#include "common/error.h"

namespace gan::parallel {

PowerSgdReduction::PowerSgdReduction(const CompressionSettings& settings, const std::string& network,
                                     FlatParameters& parameters, comm::Communicator& communicator)
    : communicator_(communicator),
      reducer_(network, parameters, settings.powersgd_rank, settings.seed),
      warm_up_(communicator, comm::WireFormat::Float32),
      factor_rank_(settings.powersgd_rank),
      warmup_steps_(settings.powersgd_warmup_steps) {}

std::shared_ptr<comm::Work> PowerSgdReduction::reduceBucket(const torch::Tensor& slice, CommunicationStats& stats) {
  return warm_up_.reduceBucket(slice, stats);
}

void PowerSgdReduction::reduceWhole(const torch::Tensor& gradient, CommunicationStats& stats) {
  reducer_.averageGradients(communicator_);
  stats.bytes += reducer_.wireValues() * gradient.element_size();
  stats.collectives += (reducer_.compressedMatrices() > 0 ? 2 : 0) + (reducer_.exactValues() > 0 ? 1 : 0);
}

std::string PowerSgdReduction::describe() const {
  std::string text = "PowerSGD with error feedback (approximate, not world-size invariant); " + reducer_.describe();
  if (warmup_steps_ > 0) text += "; exact for the first " + std::to_string(warmup_steps_) + " steps";
  return text;
}

std::string PowerSgdReduction::refusesToResume(const RecordedOptions& recorded, const std::string& checkpoint) const {
  const auto mode = recorded.find("comm.compress");
  const auto rank = recorded.find("comm.powersgd_rank");
  if (mode == recorded.end() || rank == recorded.end()) return {};
  if (parseOptionValue<GradientCompression>(mode->second, "comm.compress") != GradientCompression::PowerSgd) return {};
  if (rank->second == std::to_string(factor_rank_)) return {};
  return detail::concat("--comm.powersgd_rank: ", checkpoint, " holds PowerSGD state of rank ", rank->second,
                        ", this run asks for ", factor_rank_, "; its factors and error feedback cannot change shape: "
                        "resume with --comm.powersgd_rank=", rank->second, ", or pass --output.resume=never");
}

}  // namespace gan::parallel
