// Process-wide allocator settings that gan_dist applies itself, so users get the fast path
// without exporting variables.
#pragma once

#include <string>

namespace gan::process {

// glibc's malloc returns large freed blocks (the ~1 MB per-step activation and gradient
// tensors) to the OS and faults them back in on the next step, which makes a step several
// times slower (figures: docs/performance.md#figures-behind-the-codes-choices). Raising the mmap and trim thresholds keeps that memory in the process.
// Call first thing in main(), before any large allocation. Returns a one-line description.
std::string keepFreedMemoryInProcess();

}  // namespace gan::process
