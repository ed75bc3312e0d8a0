#include "train/ada_controller.h"

#include <algorithm>

namespace gan::train {

void AdaController::observe(int64_t step, int64_t sign_sum, int64_t count) {
  state_.sign_sum += sign_sum;
  state_.count += count;
  if (step % settings_.interval != 0 || state_.count == 0) return;
  state_.last_rt = double(state_.sign_sum) / double(state_.count);
  const double direction = state_.last_rt > settings_.target ? 1.0 : state_.last_rt < settings_.target ? -1.0 : 0.0;
  state_.p = std::clamp(state_.p + direction * settings_.stepSize(), 0.0, 1.0);
  state_.sign_sum = 0;
  state_.count = 0;
}

}  // namespace gan::train
