// main() of the single-process torch unit tests: the process settings gan_dist applies to itself,
// so a test measures the code as it runs in production and not a two-pool thread fight. Measured
// here: with torch's default thread count, OpenMP's and OpenBLAS's pools spin against each other
// on a busy 2-core machine and one evaluator test took 37 s instead of 4.
#include <gtest/gtest.h>

#include "process/memory_tuning.h"
#include "process/compute_threads.h"

int main(int argc, char** argv) {
  gan::process::keepFreedMemoryInProcess();
  gan::process::configureComputeThreads(1);
  // GAN_DIST_CPU=avx2 runs these tests as an AVX2-only CPU would (common/cpu_features.h).
  gan::process::holdTorchToCpu(gan::CpuSettings::fromEnvironment());
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
