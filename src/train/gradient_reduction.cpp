#include "train/gradient_reduction.h"

#include "common/error.h"
#include "train/exact_reduction.h"
#include "train/powersgd_reducer.h"

namespace gan::train {

std::shared_ptr<comm::Work> GradientReduction::reduceBucket(const torch::Tensor&, CommunicationStats&) {
  GAN_FAIL("this gradient reduction reduces the whole gradient, not single buckets");
}

void GradientReduction::reduceWhole(const torch::Tensor&, CommunicationStats&) {
  GAN_FAIL("this gradient reduction reduces buckets as backward completes them, not the whole gradient");
}

std::unique_ptr<GradientReduction> makeGradientReduction(const CompressionSettings& settings, const std::string& network,
                                                         FlatParameters& parameters, comm::Communicator& communicator) {
  switch (settings.mode) {
    case GradientCompression::None: return std::make_unique<ExactReduction>(communicator, comm::WireFormat::Float32);
    case GradientCompression::BFloat16: return std::make_unique<ExactReduction>(communicator, comm::WireFormat::BFloat16);
    case GradientCompression::Float16: return std::make_unique<ExactReduction>(communicator, comm::WireFormat::Float16);
    case GradientCompression::PowerSgd: return std::make_unique<PowerSgdReduction>(settings, network, parameters, communicator);
  }
  GAN_FAIL("--comm.compress: no gradient reduction for '", settings.mode, "'");
}

}  // namespace gan::train
