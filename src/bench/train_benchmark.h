// gan_bench train: where a training step's time goes, and how it compares to its matrix products.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "bench/step_timing.h"
#include "comm/communicator.h"
#include "common/config.h"

namespace gan::bench {

struct TrainBenchmarkOptions : StepsToTime {
  // --against FILE.ini: another config timed beside this one (for comparisons at equal wall clock).
  std::optional<Config> against;
  std::string against_name;
};

// Runs the config's step on every rank twice: once with no communication (each rank alone,
// all ranks computing at the same time) and once data-parallel, and prints ms/step split into
// compute, exposed communication and other, samples/s, weak-scaling efficiency and, for the
// MLP, the ratio to the time of the step's matrix products alone; with `against`, both configs'
// steps/s and the step count of the other that this config's --train.max_steps buys in wall clock
// (scripted networks without it: the built-in MLP's samples/s beside theirs).
void runTrainBenchmark(const Config& config, comm::Communicator& communicator, const torch::Device& device,
                       const TrainBenchmarkOptions& options);

// Seconds of one step's matrix products for the MLP GAN of `config` (measured by running the
// same GEMMs, same shapes and transposes, as forward and backward), and their FLOP count;
// `split_d_halves`: D passes real and generated rows separately (--comm.overlap_next_step).
struct GemmBaseline {
  double seconds = 0;
  double flops = 0;
};
GemmBaseline measureMlpStepGemms(const Config& config, int64_t sample_dim, int repetitions, bool split_d_halves);

}  // namespace gan::bench
