#include "coordinator/fault_injection.h"

#include <cstdio>
#include <cstdlib>

#include "common/error.h"

namespace gan::coordinator {
namespace {
// "A:B" -> (A, B); throws naming the variable on anything else.
void readPair(const char* variable, int64_t& first, int64_t& second) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return;
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
  return plan;
}

}  // namespace gan::coordinator
