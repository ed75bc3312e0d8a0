#include "bench/train_benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

#include "comm/local_communicator.h"
#include "common/elapsed.h"
#include "common/log.h"
#include "datasets/open_dataset.h"

namespace gan::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Linear layer shapes: forward y = x W^T, backward dx = dy W, dW = dy^T x (as autograd does).
struct Linear {
  int64_t in, out;
};

}  // namespace

namespace {
// The per-rank step timing's own cost (--monitor.straggler_every): data-parallel steps with it
// on in every other block of N steps (20 blocks at least), and the time its exchanges took.
void reportStragglerMonitoringCost(const Config& config, comm::Communicator& communicator, const datasets::Dataset& dataset,
                                   const torch::Device& device, TrainBenchmarkOptions options) {
  const int64_t every = config.monitor.straggler_every;
  options.steps = std::max(options.steps, 20 * every);
  communicator.barrier();
  const auto times = timeSteps(config, communicator, dataset, device, options, every);
  double figures[3] = {1e3 * times.unmonitored / double(std::max<int64_t>(1, times.unmonitored_steps)),
                       1e3 * times.monitored / double(std::max<int64_t>(1, times.monitored_steps)),
                       times.straggler_exchange / std::max(times.total, 1e-12)};
  communicator.allreduce({figures, 3, comm::ScalarType::Float64, comm::MemorySpace::Host}, {comm::ReduceOp::Max});
  const double global_batch = double(config.train.batch_size * communicator.worldSize());
  char line[320];
  std::snprintf(line, sizeof line,
                "per-rank step timing (--monitor.straggler_every=%ld), in every other block of %ld of %ld steps: "
                "%.0f samples/s with it, %.0f without (with / without = %.3f); its %ld exchanges took %.3f%% of "
                "the steps' time",
                long(every), long(every), long(options.steps), 1e3 * global_batch / figures[1],
                1e3 * global_batch / figures[0], figures[0] / figures[1], long(times.straggler_exchanges),
                100.0 * figures[2]);
  log0(line);
}

// The data-parallel steps of two configs, alternated twice so drift in the machine's speed
// falls on both; the better run of each, as the slowest rank saw it (ms/step).
std::pair<double, double> alternatedMsPerStep(const Config& first, const datasets::Dataset& first_data,
                                              const Config& second, const datasets::Dataset& second_data,
                                              comm::Communicator& communicator, const torch::Device& device,
                                              const TrainBenchmarkOptions& options) {
  double best[2] = {1e30, 1e30};
  for (int round = 0; round < 2; ++round) {
    for (int which = 0; which < 2; ++which) {
      communicator.barrier();
      const auto times = which == 0 ? timeSteps(first, communicator, first_data, device, options)
                                    : timeSteps(second, communicator, second_data, device, options);
      best[which] = std::min(best[which], times.msPerStep(times.total));
    }
  }
  communicator.allreduce({best, 2, comm::ScalarType::Float64, comm::MemorySpace::Host}, {comm::ReduceOp::Max});
  return {best[0], best[1]};
}

// --model.arch=torchscript: the same data-parallel steps with the built-in MLP (--model.hidden_dim,
// as the reference networks of configs/networks/reference_mlp.py).
void reportScriptedAgainstBuiltIn(const Config& config, comm::Communicator& communicator,
                                  const datasets::Dataset& dataset, const torch::Device& device,
                                  const TrainBenchmarkOptions& options) {
  Config built_in = config;
  built_in.model.arch = ModelArch::Mlp;
  built_in.model.generator_file.clear();
  built_in.model.discriminator_file.clear();
  const auto [scripted_ms, built_in_ms] =
      alternatedMsPerStep(config, dataset, built_in, dataset, communicator, device, options);
  const double global_batch = double(config.train.batch_size * communicator.worldSize());
  char line[320];
  std::snprintf(line, sizeof line,
                "scripted networks vs the built-in mlp (hidden_dim %ld), %d rank(s): %.0f vs %.0f samples/s "
                "(scripted / built-in = %.3f)",
                long(config.model.hidden_dim), communicator.worldSize(), 1e3 * global_batch / scripted_ms,
                1e3 * global_batch / built_in_ms, built_in_ms / scripted_ms);
  log0(line);
}

// --against FILE.ini: another config's steps (its networks, batch and data) timed the same way,
// and what the wall clock of this config's --train.max_steps buys that config: the step counts
// of a comparison at equal wall clock.
void reportAgainstConfig(const Config& config, comm::Communicator& communicator, const datasets::Dataset& dataset,
                         const torch::Device& device, const TrainBenchmarkOptions& options) {
  const auto other_data = datasets::openDataset(options.against->data);
  const auto [mine_ms, other_ms] =
      alternatedMsPerStep(config, dataset, *options.against, *other_data, communicator, device, options);
  const int world = communicator.worldSize();
  const double budget_s = 1e-3 * mine_ms * double(config.train.max_steps);
  char line[400];
  std::snprintf(line, sizeof line,
                "this config vs %s, %d rank(s): %.2f vs %.2f steps/s, %.0f vs %.0f samples/s; this config's %ld "
                "steps (%.0f s at this pace) = %.0f steps of %s",
                options.against_name.c_str(), world, 1e3 / mine_ms, 1e3 / other_ms,
                1e3 * double(config.train.batch_size * world) / mine_ms,
                1e3 * double(options.against->train.batch_size * world) / other_ms, long(config.train.max_steps),
                budget_s, 1e3 * budget_s / other_ms, options.against_name.c_str());
  log0(line);
}
}  // namespace

