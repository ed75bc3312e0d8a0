// gan_bench checkpoint: what a checkpoint costs training, written synchronously (the pause is the
// whole serialise + write + fsync) and in the background (the pause is the host copy), and what
// that does to Daly's interval and to the steps a failure redoes.
#pragma once

#include <torch/torch.h>

#include "comm/communicator.h"
#include "common/config.h"

namespace gan::bench {

struct CheckpointBenchmarkOptions {
  int64_t checkpoints = 5;  // of each kind; medians reported
  double mtbf_h = 24;       // the job's expected hours between failures, for Daly's interval
};

// Runs on one rank (checkpoint cost does not depend on the world size: each node writes its copy).
// Checkpoints go to a scratch directory under --output.dir, removed afterwards.
void runCheckpointBenchmark(const Config& config, const torch::Device& device, const CheckpointBenchmarkOptions& options);

}  // namespace gan::bench
