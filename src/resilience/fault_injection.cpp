#include "resilience/fault_injection.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <cstdlib>

#include "common/environment.h"
#include "common/error.h"

namespace gan::resilience {
namespace {
// "A:B" -> (A, B); throws naming the variable on anything else.
void readPair(const char* variable, int64_t& first, int64_t& second) {
  const auto text = environmentValue(variable);
  if (!text) return;
  const char* value = text->c_str();
  long long a = 0, b = 0;
  char tail = 0;
  GAN_CHECK(std::sscanf(value, "%lld:%lld%c", &a, &b, &tail) == 2, variable, " must look like A:B, got '", value, "'");
  first = a;
  second = b;
}
}  // namespace

FaultPlan FaultPlan::fromEnvironment() {
  FaultPlan plan;
  int64_t a = -1, b = -1;
  readPair("GAN_DIST_FAULT_NAN_AT", a, b);
  plan.nan_rank = int(a), plan.nan_step = b;
  a = b = -1;
  readPair("GAN_DIST_FAULT_HANG_AT", a, b);
  plan.hang_rank = int(a), plan.hang_step = b;
  a = b = -1;
  readPair("GAN_DIST_FAULT_KILL_IN_CHECKPOINT", a, b);
  plan.kill_checkpoint_step = a, plan.kill_after_files = int(b);
  a = b = -1;
  readPair("GAN_DIST_FAULT_SLOW_DATA", a, b);
  plan.slow_data_rank = int(a), plan.slow_data_seconds = std::max<int64_t>(b, 0);
  a = b = -1;
  readPair("GAN_DIST_FAULT_SLOW_STEP", a, b);
  plan.slow_step_rank = int(a), plan.slow_step_ms = std::max<int64_t>(b, 0);
  return plan;
}

void FaultPlan::burnExtraCompute(int rank) const {
  if (rank != slow_step_rank || slow_step_ms <= 0) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(slow_step_ms);
  volatile uint64_t spin = 0;
  while (std::chrono::steady_clock::now() < until) spin = spin + 1;
}

std::function<void()> FaultPlan::checkpointFileHook(int64_t step) const {
  if (step != kill_checkpoint_step || kill_after_files < 0) return {};
  auto files_written = std::make_shared<int>(0);
  return [files_written, kill_after = kill_after_files] {
    if (++*files_written == kill_after) std::raise(SIGKILL);
  };
}

}  // namespace gan::resilience
