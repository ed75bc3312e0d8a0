// Seconds of wall time since a moment on the steady clock: how the training loop, the benchmarks
// and the checkpoint writer time what they report.
#pragma once

#include <chrono>

namespace gan {

inline double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace gan
