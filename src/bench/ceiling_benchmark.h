// gan_bench ceiling: what a data-parallel job keeps of what the machine itself gives.
//
// Two ranks on one machine never run twice as fast as one: they share caches, memory bandwidth
// and (in a VM) the host. That loss is the machine's, and no data-parallel code can win it back;
// only what the job loses beyond it is ours. So one invocation times, on the ranks mpirun
// placed (same binding as training):
//   1. each rank alone, in turn, while the others sleep (the machine with one busy core);
//   2. every rank at once, each an independent run sharing nothing (the machine's ceiling);
//   3. the data-parallel job itself;
// and prints the ceiling (side by side / N x alone), the job's share of it (data-parallel /
// side by side), and where a data-parallel step's extra time goes against an independent one's:
// the phases of the gradient averaging, the waits for the slowest peer, the control word, the
// rest. Each is timed in rounds, alternated so machine drift falls on all; the best round counts.
#pragma once

#include <torch/torch.h>

#include <string>

#include "bench/step_timing.h"
#include "comm/communicator.h"
#include "common/config.h"

namespace gan::bench {

struct CeilingBenchmarkOptions : StepsToTime {
  int rounds = 3;
  std::string cpu;  // the CPU's description, printed with the figures that belong to it
};

void runCeilingBenchmark(const Config& config, comm::Communicator& communicator, const torch::Device& device,
                         const CeilingBenchmarkOptions& options);

}  // namespace gan::bench
