// Timing a config's training steps on one rank, as training runs them (inputs, the trainer's
// step, the per-step control word): what gan_bench's train and ceiling modes compare.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "comm/communicator.h"
#include "common/config.h"
#include "datasets/dataset.h"

namespace gan::bench {

struct StepsToTime {
  int64_t steps = 300;
  int64_t warmup = 30;  // untimed steps first
};

// One rank's timed steps, in seconds summed over them.
struct PhaseTimes {
  double total = 0, other = 0, compute = 0, exposed = 0, collective = 0;
  int64_t steps = 0;
  int64_t gradient_bytes = 0, gradient_collectives = 0;  // what this rank's gradients put on the wire
  bool split_d_halves = false;   // D's real and generated halves as separate passes
  int64_t overlapped_steps = 0;  // steps whose real half ran during the previous step's G reduction
  // With the per-rank step timing interleaved: the steps timed with it and without it.
  double monitored = 0, unmonitored = 0;
  int64_t monitored_steps = 0, unmonitored_steps = 0;
  double straggler_exchange = 0;  // seconds in the per-rank timing exchanges
  int64_t straggler_exchanges = 0;
  comm::CollectiveBreakdown breakdown;  // where the timed steps' collectives spent their time
  double msPerStep(double seconds) const { return 1e3 * seconds / double(steps); }
};

// Builds the config's trainer on `communicator` (a LocalCommunicator: this rank alone) and times
// `steps` steps after `warmup`. `straggler_every` > 0: the per-rank step timing runs as in
// training (a timing per step, an exchange every N steps) in every other block of N steps, so
// its cost shows against the steps between, timed under the same conditions (machine drift is
// larger than the cost).
PhaseTimes timeSteps(const Config& config, comm::Communicator& communicator, const datasets::Dataset& dataset,
                     const torch::Device& device, const StepsToTime& options, int64_t straggler_every = 0);

}  // namespace gan::bench
