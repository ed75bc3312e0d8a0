// One thread setting for all CPU compute: torch's intra-op pool (OpenMP) and OpenBLAS.
#pragma once

#include <string>

#include "common/cpu_features.h"

namespace gan::process {

struct ComputeThreadsReport {
  std::string blas_library;  // the library that provides sgemm_, resolved
  bool blas_is_openblas = false;
  std::string summary;       // one line for the log
};

// Sets torch's intra-op threads and holds OpenBLAS to the same number: OpenMP and OpenBLAS
// pools that both have threads fight for the cores and run slower than one thread
// (figures: docs/performance.md#figures-behind-the-codes-choices).
ComputeThreadsReport configureComputeThreads(int threads);

// Holds LibTorch to the kernels it would choose on the CPU `cpu` describes. With the features
// taken down to AVX2 (GAN_DIST_CPU=avx2) on a CPU that has more, LibTorch's own oneDNN path is
// turned off: LibTorch sends bf16 products to oneDNN whenever the hardware has AVX-512, a choice
// no setting hides, and an AVX2 CPU runs them in LibTorch's portable kernels instead. (fp32
// convolutions then take LibTorch's kernels too: the same results within float rounding.)
// Call before the first tensor operation.
void holdTorchToCpu(const CpuSettings& cpu);

}  // namespace gan::process