GemmBaseline measureMlpStepGemms(const Config& config, int64_t sample_dim, int repetitions, bool split_d_halves) {
  const int64_t b = config.train.batch_size, h = config.model.hidden_dim, latent = config.model.latent_dim;
  const std::vector<Linear> g = {{latent, h}, {h, h}, {h, sample_dim}};
  const std::vector<Linear> d = {{sample_dim, h}, {h, h}, {h, 1}};
  struct Gemm {
    torch::Tensor a, b, out;
  };
  std::vector<Gemm> gemms;
  double flops = 0;
  auto forward = [&](const Linear& l, int64_t n) {
    gemms.push_back({torch::randn({n, l.in}), torch::randn({l.out, l.in}).t(), torch::empty({n, l.out})});
    flops += 2.0 * n * l.in * l.out;
  };
  auto input_grad = [&](const Linear& l, int64_t n) {
    gemms.push_back({torch::randn({n, l.out}), torch::randn({l.out, l.in}), torch::empty({n, l.in})});
    flops += 2.0 * n * l.in * l.out;
  };
  auto weight_grad = [&](const Linear& l, int64_t n) {
    gemms.push_back({torch::randn({n, l.out}).t(), torch::randn({n, l.in}), torch::empty({l.out, l.in})});
    flops += 2.0 * n * l.in * l.out;
  };
  // The products our step performs (see GanTrainer::step):
  for (const auto& l : g) forward(l, b);                      // G(z), shared by both steps
  // D on [real; fake] in one pass, or on each half in its own (--comm.overlap_next_step).
  const int passes = split_d_halves ? 2 : 1;
  const int64_t rows = split_d_halves ? b : 2 * b;
  for (int pass = 0; pass < passes; ++pass) {
    for (const auto& l : d) forward(l, rows);                 // D's forward
    for (const auto& l : d) weight_grad(l, rows);             // D's weight gradients
    input_grad(d[2], rows), input_grad(d[1], rows);           // D's inner input gradients
  }
  for (const auto& l : d) forward(l, b);                      // G step: D(G(z))
  for (const auto& l : d) input_grad(l, b);                   // through D, weights frozen
  for (const auto& l : g) weight_grad(l, b);                  // G's weight gradients
  input_grad(g[2], b), input_grad(g[1], b);                   // G's inner input gradients

  double best = 1e30;
  for (int r = 0; r < repetitions; ++r) {
    const auto began = Clock::now();
    for (auto& gemm : gemms) torch::mm_out(gemm.out, gemm.a, gemm.b);
    best = std::min(best, secondsSince(began));
  }
  return {best, flops};
}

