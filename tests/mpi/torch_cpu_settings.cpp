// The multi-rank torch tests run LibTorch as gan_dist does on this CPU, or as an AVX2-only CPU
// would with GAN_DIST_CPU=avx2 (common/cpu_features.h): set before the first test.
#include <gtest/gtest.h>

#include "process/compute_threads.h"

namespace {

class TorchCpuSettings : public ::testing::Environment {
 public:
  void SetUp() override { gan::process::holdTorchToCpu(gan::CpuSettings::fromEnvironment()); }
};

const auto* const kRegistered = ::testing::AddGlobalTestEnvironment(new TorchCpuSettings);

}  // namespace
