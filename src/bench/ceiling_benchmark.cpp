#include "bench/ceiling_benchmark.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "comm/local_communicator.h"
#include "comm/raw_mpi.h"
#include "common/log.h"
#include "datasets/open_dataset.h"

namespace gan::bench {
namespace {

// One round's figures of every rank, reduced over the ranks.
double maxOverRanks(double value, comm::Communicator& communicator) {
  communicator.allreduce({&value, 1, comm::ScalarType::Float64, comm::MemorySpace::Host}, {comm::ReduceOp::Max});
  return value;
}

double sumOverRanks(double value, comm::Communicator& communicator) {
  communicator.allreduce({&value, 1, comm::ScalarType::Float64, comm::MemorySpace::Host}, {comm::ReduceOp::Sum});
  return value;
}

// A step's parts, ms per step, this rank (the breakdown's rows).
struct StepParts {
  double inputs = 0, compute = 0, copy_in = 0, summing = 0, copy_out = 0, waiting = 0, through_mpi = 0, hand_offs = 0,
         total = 0;
};

StepParts partsOf(const PhaseTimes& times) {
  const auto& b = times.breakdown;
  StepParts parts;
  parts.inputs = times.msPerStep(times.other);
  parts.total = times.msPerStep(times.total);
  parts.copy_in = times.msPerStep(b.copy_in);
  parts.summing = times.msPerStep(b.summing);
  parts.copy_out = times.msPerStep(b.copy_out);
  parts.waiting = times.msPerStep(b.waiting);
  parts.through_mpi = times.msPerStep(b.through_mpi);
  // The training thread's collective time that no phase above accounts for: launching from the
  // gradient hooks, the queue, the Work handles.
  const double measured = b.copy_in + b.summing + b.copy_out + b.waiting + b.through_mpi;
  parts.hand_offs = times.msPerStep(std::max(0.0, times.exposed - measured));
  parts.compute = parts.total - parts.inputs - times.msPerStep(std::max(times.exposed, measured));
  return parts;
}

// The mean over ranks of every part.
StepParts meanOverRanks(StepParts parts, comm::Communicator& communicator) {
  constexpr size_t kCount = sizeof(StepParts) / sizeof(double);
  static_assert(kCount * sizeof(double) == sizeof(StepParts), "StepParts holds doubles only");
  communicator.allreduce({&parts, kCount, comm::ScalarType::Float64, comm::MemorySpace::Host}, {comm::ReduceOp::Sum});
  auto* values = reinterpret_cast<double*>(&parts);
  for (size_t i = 0; i < kCount; ++i) values[i] /= double(communicator.worldSize());
  return parts;
}

void printRow(const char* name, double independent, double parallel, bool independent_has_it) {
  char line[160];
  if (independent_has_it) {
    std::snprintf(line, sizeof line, "  %-40s %10.3f %10.3f %+9.3f", name, independent, parallel,
                  parallel - independent);
  } else {
    std::snprintf(line, sizeof line, "  %-40s %10s %10.3f %+9.3f", name, "-", parallel, parallel);
  }
  log0(line);
}

}  // namespace

void runCeilingBenchmark(const Config& config, comm::Communicator& communicator, const torch::Device& device,
                         const CeilingBenchmarkOptions& options) {
  const int world = communicator.worldSize();
  const int rank = communicator.rank();
  const auto dataset = datasets::openDataset(config.data);
  const double batch = double(config.train.batch_size);
  log0f("# gan_bench ceiling: ", world, " rank(s), backend ", communicator.backendName(), ", batch ",
        config.train.batch_size, " per rank, ", config.train.threads, " thread(s) per rank, ", options.steps,
        " steps after ", options.warmup, " warm-up, best of ", options.rounds, " rounds; cpu: ", options.cpu);

  comm::LocalCommunicator alone;
  std::vector<double> alone_ms(world, 1e30);  // each rank's best, alone on the machine
  double side_samples = 0, side_slowest_ms = 0, parallel_ms = 1e30;  // the best round of each
  PhaseTimes side_times, parallel_times;        // this rank's, in those rounds
  for (int round = 0; round < options.rounds; ++round) {
    for (int turn = 0; turn < world; ++turn) {
      comm::barrierAsleep(communicator);
      double ms = 0;
      if (turn == rank) {
        const auto times = timeSteps(config, alone, *dataset, device, options);
        ms = times.msPerStep(times.total);
      }
      comm::barrierAsleep(communicator);
      alone_ms[turn] = std::min(alone_ms[turn], maxOverRanks(ms, communicator));
    }
    communicator.barrier();
    const auto side = timeSteps(config, alone, *dataset, device, options);
    const double samples = sumOverRanks(1e3 * batch / side.msPerStep(side.total), communicator);
    const double slowest_ms = maxOverRanks(side.msPerStep(side.total), communicator);
    if (samples > side_samples) side_samples = samples, side_slowest_ms = slowest_ms, side_times = side;

    communicator.barrier();
    const auto parallel = timeSteps(config, communicator, *dataset, device, options);
    const double ms = maxOverRanks(parallel.msPerStep(parallel.total), communicator);  // the job's pace
    if (ms < parallel_ms) parallel_ms = ms, parallel_times = parallel;
  }

  double alone_samples = 0;  // N x one rank alone: each core's own figure
  log0("#                                   ms/step  samples/s");
  char line[256];
  for (int r = 0; r < world; ++r) {
    alone_samples += 1e3 * batch / alone_ms[r];
    std::snprintf(line, sizeof line, "  rank %-3d alone (others asleep) %10.3f %10.0f", r, alone_ms[r],
                  1e3 * batch / alone_ms[r]);
    log0(line);
  }
  const double parallel_samples = 1e3 * batch * world / parallel_ms;
  std::snprintf(line, sizeof line, "  %3d independent, side by side  %10.3f %10.0f", world,
                1e3 * batch * world / side_samples, side_samples);
  log0(line);
  std::snprintf(line, sizeof line, "  %3d-rank data-parallel job     %10.3f %10.0f", world, parallel_ms,
                parallel_samples);
  log0(line);
  std::snprintf(line, sizeof line,
                "machine ceiling %.3f (side by side / %d x alone); the job's share of it %.3f (data-parallel / side "
                "by side); of %d x alone %.3f",
                side_samples / alone_samples, world, parallel_samples / side_samples, world,
                parallel_samples / alone_samples);
  log0(line);
  // A synchronous job runs at its slowest rank's pace: where the cores differ in speed, the
  // faster ones wait (the breakdown's waits) and no exact data-parallel code wins that back.
  const double slowest_samples = 1e3 * batch * world / side_slowest_ms;
  std::snprintf(line, sizeof line,
                "the slowest independent rank's pace x %d: %.0f samples/s (%.3f of side by side); the job's share "
                "of it %.3f",
                world, slowest_samples, slowest_samples / side_samples, parallel_samples / slowest_samples);
  log0(line);

  const auto independent = meanOverRanks(partsOf(side_times), communicator);
  const auto parallel = meanOverRanks(partsOf(parallel_times), communicator);
  log0("# a step, mean over ranks (ms)           independent  data-parallel  difference");
  printRow("step inputs", independent.inputs, parallel.inputs, true);
  printRow("compute (forward, backward, Adam, rest)", independent.compute, parallel.compute, true);
  printRow("gradients: copy into the shared slot", 0, parallel.copy_in, false);
  printRow("gradients: own chunk summed and scaled", 0, parallel.summing, false);
  printRow("gradients: peers' chunks copied back", 0, parallel.copy_out, false);
  printRow("waiting for the slowest peer", 0, parallel.waiting, false);
  printRow("control word and other MPI calls", 0, parallel.through_mpi, false);
  printRow("launches, queue and hooks", 0, parallel.hand_offs, false);
  printRow("whole step", independent.total, parallel.total, true);
  const auto& calls = parallel_times.breakdown;
  log0f("collectives per data-parallel step: ", double(calls.shared_memory_calls) / double(parallel_times.steps),
        " through shared memory, ", double(calls.mpi_calls) / double(parallel_times.steps), " through MPI (rank 0)");
}

}  // namespace gan::bench
