// The strength of adaptive discriminator augmentation: the probability p with which each
// augmentation is applied, moved by the overfitting heuristic r_t = E[sign(D(x_real))].
//
// Every `interval` steps, r_t over those steps' global batches decides: above the target, D is
// too sure of the real images and p rises; below, it falls; by `step_size` each time, so that p
// can move from 0 to 1 in `kimg` thousand images (Karras et al. 2020, section 3). The inputs are
// integer sums over the global batch, so p is the same on every rank and at every world size.
#pragma once

#include <cstdint>

namespace gan::train {

struct AdaSettings {
  double target = 0.6;
  int64_t interval = 4;        // steps between adjustments
  double kimg = 100;           // thousands of images for p to move by 1
  int64_t global_batch = 64;   // images per step, all ranks together

  // The change of p at one adjustment.
  double stepSize() const { return double(global_batch) * double(interval) / (kimg * 1000.0); }
};

// What continues across a checkpoint.
struct AdaState {
  double p = 0;
  int64_t sign_sum = 0;  // sum of sign(D(x_real)) since the last adjustment
  int64_t count = 0;     // real images behind sign_sum
  double last_rt = 0;    // r_t of the last adjustment (0 before the first)
};

class AdaController {
 public:
  explicit AdaController(AdaSettings settings, AdaState state = {}) : settings_(settings), state_(state) {}

  // Completed step `step` (counted from 1) saw `sign_sum` over `count` real images, all ranks
  // together. After every interval-th step p moves, clamped to [0, 1].
  void observe(int64_t step, int64_t sign_sum, int64_t count);

  double p() const { return state_.p; }
  const AdaState& state() const { return state_; }
  const AdaSettings& settings() const { return settings_; }

 private:
  AdaSettings settings_;
  AdaState state_;
};

}  // namespace gan::train
