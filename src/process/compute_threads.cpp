#include "process/compute_threads.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <climits>
#include <cstdlib>

namespace gan::process {

ComputeThreadsReport configureComputeThreads(int threads) {
  ComputeThreadsReport report;
  at::set_num_threads(threads);

  // Which library's sgemm_ does torch call? Debian's libblas.so.3 is an alternative: OpenBLAS
  // when libopenblas0-pthread is installed, the ~4x slower reference BLAS otherwise.
  if (void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_")) {
    Dl_info info;
    if (dladdr(sgemm, &info) != 0 && info.dli_fname != nullptr) {
      char resolved[PATH_MAX];
      report.blas_library = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    }
  }
  report.blas_is_openblas = report.blas_library.find("openblas") != std::string::npos;

  using SetThreads = void (*)(int);
  if (auto set_openblas_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_openblas_threads(threads);
  }
  report.summary = "compute threads: " + std::to_string(threads) + " (torch intra-op and OpenBLAS); BLAS: " +
                   (report.blas_library.empty() ? std::string("unknown") : report.blas_library);
  return report;
}

void holdTorchToCpu(const CpuSettings& cpu) {
  if (!cpu.features.limited_by.empty()) at::globalContext().setUserEnabledMkldnn(false);
}

}  // namespace gan::process
