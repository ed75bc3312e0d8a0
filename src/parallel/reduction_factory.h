// The gradient reduction of --comm.compress: one line per scheme in reduction_factory.cpp.
#pragma once

#include <memory>
#include <string>

#include "comm/communicator.h"
#include "parallel/flat_parameters.h"
#include "parallel/gradient_reduction.h"

namespace gan::parallel {

// The strategy for `settings.mode`, for the network `network` whose gradients live in `parameters`.
std::unique_ptr<GradientReduction> makeGradientReduction(const CompressionSettings& settings, const std::string& network,
                                                         FlatParameters& parameters, comm::Communicator& communicator);

}  // namespace gan::parallel
