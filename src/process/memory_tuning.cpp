#include "process/memory_tuning.h"

#include <malloc.h>

namespace gan::process {

std::string keepFreedMemoryInProcess() {
  // 32 MiB is glibc's ceiling for M_MMAP_THRESHOLD on 64-bit; blocks below it come from the
  // heap and, with the trim threshold raised, stay mapped between steps.
  constexpr int kMmapThreshold = 32 * 1024 * 1024;
  constexpr int kTrimThreshold = 1024 * 1024 * 1024;
  constexpr int kTopPad = 64 * 1024 * 1024;
  const bool ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 &&
                  mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1 &&
                  mallopt(M_TOP_PAD, kTopPad) == 1;
  return ok ? "malloc: mmap threshold 32 MiB, trim threshold 1 GiB (freed tensors stay mapped)"
            : "malloc: could not raise mmap/trim thresholds; steps may be slower";
}

}  // namespace gan::process
