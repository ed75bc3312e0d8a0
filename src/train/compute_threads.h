// One thread setting for all CPU compute: torch's intra-op pool (OpenMP) and OpenBLAS.
#pragma once

#include <string>

namespace gan::train {

struct ComputeThreadsReport {
  std::string blas_library;  // the library that provides sgemm_, resolved
  bool blas_is_openblas = false;
  std::string summary;       // one line for the log
};

// Sets torch's intra-op threads and holds OpenBLAS to the same number: measured here, OpenMP
// and OpenBLAS pools of 2 threads each fight and run 3x slower than 1 thread.
ComputeThreadsReport configureComputeThreads(int threads);

}  // namespace gan::train
