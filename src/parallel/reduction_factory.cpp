#include "parallel/reduction_factory.h"

#include "common/error.h"
#include "parallel/exact_reduction.h"
#include "parallel/powersgd_reduction.h"

namespace gan::parallel {

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

}  // namespace gan::parallel