void runTrainBenchmark(const Config& config, comm::Communicator& communicator, const torch::Device& device,
                       const TrainBenchmarkOptions& options) {
  const int world = communicator.worldSize();
  const auto dataset_owner = datasets::openDataset(config.data);
  const datasets::Dataset& dataset = *dataset_owner;
  const int64_t global_batch = config.train.batch_size * world;
  log0f("# gan_bench train: ", world, " rank(s), backend ", communicator.backendName(), ", batch ",
        config.train.batch_size, " per rank, ", config.train.threads, " thread(s) per rank, ", options.steps,
        " steps after ", options.warmup, " warm-up, bucket ", config.comm.bucket_mb, " MiB");

  // Every rank runs alone first, all at once: the 1-rank time under the same machine load.
  comm::LocalCommunicator alone;
  const auto solo = timeSteps(config, alone, dataset, device, options);
  communicator.barrier();
  const auto parallel = timeSteps(config, communicator, dataset, device, options);

  // Rank 0 reports the slowest rank's figures: the job runs at its pace.
  double figures[8] = {solo.msPerStep(solo.total),         parallel.msPerStep(parallel.total),
                       parallel.msPerStep(parallel.exposed),  parallel.msPerStep(parallel.collective),
                       parallel.msPerStep(parallel.other),    solo.msPerStep(solo.other),
                       parallel.msPerStep(parallel.compute),  solo.msPerStep(solo.compute)};
  communicator.allreduce({figures, 8, comm::ScalarType::Float64, comm::MemorySpace::Host}, {comm::ReduceOp::Max});
  const double solo_ms = figures[0], step_ms = figures[1], exposed_ms = figures[2], collective_ms = figures[3],
               other_ms = figures[4], compute_ms = figures[6];

  log0("#                 ms/step  compute  exposed-comm  other  samples/s");
  char line[256];
  std::snprintf(line, sizeof line, "  1 rank alone  %8.3f %8.3f %13.3f %6.3f %10.0f", solo_ms, figures[7],
                solo_ms - figures[7] - figures[5], figures[5], 1e3 * config.train.batch_size / solo_ms);
  log0(line);
  std::snprintf(line, sizeof line, "%3d rank(s)     %8.3f %8.3f %13.3f %6.3f %10.0f", world, step_ms, compute_ms,
                exposed_ms, other_ms, 1e3 * global_batch / step_ms);
  log0(line);
  std::snprintf(line, sizeof line,
                "weak-scaling efficiency %.3f (1-rank ms/step / %d-rank ms/step); collectives took %.3f ms/step, "
                "the training thread lost %.3f ms/step to communication (%.0f%% of it)",
                solo_ms / step_ms, world, collective_ms, exposed_ms,
                collective_ms > 0 ? 100.0 * exposed_ms / collective_ms : 0.0);
  log0(line);
  // What the scaling model (launch/cluster/scaling_model.py) reads: the gradient volume of a step.
  log0f("gradients per step: ", parallel.gradient_bytes / std::max<int64_t>(1, parallel.steps), " bytes in ",
        double(parallel.gradient_collectives) / double(std::max<int64_t>(1, parallel.steps)),
        " allreduces (--comm.compress=", config.comm.compress, ")");
  if (parallel.split_d_halves) {
    log0f("next step's D real half ran during G's reduction in ", parallel.overlapped_steps, " of ", parallel.steps,
          " steps (--comm.overlap_next_step)");
  }
  // --against asks one question (which config a wall clock favours); the cost of the straggler
  // timing is another, thousands of steps long for a slow network.
  if (config.monitor.straggler_every > 0 && !options.against) {
    reportStragglerMonitoringCost(config, communicator, dataset, device, options);
  }
  if (options.against) {
    reportAgainstConfig(config, communicator, dataset, device, options);
  } else if (config.model.arch == ModelArch::TorchScript) {
    reportScriptedAgainstBuiltIn(config, communicator, dataset, device, options);
  }
  if (config.model.arch == ModelArch::Mlp && device.is_cpu()) {
    const auto gemm = measureMlpStepGemms(config, dataset.featureSize(), 50, parallel.split_d_halves);
    std::snprintf(line, sizeof line,
                  "matrix products alone: %.3f ms/step (%.0f MFLOP at %.1f GFLOP/s); 1-rank step / products = %.3f",
                  gemm.seconds * 1e3, gemm.flops / 1e6, gemm.flops / gemm.seconds / 1e9, solo_ms / (gemm.seconds * 1e3));
    log0(line);
  }
}

}  // namespace gan::bench
